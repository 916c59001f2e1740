"""Drive the Databricks double (tests/e2e/dbxdouble.py) with the official databricks-sdk, to
show that it answers as the real service does for every call streamtop makes: each check
prints "ok - ..." or "not ok - ...". Run with the SDK's virtualenv (.venv/dbx).

usage: dbxsdk.py HOST TOKEN CLIENT_ID CLIENT_SECRET VOLDIR LOCALDIR DBFSDIR DBFSLOCAL JOB RUN
  VOLDIR   a /Volumes folder the double serves, LOCALDIR the same folder on disk
  DBFSDIR  a DBFS folder (/x), DBFSLOCAL the same on disk
  JOB      a job id with more than 25 runs; RUN a failed run of it
"""
import os
import sys

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError

host, token, cid, secret, voldir, localdir, dbfsdir, dbfslocal, job, run = sys.argv[1:11]
failed = 0


def check(name, cond):
    global failed
    print(("ok - " if cond else "not ok - ") + "sdk: " + name)
    failed += not cond


w = WorkspaceClient(host=host, token=token, auth_type="pat")

# Files API: a directory with more entries than a page, paged through by the SDK
names = sorted(e.name for e in w.files.list_directory_contents(voldir, page_size=100))
check("files.list_directory_contents pages through %d entries" % len(names),
      names == sorted(os.listdir(localdir)) and len(names) > 100)
entry = next(iter(w.files.list_directory_contents(voldir)))
local = os.path.join(localdir, entry.name)
check("directory entries carry name, path, size and last_modified (ms)",
      entry.path == voldir.rstrip("/") + "/" + entry.name and
      entry.file_size == os.path.getsize(local) and
      entry.last_modified == os.stat(local).st_mtime_ns // 1000000)
got = w.files.download(voldir.rstrip("/") + "/" + entry.name)
data = got.contents.read()
check("files.download gives the bytes, length and Last-Modified",
      data == open(local, "rb").read() and got.content_length == len(data) and
      got.last_modified is not None)
meta = w.files.get_metadata(voldir.rstrip("/") + "/" + entry.name)
check("files.get_metadata (HEAD) gives the size", meta.content_length == len(data))
try:
    w.files.get_directory_metadata(voldir.rstrip("/") + "/no-such-folder")
    check("a missing folder is NotFound", False)
except DatabricksError as e:
    check("a missing folder is NotFound (%s)" % type(e).__name__, type(e).__name__ == "NotFound")
try:
    list(w.files.list_directory_contents(voldir.rstrip("/") + "/no-such-folder"))
    check("listing a missing folder is NotFound", False)
except DatabricksError as e:
    check("listing a missing folder is NotFound (%s)" % e.error_code,
          e.error_code == "NOT_FOUND")

# DBFS API
files = sorted(os.path.basename(f.path) for f in w.dbfs.list(dbfsdir))
check("dbfs.list gives the folder's entries", files == sorted(os.listdir(dbfslocal)))
big = max((f for f in os.listdir(dbfslocal) if os.path.isfile(os.path.join(dbfslocal, f))),
          key=lambda f: os.path.getsize(os.path.join(dbfslocal, f)))
bigpath = dbfsdir.rstrip("/") + "/" + big
want = open(os.path.join(dbfslocal, big), "rb").read()
r = w.dbfs.read(bigpath, offset=3, length=1000)
import base64
check("dbfs.read gives base64 data with bytes_read",
      r.bytes_read == len(base64.b64decode(r.data)) and base64.b64decode(r.data) == want[3:1003])
check("the file for the 1 MB limit is larger than 1 MB (%d bytes)" % len(want),
      len(want) > 1024 * 1024)
try:
    w.dbfs.read(bigpath, offset=0, length=2 * 1024 * 1024)
    check("dbfs.read of more than 1 MB is refused", False)
except DatabricksError as e:
    check("dbfs.read of more than 1 MB is refused (%s)" % e.error_code,
          e.error_code == "MAX_READ_SIZE_EXCEEDED")
st = w.dbfs.get_status(bigpath)
check("dbfs.get_status gives size and modification_time",
      st.file_size == len(want) and st.modification_time > 0 and not st.is_dir)
try:
    w.dbfs.get_status(dbfsdir.rstrip("/") + "/nothing-here")
    check("a missing DBFS path is RESOURCE_DOES_NOT_EXIST", False)
except DatabricksError as e:
    check("a missing DBFS path is RESOURCE_DOES_NOT_EXIST",
          e.error_code == "RESOURCE_DOES_NOT_EXIST")

# Jobs API 2.1
runs = list(w.jobs.list_runs(job_id=int(job)))
check("jobs.list_runs pages through %d runs" % len(runs), len(runs) > 25)
check("runs come newest first", all(a.start_time >= b.start_time for a, b in zip(runs, runs[1:])))
one = w.jobs.get_run(int(run))
check("jobs.get_run gives the failed run's state and message",
      one.state.result_state.value == "FAILED" and one.state.state_message)
j = w.jobs.get(int(job))
check("jobs.get gives the job's settings", j.settings is not None)

# OAuth M2M: the SDK exchanges the client secret at the workspace's token endpoint
m2m = WorkspaceClient(host=host, client_id=cid, client_secret=secret, auth_type="oauth-m2m")
check("OAuth M2M: a listing with the exchanged token",
      len(list(m2m.dbfs.list(dbfsdir))) == len(files))
try:
    bad = WorkspaceClient(host=host, client_id=cid, client_secret="wrong-" + secret,
                          auth_type="oauth-m2m")
    list(bad.dbfs.list(dbfsdir))
    check("OAuth M2M with a wrong secret fails", False)
except Exception as e:  # the SDK wraps the token endpoint's refusal
    check("OAuth M2M with a wrong secret fails (%s)" % type(e).__name__,
          "invalid_client" in str(e) or "401" in str(e) or "auth" in str(e).lower())
bad = WorkspaceClient(host=host, token="dapi-wrong", auth_type="pat")
try:
    bad.dbfs.get_status(bigpath)
    check("a wrong token is refused", False)
except DatabricksError as e:
    check("a wrong token is refused (%s)" % type(e).__name__, "nauthenticated" in
          type(e).__name__ or e.error_code == "UNAUTHENTICATED")
sys.exit(1 if failed else 0)
