#!/usr/bin/env python3
"""Print an account SAS token (service b, resource types sco, permissions rl) for the Azurite
development account, signed with its well-known key, valid from START to EXPIRY (ISO 8601 UTC,
e.g. 2020-01-01T00:00:00Z). The string to sign is the documented one for version 2020-12-06 and
later (with its empty encryption-scope line).

usage: sas.py START EXPIRY [KEY]
"""
import base64
import hashlib
import hmac
import sys
import urllib.parse

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    start, expiry = argv[0], argv[1]
    key = argv[2] if len(argv) > 2 else KEY
    sv, ss, srt, sp, spr = "2021-08-06", "b", "sco", "rl", "https,http"
    sts = "\n".join([ACCOUNT, sp, ss, srt, start, expiry, "", spr, sv, "", ""])
    sig = base64.b64encode(hmac.new(base64.b64decode(key), sts.encode(), hashlib.sha256).digest())
    q = [("sv", sv), ("ss", ss), ("srt", srt), ("sp", sp), ("st", start), ("se", expiry),
         ("spr", spr), ("sig", sig.decode())]
    print(urllib.parse.urlencode(q))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
