"""TAP-style lines that tests/run.sh counts: "ok - ...", "not ok - ...", "skip - ..."."""
import sys

failed = 0
prefix = ""  # e.g. "spark 4.0.0: ", set once the driver says its version


def ok(desc):
    print("ok - " + prefix + desc, flush=True)


def notok(desc, detail=""):
    global failed
    failed += 1
    print("not ok - " + prefix + desc, flush=True)
    for line in str(detail).splitlines()[:40]:
        print("    " + line, flush=True)


def skip(desc):
    print("skip - " + prefix + desc, flush=True)


def check(desc, cond, detail=""):
    (ok(desc) if cond else notok(desc, detail))
    return bool(cond)


def note(text):
    print("# " + prefix + text, flush=True)
    sys.stdout.flush()
