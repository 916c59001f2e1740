"""TAP-style lines that tests/run.sh counts: "ok - ...", "not ok - ...", "skip - ..."."""
import sys

failed = 0


def ok(desc):
    print("ok - " + desc, flush=True)


def notok(desc, detail=""):
    global failed
    failed += 1
    print("not ok - " + desc, flush=True)
    for line in str(detail).splitlines()[:40]:
        print("    " + line, flush=True)


def skip(desc):
    print("skip - " + desc, flush=True)


def check(desc, cond, detail=""):
    (ok(desc) if cond else notok(desc, detail))
    return bool(cond)


def note(text):
    print("# " + text, flush=True)
    sys.stdout.flush()
