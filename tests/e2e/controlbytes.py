"""Put control bytes into every text field a collector reads, in a tree written by
`streamtop simulate` (one stream, "orders"), and add a Kafka-fed stream and a Delta sink with
the same. Usage: controlbytes.py SIMDIR CONFIG-OUT

Each hostile string carries a raw or JSON-escaped ESC (CSI and OSC sequences), BEL, a C1 control
(U+009B, the one-byte CSI) and a NUL where the format allows one."""
import json
import os
import re
import shutil
import sys

sim, cfg_out = sys.argv[1], sys.argv[2]
EVIL = "\x1b[2J\x1b]0;owned\x07\u009b31m\x08"


def evil(tag):
    return tag + EVIL


ck = os.path.join(sim, "checkpoints", "orders")

# checkpoint metadata: the query id
with open(os.path.join(ck, "metadata"), "w") as f:
    json.dump({"id": evil("910a2dec-8902-4cc1-beeb-8da1658eec67")}, f)

# progress: ids, names, source descriptions, sink description, raw ESC in a line
prog = os.path.join(sim, "progress", "orders.jsonl")
lines = []
with open(prog) as f:
    for line in f:
        o = json.loads(line)
        o["id"] = evil("progress-id")
        o["runId"] = evil("run")
        o["name"] = evil("name")
        for s in o.get("sources", []):
            s["description"] = evil("FileStreamSource")
        if isinstance(o.get("sink"), dict):
            o["sink"]["description"] = evil("sink")
        lines.append(json.dumps(o))
lines.append("\x1b[31mnot json at all\x07")
with open(prog, "w") as f:
    f.write("\n".join(lines) + "\n")

# landing: a file whose name holds raw control bytes
landing = os.path.join(sim, "landing", "orders")
with open(os.path.join(landing, "raw\x1b[31mname\x07.json"), "w") as f:
    f.write("{}\n")

# schema location: a new version with a field named with control bytes
sdir = os.path.join(sim, "schemas", "orders", "_schemas")
newest = max(int(n) for n in os.listdir(sdir) if n.isdigit())
with open(os.path.join(sdir, str(newest))) as f:
    head = f.readline()
    meta = json.loads(f.readline())
schema = json.loads(meta["dataSchemaJson"])
schema["fields"].append({"name": evil("col"), "type": "string", "nullable": True, "metadata": {}})
meta["dataSchemaJson"] = json.dumps(schema)
with open(os.path.join(sdir, str(newest + 1)), "w") as f:
    f.write(head + json.dumps(meta))

# dead letters: a file name and a first line with raw and escaped control bytes
dl = os.path.join(sim, "deadletter", "orders", "dt=2099-01-01")
os.makedirs(dl, exist_ok=True)
bad = os.path.join(dl, "part-\x1b]0;x\x07.json")
with open(bad, "w") as f:
    f.write(json.dumps({"path": evil("p"), "reason": evil("r"), "record": evil("rec")})
            + "\x1b[5m raw tail\n")
os.utime(bad, (4102444800, 4102444800))  # the newest, so it is the sample

# a Delta sink: table id, schema, commitInfo and txn with control bytes
sink = os.path.join(sim, "tables", "orders")
log = os.path.join(sink, "_delta_log")
shutil.rmtree(sink, ignore_errors=True)  # in place of the simulated sink
os.makedirs(log)
qid = evil("query")
schema_string = json.dumps({"type": "struct", "fields": [
    {"name": evil("sinkcol"), "type": "string", "nullable": True, "metadata": {}}]})
actions = [
    {"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}},
    {"metaData": {"id": evil("table"), "format": {"provider": "parquet", "options": {}},
                  "schemaString": schema_string, "partitionColumns": [], "configuration": {},
                  "createdTime": 1700000000000}},
    {"txn": {"appId": qid, "version": 3, "lastUpdated": 1700000000000}},
    {"commitInfo": {"timestamp": 1700000000000, "operation": "STREAMING UPDATE",
                    "operationParameters": {"outputMode": "Append", "queryId": qid,
                                            "epochId": "3"},
                    "operationMetrics": {"numOutputRows": "5"}}},
]
with open(os.path.join(log, "00000000000000000000.json"), "w") as f:
    f.write("\n".join(json.dumps(a) for a in actions) + "\n")

# a Kafka-fed stream: topic names with control bytes in the offsets and the initial offsets
kck = os.path.join(sim, "checkpoints", "kafka")
for d in ("offsets", "commits", "sources/0"):
    os.makedirs(os.path.join(kck, d))
with open(os.path.join(kck, "metadata"), "w") as f:
    json.dump({"id": "6f3b2e4a-0000-4000-8000-000000000002"}, f)
topic = evil("topic")
with open(os.path.join(kck, "offsets", "0"), "w") as f:
    f.write("v1\n" + json.dumps({"batchWatermarkMs": 0, "batchTimestampMs": 1700000000000,
                                 "conf": {}}) + "\n" + json.dumps({topic: {"0": 5}}) + "\n")
with open(os.path.join(kck, "commits", "0"), "w") as f:
    f.write('v1\n{"nextBatchWatermarkMs":0}\n')
with open(os.path.join(kck, "sources", "0", "0"), "w") as f:
    f.write("v1\n" + json.dumps({topic: {"0": 0}}))

with open(os.path.join(sim, "streamtop.ini")) as f:
    cfg = f.read()
cfg = re.sub(r"\nsink += [^\n]*", "", cfg)
cfg = cfg.replace("[stream orders]\n", "[stream orders]\nsink = %s\n" % sink, 1)
cfg += "\n[stream kafka]\ncheckpoint = %s\n" % kck
with open(cfg_out, "w") as f:
    f.write(cfg)
