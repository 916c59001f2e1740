"""S3 listing benchmark: a dead-letter prefix of 100,000 objects (100 dt= partitions) on the
local S3 server, listed by streamtop (export of one stream whose deadletter is that prefix:
recursive listing, fanned out over the partitions, plus one Range GET for the sample) and by
`aws s3 ls --recursive` on the same prefix, alternating, in the same run. Prints medians of the
wall time and peak RSS, and the ratio.

usage: s3list.py STREAMTOP ENDPOINT RUNS [SERVER_PROCESSES]
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

from benchlib import timed


def main():
    streamtop, endpoint, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    workers = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    env = dict(os.environ, AWS_ACCESS_KEY_ID="S3RVER", AWS_SECRET_ACCESS_KEY="S3RVER",
               AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    os.environ.update(env)
    with tempfile.TemporaryDirectory() as tmp:
        ini = os.path.join(tmp, "s3.ini")
        with open(ini, "w") as f:
            f.write(f"[global]\ntimeout = 60s\n[s3]\nendpoint = {endpoint}\n"
                    "[stream dlq]\ndeadletter = s3://bench/dlq/\n")
        st_cmd = f"{streamtop} -c {ini} --db :memory: export -f json -o {tmp}/out.json"
        aws_cmd = f"aws --endpoint-url {endpoint} s3 ls --recursive s3://bench/dlq/ > {tmp}/aws.txt"
        # warm the server once (it computes object metadata lazily), and check both agree
        subprocess.check_call(st_cmd, shell=True)
        subprocess.check_call(aws_cmd, shell=True)
        d = json.load(open(f"{tmp}/out.json"))["streams"][0]
        files = d["metrics"]["deadletter_files"]
        lines = sum(1 for _ in open(f"{tmp}/aws.txt"))
        if files != lines or d["errors"]:
            sys.exit(f"bench: streamtop counted {files}, aws {lines}; errors {d['errors']}")
        st, aw = [], []
        for _ in range(runs):
            st.append(timed(st_cmd))
            aw.append(timed(aws_cmd))
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    print(f"S3 listing, {files:,} objects in 100 partitions on the local S3 server "
          f"({workers} process{'es' if workers > 1 else ''}), median of {runs} runs each")
    print(f"  {'':28} {'wall':>9} {'peak RSS':>10}")
    print(f"  {'streamtop export':28} {med(st, 0) / 1000:8.2f}s {med(st, 1):8.1f}MiB")
    print(f"  {'aws s3 ls --recursive':28} {med(aw, 0) / 1000:8.2f}s {med(aw, 1):8.1f}MiB")
    print(f"  streamtop is {med(aw, 0) / med(st, 0):.2f}x faster (target >= 2x, RSS < 64 MiB)")


if __name__ == "__main__":
    main()
