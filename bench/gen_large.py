"""Write the large file-source workload of bench/backlog.sh: one stream whose file-source log has
a .compact of ENTRIES entries (about 150 bytes each) plus DELTAS delta files, and a landing zone of
FILES files of which WAITING are not in the log yet.

usage: gen_large.py DIR [ENTRIES] [DELTAS] [FILES] [WAITING]
"""
import os
import sys
import time


def main():
    root = os.path.abspath(sys.argv[1])
    entries = int(sys.argv[2]) if len(sys.argv) > 2 else 1_500_000
    deltas = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    files = int(sys.argv[4]) if len(sys.argv) > 4 else 200_000
    waiting = int(sys.argv[5]) if len(sys.argv) > 5 else 5_000
    ckpt, landing = os.path.join(root, "ckpt"), os.path.join(root, "landing")
    src = os.path.join(ckpt, "sources", "0")
    for d in (os.path.join(ckpt, "offsets"), os.path.join(ckpt, "commits"), src, landing):
        os.makedirs(d, exist_ok=True)
    now_ms = int(time.time() * 1000)
    compact_id = 1499  # (b + 1) % 10 == 0
    last = compact_id + deltas
    per_dir = 1000
    landing_paths = []
    for i in range(files):
        d = os.path.join(landing, f"dt=2026-11-{1 + (i // per_dir) // 24:02d}",
                         f"hr={(i // per_dir) % 24:02d}")
        if i % per_dir == 0:
            os.makedirs(d, exist_ok=True)
        p = os.path.join(d, f"part-{i:07d}-6b1f0c9e-5a7d-4f7e-9d8c-1b2a3c4d5e6f-c000.json")
        with open(p, "wb") as f:
            f.write(b"{}\n" * (1 + i % 7))
        landing_paths.append(p)
    processed = files - waiting
    ts = now_ms - 86_400_000
    with open(os.path.join(src, f"{compact_id}.compact"), "w") as f:
        f.write("v1")
        # landing files already processed, then older files no longer in the landing zone
        in_compact = processed - deltas * 10
        for i in range(entries):
            if i < in_compact:
                path = landing_paths[i]
            else:
                path = f"{landing}/archive/dt=2026-10-01/part-{i:07d}-6b1f0c9e-5a7d-4f7e-9d8c-1b2a3c4d5e6f-c000.json"
            os.stat  # keep it simple: timestamps are not checked against the files here
            f.write(f'\n{{"path":"file://{path}","timestamp":{ts},"batchId":{min(i // 1000, compact_id)}}}')
    k = processed - deltas * 10
    for b in range(compact_id + 1, last + 1):
        with open(os.path.join(src, str(b)), "w") as f:
            f.write("v1")
            for _ in range(10):
                f.write(f'\n{{"path":"file://{landing_paths[k]}","timestamp":{ts},"batchId":{b}}}')
                k += 1
    for b in range(last - 99, last + 1):
        start = now_ms - (last - b) * 60_000
        with open(os.path.join(ckpt, "offsets", str(b)), "w") as f:
            f.write(f'v1\n{{"batchWatermarkMs":0,"batchTimestampMs":{start},"conf":{{}}}}\n{{"logOffset":{b}}}')
        with open(os.path.join(ckpt, "commits", str(b)), "w") as f:
            f.write('v1\n{"nextBatchWatermarkMs":0}')
    with open(os.path.join(ckpt, "metadata"), "w") as f:
        f.write('{"id":"0a1a1ee9-4ce9-4db9-a612-c80e246a3beb"}')
    # mtimes: landing files older than the recorded timestamp, so none counts as overwritten
    for p in landing_paths:
        os.utime(p, ns=(ts * 1_000_000, ts * 1_000_000))
    with open(os.path.join(root, "streamtop.ini"), "w") as f:
        f.write(f"[global]\nrefresh = 3s\n\n[stream big]\ncheckpoint = {ckpt}\nsource = {landing}\n")


if __name__ == "__main__":
    main()
