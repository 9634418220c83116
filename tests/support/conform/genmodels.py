"""Writes ``wafproxy/awsapi/models/<service>.json.gz``: the input shapes of botocore's model, cut down
to what a server validates (types, required, lengths, ranges, enums, wire names and locations).

Why a copy: botocore is a test dependency, not a runtime one, and the server must refuse what the
model refuses (AWS validates every request against it before any handler runs). Patterns are left
out on purpose: they are regexes, some backtracking, and run on attacker input.

``python -m tests.support.conform.genmodels`` after a botocore upgrade; ``tests/awsapi/
test_inputcheck.py`` checks the shipped files against the installed botocore.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import botocore
import botocore.session
from botocore.model import Shape

SERVICES = ("wafv2", "kms", "guardduty", "inspector2", "securityhub")
# Members whose items the operation validates one by one and reports per item (BatchImportFindings
# answers a malformed finding in FailedFindings and imports the rest): only the list itself is checked.
PER_ITEM = {("securityhub", "BatchImportFindingsRequest", "Findings")}
OUT = Path(__file__).resolve().parents[3] / "wafproxy" / "awsapi" / "models"


def compact(service: str) -> dict[str, Any]:
    model = botocore.session.get_session().get_service_model(service)
    shapes: dict[str, Any] = {}

    def visit(shape: Shape) -> str:
        name = shape.name
        if name in shapes:
            return name
        entry: dict[str, Any] = {"t": shape.type_name}
        shapes[name] = entry
        for key in ("min", "max", "enum"):
            if key in shape.metadata:
                entry[key] = shape.metadata[key]
        if shape.type_name == "structure":
            members = {}
            for m, s in shape.members.items():
                ref = per_item(s) if (service, name, m) in PER_ITEM else visit(s)
                members[m] = [ref, s.serialization.get("name", m), s.serialization.get("location", "")]
            entry["m"] = members
            if shape.required_members:
                entry["r"] = list(shape.required_members)
            if shape.metadata.get("union"):
                entry["u"] = True
        elif shape.type_name == "list":
            entry["i"] = visit(shape.member)  # type: ignore[attr-defined]
        elif shape.type_name == "map":
            entry["k"] = visit(shape.key)  # type: ignore[attr-defined]
            entry["v"] = visit(shape.value)  # type: ignore[attr-defined]
        return name

    def per_item(shape: Shape) -> str:
        name = f"{shape.name}__per_item"
        shapes["__any_structure"] = {"t": "structure"}
        shapes[name] = {
            "t": "list",
            "i": "__any_structure",
            **{k: shape.metadata[k] for k in ("min", "max") if k in shape.metadata},
        }
        return name

    operations = {}
    for op in model.operation_names:
        shape = model.operation_model(op).input_shape
        errors = sorted(e.name for e in model.operation_model(op).error_shapes)
        operations[op] = [visit(shape) if shape is not None else None, errors]
    return {"service": service, "botocore": botocore.__version__, "operations": operations, "shapes": shapes}


def encoded(service: str) -> bytes:
    return gzip.compress(
        json.dumps(compact(service), sort_keys=True, separators=(",", ":")).encode(), mtime=0
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for service in SERVICES:
        data = encoded(service)
        (OUT / f"{service}.json.gz").write_bytes(data)
        print(service, len(data))


if __name__ == "__main__":
    main()
