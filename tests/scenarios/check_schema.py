"""Every scenario file in tests/scenarios/ (and its subfolders) is valid
against schema/scenario.schema.json, and the schema refuses what the
parser refuses, so the documentation and the parser stay in step.

Usage: python3 check_schema.py SCHEMA SCENARIO_DIR
"""
import glob
import json
import sys

import jsonschema

schema_path, scenario_dir = sys.argv[1], sys.argv[2]
with open(schema_path) as f:
    schema = json.load(f)
# Every $ref is local; Debian's jsonschema 4.10 resolves them wrongly
# against a relative $id.
schema.pop("$id", None)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

failed = False
for path in sorted(glob.glob(scenario_dir + "/**/*.json", recursive=True)):
    with open(path) as f:
        errors = list(validator.iter_errors(json.load(f)))
    for error in errors:
        print(f"{path}: {error.message} (at {error.json_path})")
    failed = failed or bool(errors)

refused = [
    {"name": "no client", "steps": [{"do": "connect"}]},
    {"name": "bad duration", "steps": [{"do": "advance", "by": "soon"}]},
    {"name": "no code", "steps": [{"expect": "closed", "client": "a"}]},
    {"name": "two sources", "steps": [{"do": "block", "transactions": 3, "json": {}}]},
    {"name": "typo", "steps": [{"do": "connect", "client": "a", "strem": "x"}]},
    {"name": "too many transactions", "steps": [{"do": "block", "transactions": 1001}]},
]
for document in refused:
    if validator.is_valid(document):
        print(f"the schema accepts what the parser refuses: {json.dumps(document)}")
        failed = True

sys.exit(1 if failed else 0)
