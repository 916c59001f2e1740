"""Azure listing benchmark: a dead-letter prefix of 100,000 blobs (100 dt= partitions) on
Azurite, listed by streamtop (export of one stream whose deadletter is that prefix: List Blobs
fanned out over the partitions, plus one ranged Get Blob for the sample) and by the Python SDK
(azure-storage-blob: ContainerClient.list_blobs over the same prefix, the SDK's paging),
alternating, in the same run. Prints medians of the wall time and peak RSS, and the ratio.

usage: azlist.py STREAMTOP ENDPOINT RUNS PYTHON_WITH_SDK
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

from benchlib import timed

KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
SDK = """
import sys
from azure.storage.blob import ContainerClient
# the REST version streamtop sends (Azurite 3.37 refuses the SDK's newer default)
c = ContainerClient.from_connection_string(sys.argv[1], "bench", api_version="2021-08-06")
n = sum(1 for _ in c.list_blobs(name_starts_with="dlq/"))
print(n)
"""


def main():
    streamtop, endpoint, runs, py = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    conn = ("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=%s;"
            "BlobEndpoint=%s;" % (KEY, endpoint))
    os.environ["AZURE_STORAGE_KEY"] = KEY
    with tempfile.TemporaryDirectory() as tmp:
        ini = os.path.join(tmp, "az.ini")
        with open(ini, "w") as f:
            f.write(f"[global]\ntimeout = 60s\n[azure]\nendpoint = {endpoint}\n"
                    "[stream dlq]\ndeadletter = "
                    "abfss://bench@devstoreaccount1.dfs.core.windows.net/dlq/\n")
        with open(os.path.join(tmp, "sdk.py"), "w") as f:
            f.write(SDK)
        st_cmd = f"{streamtop} -c {ini} --db :memory: export -f json -o {tmp}/out.json"
        sdk_cmd = f"{py} {tmp}/sdk.py '{conn}' > {tmp}/sdk.txt"
        subprocess.check_call(st_cmd, shell=True)
        subprocess.check_call(sdk_cmd, shell=True)
        d = json.load(open(f"{tmp}/out.json"))["streams"][0]
        files = d["metrics"]["deadletter_files"]
        n = int(open(f"{tmp}/sdk.txt").read())
        if files != n or d["errors"]:
            sys.exit(f"bench: streamtop counted {files}, the SDK {n}; errors {d['errors']}")
        st, sd = [], []
        for _ in range(runs):
            st.append(timed(st_cmd))
            sd.append(timed(sdk_cmd))
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    print(f"Azure listing, {files:,} blobs in 100 partitions on Azurite, median of {runs} runs")
    print(f"  {'':34} {'wall':>9} {'peak RSS':>10}")
    print(f"  {'streamtop export':34} {med(st, 0) / 1000:8.2f}s {med(st, 1):8.1f}MiB")
    print(f"  {'azure-storage-blob list_blobs':34} {med(sd, 0) / 1000:8.2f}s {med(sd, 1):8.1f}MiB")
    print(f"  streamtop is {med(sd, 0) / med(st, 0):.2f}x faster")


if __name__ == "__main__":
    main()
