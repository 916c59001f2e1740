"""Validate JSON documents against man/streamtop-export.schema.json with the standard library.

It implements the subset of JSON Schema (2020-12) that schema uses: type (a name or a list),
const, enum, properties, required, additionalProperties (false or a schema), items, minimum.
Any other keyword in the schema is an error, so the schema cannot quietly use one that is not
checked. Usage: python3 jsonschema_lite.py SCHEMA FILE...; exit 1 with every problem listed.
"""
import json
import sys

KNOWN = {"$schema", "$id", "title", "description", "type", "const", "enum", "properties",
         "required", "additionalProperties", "items", "minimum"}


def type_ok(name, v):
    if name == "null":
        return v is None
    if name == "boolean":
        return isinstance(v, bool)
    if name == "integer":
        return isinstance(v, int) and not isinstance(v, bool) or (
            isinstance(v, float) and v.is_integer())
    if name == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if name == "string":
        return isinstance(v, str)
    if name == "array":
        return isinstance(v, list)
    if name == "object":
        return isinstance(v, dict)
    raise ValueError("unknown type %r" % name)


def validate(schema, v, where, problems):
    unknown = set(schema) - KNOWN
    if unknown:
        raise ValueError("%s: schema uses unsupported keywords %s" % (where, sorted(unknown)))
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(type_ok(n, v) for n in names):
            problems.append("%s: %r is not of type %s" % (where, v, names))
            return
    if "const" in schema and v != schema["const"]:
        problems.append("%s: %r is not %r" % (where, v, schema["const"]))
    if "enum" in schema and v not in schema["enum"]:
        problems.append("%s: %r is not one of %s" % (where, v, schema["enum"]))
    if "minimum" in schema and type_ok("number", v) and v < schema["minimum"]:
        problems.append("%s: %r is below %r" % (where, v, schema["minimum"]))
    if isinstance(v, float) and v != v or v in (float("inf"), float("-inf")):
        problems.append("%s: %r is not a JSON number" % (where, v))
    if isinstance(v, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in v:
                problems.append("%s: required %r is missing" % (where, key))
        extra = schema.get("additionalProperties", True)
        for key, item in v.items():
            if key in props:
                validate(props[key], item, "%s.%s" % (where, key), problems)
            elif extra is False:
                problems.append("%s: %r is not allowed" % (where, key))
            elif isinstance(extra, dict):
                validate(extra, item, "%s.%s" % (where, key), problems)
    if isinstance(v, list) and "items" in schema:
        for i, item in enumerate(v):
            validate(schema["items"], item, "%s[%d]" % (where, i), problems)


def reject_constant(name):
    raise ValueError("%s is not valid JSON" % name)


def main(argv):
    schema = json.load(open(argv[1]))
    problems = []
    for path in argv[2:]:
        with open(path) as f:
            doc = json.load(f, parse_constant=reject_constant)  # NaN/Infinity are not JSON
        validate(schema, doc, path + ":$", problems)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems or len(argv) < 3 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
