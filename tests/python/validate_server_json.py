"""Validates an MCP registry server.json against the registry's JSON Schema.

Usage: validate_server_json.py SCHEMA SERVER_JSON
Prints one line per problem (path: message) and exits 1 when there is any, else prints
"valid" and exits 0. .ci/install-clients puts the schema at .ci/schemas/server.schema.json.
"""

import json
import sys

import jsonschema


def main() -> int:
    schema_path, document_path = sys.argv[1:3]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    with open(document_path, encoding="utf-8") as f:
        document = json.load(f)
    if document.get("$schema") != schema.get("$id"):
        print(f"$schema: {document.get('$schema')!r} is not the schema checked ({schema.get('$id')})")
        return 1
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    for error in errors:
        path = "/".join(str(p) for p in error.absolute_path) or "(root)"
        print(f"{path}: {error.message}")
    if errors:
        return 1
    print("valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
