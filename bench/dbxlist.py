"""Databricks listing benchmark: a volume folder of 20,000 files served by the local double of
the Files API (tests/e2e/dbxdouble.py; pages of 1,000 entries, the API's default), listed by
streamtop (export of one stream whose deadletter is that folder: the paged listing plus one
ranged read for the sample) and by the official databricks-sdk (files.list_directory_contents,
.venv/dbx), alternating, in the same run. Prints medians of the wall time and peak RSS.

usage: dbxlist.py STREAMTOP HOST RUNS
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

from benchlib import timed

FOLDER = "/Volumes/main/default/bench/dlq"


def main():
    streamtop, host, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.environ.update(DATABRICKS_HOST=host, DATABRICKS_TOKEN="dapi-bench")
    sdk = os.path.join(os.path.dirname(__file__), "..", ".venv", "dbx", "bin", "python")
    with tempfile.TemporaryDirectory() as tmp:
        ini = os.path.join(tmp, "dbx.ini")
        with open(ini, "w") as f:
            f.write(f"[global]\ntimeout = 60s\n[stream dlq]\ndeadletter = {FOLDER}\n")
        st_cmd = f"{streamtop} -c {ini} --db :memory: export -f json -o {tmp}/out.json"
        script = os.path.join(tmp, "sdk.py")
        with open(script, "w") as f:
            f.write("from databricks.sdk import WorkspaceClient\n"
                    "w = WorkspaceClient(auth_type='pat')\n"
                    f"print(sum(1 for _ in w.files.list_directory_contents('{FOLDER}')))\n")
        sdk_cmd = f"{sdk} {script} > {tmp}/sdk.txt"
        subprocess.check_call(st_cmd, shell=True)
        subprocess.check_call(sdk_cmd, shell=True)
        d = json.load(open(f"{tmp}/out.json"))["streams"][0]
        files = d["metrics"]["deadletter_files"]
        listed = int(open(f"{tmp}/sdk.txt").read())
        if files != listed or d["errors"]:
            sys.exit(f"bench: streamtop counted {files}, the SDK {listed}; errors {d['errors']}")
        st, sk = [], []
        for _ in range(runs):
            st.append(timed(st_cmd))
            sk.append(timed(sdk_cmd))
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    print(f"Databricks listing, a volume folder of {files:,} files on the local Files API "
          f"double, median of {runs} runs each")
    print(f"  {'':36} {'wall':>9} {'peak RSS':>10}")
    print(f"  {'streamtop export':36} {med(st, 0) / 1000:8.2f}s {med(st, 1):8.1f}MiB")
    print(f"  {'databricks-sdk list_directory_contents':36} {med(sk, 0) / 1000:8.2f}s "
          f"{med(sk, 1):8.1f}MiB")
    print(f"  streamtop is {med(sk, 0) / med(st, 0):.2f}x faster")


if __name__ == "__main__":
    main()
