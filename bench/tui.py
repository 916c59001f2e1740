"""Dashboard benchmark.

1. Frame time: the streams view of 1,000 streams drawn off-screen at 200x50 (view + refresh),
   median of 300 frames, beside a baseline writing 50 preformatted lines with mvaddstr; and
   the peak RSS of that process. Targets: under 5 ms a frame, under 100 MB.
2. Idle CPU: the dashboard on 50 simulated streams, refresh 2 s, nothing changing, in tmux for
   60 s (CPU time from /proc), beside `top -d 2` in the same terminal for the same time.
   Target: under 1% of a core.

usage: tui.py BUILD RUNS IDLE_SECONDS
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import timed


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pane_pid(sock, name):
    out = subprocess.run(["tmux", "-L", sock, "list-panes", "-t", name, "-F", "#{pane_pid}"],
                         capture_output=True, text=True).stdout.split()
    return int(out[0])


def idle(build, seconds, tmp):
    subprocess.check_call([f"{build}/streamtop", "simulate", f"{tmp}/sim", "--streams", "50",
                           "--batches", "30"], stdout=subprocess.DEVNULL)
    sock = f"bench{os.getpid()}"
    results = {}
    cmds = {"streamtop (dashboard, 50 streams, 2 s)":
            f"{build}/streamtop -c {tmp}/sim/streamtop.ini --db {tmp}/db",
            "top -d 2 (baseline)": "top -d 2"}
    for label, cmd in cmds.items():
        subprocess.check_call(["tmux", "-L", sock, "new-session", "-d", "-s", "b", "-x", "120",
                               "-y", "40", f"env LANG=C.UTF-8 TERM=xterm-256color {cmd}"])
        time.sleep(5)  # started, first passes done
        pid = pane_pid(sock, "b")
        c0, t0 = cpu_seconds(pid), time.time()
        time.sleep(seconds)
        c1, t1 = cpu_seconds(pid), time.time()
        results[label] = 100 * (c1 - c0) / (t1 - t0)
        subprocess.call(["tmux", "-L", sock, "kill-server"])
        time.sleep(0.5)
    return results


def main():
    build, runs, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    frames = []
    for _ in range(runs):
        out = subprocess.run([f"{build}/bench/frame", "300"], capture_output=True, text=True,
                             check=True).stdout.split()
        frames.append((float(out[0]), float(out[1])))
    rss = timed(f"{build}/bench/frame 300")[1]
    with tempfile.TemporaryDirectory() as tmp:
        cpu = idle(build, seconds, tmp)
    f = statistics.median(x[0] for x in frames)
    b = statistics.median(x[1] for x in frames)
    print(f"dashboard frame, 1,000 streams at 200x50, median of {runs} runs of 300 frames")
    print(f"  baseline (50 preformatted lines, mvaddstr + refresh)   {b:7.3f} ms")
    print(f"  streamtop streams view (view_draw + refresh)           {f:7.3f} ms  "
          f"(target < 5 ms), peak RSS {rss:.1f} MiB (target < 100 MB)")
    print(f"idle CPU over {seconds} s, nothing changing")
    for label, pct in cpu.items():
        print(f"  {label:40} {pct:6.2f}% of a core")


if __name__ == "__main__":
    main()
