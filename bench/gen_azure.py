"""Upload the Azure listing bench's blobs to Azurite: N dead-letter blobs (default 100,000) in
100 dt= partitions under dlq/ of container "bench", 16 requests at once, through the Blob REST
API with the development account's Shared Key (tests/azure/seed.py's signer).

usage: gen_azure.py ENDPOINT [N]
"""
import concurrent.futures
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "azure"))
import seed  # noqa: E402


def main():
    endpoint = sys.argv[1].rstrip("/")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    st, _ = seed.request("PUT", endpoint + "/bench", b"",
                         {"Content-Type": "application/octet-stream"}, {"restype": "container"})
    if st not in (201, 409):
        sys.exit("gen_azure.py: cannot create the container: HTTP %d" % st)
    body = b'{"path": "abfss://in/x.json", "reason": "MalformedJsonException", "record": "{"}\n'

    def put(i):
        name = "dlq/dt=2026-11-%03d/part-%06d.json" % (i % 100, i)
        st, _ = seed.request("PUT", "%s/bench/%s" % (endpoint, name), body,
                             {"x-ms-blob-type": "BlockBlob",
                              "Content-Type": "application/octet-stream"})
        if st != 201:
            raise SystemExit("gen_azure.py: PUT %s: HTTP %d" % (name, st))

    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        list(ex.map(put, range(n)))
    print(n)


if __name__ == "__main__":
    main()
