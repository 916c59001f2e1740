"""Helpers shared by the benchmark drivers: dropping the page cache, timing one command with
GNU time (wall time and peak RSS of the command itself, not of a forked Python)."""
import os
import subprocess
import sys
import tempfile

GNU_TIME = "/usr/bin/time"


def drop_caches():
    """Drop the page cache (needs root); True when it could."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def timed(cmd, cold=False, ok=(0,)):
    """Run a shell command; return (wall ms, peak RSS MiB). cold drops the page cache first; ok
    lists the exit statuses that are no failure (check's 1 and 2 say what it found)."""
    if not os.access(GNU_TIME, os.X_OK):
        sys.exit("bench: needs GNU time (apt-get install time)")
    if cold:
        drop_caches()
    with tempfile.NamedTemporaryFile("r") as out:
        rc = subprocess.call([GNU_TIME, "-f", "%e %M", "-o", out.name, "sh", "-c", cmd],
                             stdout=subprocess.DEVNULL)
        if rc not in ok:
            sys.exit(f"bench: '{cmd}' failed ({rc})")
        wall, rss = out.read().split()[-2:]
    return float(wall) * 1000, int(rss) / 1024
