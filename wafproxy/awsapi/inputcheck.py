"""Every request checked against the operation's input shape before its handler runs, as AWS does.

Why: AWS validates each request against the service model first (required members, JSON types,
string and list lengths, number ranges, enums) and answers the service's validation error naming the
member; only then does it look anything up. Handlers here validate what they read, each its own way,
so a bad enum could be accepted, an over-long name answered NotFound, a missing member a 403. One
check from the model, shipped as ``models/<service>.json.gz`` (botocore's input shapes cut down by
``tests/support/conform/genmodels.py``), gives every operation AWS's order and AWS's answer.

Not checked, on purpose: ``pattern`` (regexes on attacker input; handlers parse what they need) and
members the shape does not define (AWS ignores them too). Messages never echo a value (a member may
be secret: ``Plaintext``), only its path and the constraint, as AWS words them for sensitive members.
"""

from __future__ import annotations

import functools
import gzip
import importlib.resources
import json
from collections.abc import Mapping
from typing import Any

from wafproxy.awsapi.errors import AwsError, validation

# WAFv2's documents (rules, statements, logging filters) are validated below the top level by the
# engine's own parser, which answers as WAFv2 does: Field (WEB_ACL, RULE_GROUP…) and the JSON path of
# the member at fault as Parameter. The model check stops at the request's own members there.
SHALLOW = frozenset({"wafv2"})
MAX_REPORTED = 10  # AWS lists every violation; a cap keeps a hostile request's answer small
_Shapes = Mapping[str, Any]


class InputModel:
    """One service's input shapes; ``check_json`` / ``check_rest`` raise ``ValidationException``."""

    __slots__ = ("_deep", "_errors", "_operations", "_shapes")

    def __init__(self, data: Mapping[str, Any], *, deep: bool = True) -> None:
        self._deep = deep
        ops = data["operations"]
        self._operations: Mapping[str, str | None] = {op: entry[0] for op, entry in ops.items()}
        self._errors: Mapping[str, frozenset[str]] = {op: frozenset(entry[1]) for op, entry in ops.items()}
        self._shapes: _Shapes = data["shapes"]
        for shape in self._shapes.values():  # body members by wire name: a request names few of them
            if shape["t"] == "structure":
                members = shape.get("m", {}).values()
                shape["w"] = {wire: ref for ref, wire, location in members if not location}
                shape["rw"] = [shape["m"][m][1] for m in shape.get("r", ())]

    def in_vocabulary(self, operation: str, raised: AwsError, mapped: AwsError) -> AwsError:
        """``mapped`` (the service's renaming of ``raised``: Security Hub says InvalidInputException)
        unless the operation declares ``raised``'s code and not ``mapped``'s — Security Hub's newer
        operations (the V2 ones, connectors) declare ValidationException instead, and a boto3 user
        catches what the operation declares."""
        declared = self._errors.get(operation)
        if (
            declared
            and mapped.code != raised.code
            and raised.code in declared
            and mapped.code not in declared
        ):
            return raised
        return mapped

    def not_found_declared(self, operation: str, raised: AwsError) -> AwsError:
        """``raised``, unless it is a ResourceNotFoundException the operation does not declare
        (Security Hub's ListStandardsControlAssociations naming an unknown control): then the
        operation's invalid-input error, which it declares — before the service's own renaming, so
        that adds what its shape requires (Inspector2's ``reason``)."""
        declared = self._errors.get(operation)
        if not declared or raised.code != "ResourceNotFoundException" or raised.code in declared:
            return raised
        for code in ("InvalidInputException", "ValidationException", "BadRequestException"):
            if code in declared:
                return raised.renamed(code, status=400)
        return raised

    def typed_query(self, operation: str, query: Mapping[str, Any]) -> dict[str, Any]:
        """``query`` (checked) with each integer/boolean member as the model types it: a handler
        reads ``maxResults`` as the number it is, from the body or the query string alike."""
        name = self._operations.get(operation)
        if name is None or not query:
            return dict(query)
        out = dict(query)
        for ref, wire, location in self._shapes[name].get("m", {}).values():
            value = out.get(wire)
            if location != "querystring" or not isinstance(value, str):
                continue
            kind = self._shapes[ref]["t"]
            if kind in ("integer", "long"):
                out[wire] = int(value)
            elif kind == "boolean":
                out[wire] = value == "true"
        return out

    def declares(self, operation: str, code: str) -> bool:
        """Whether the model lists ``code`` among ``operation``'s errors."""
        return code in self._errors.get(operation, ())

    @staticmethod
    @functools.cache
    def shipped(service: str) -> InputModel | None:
        """The model shipped for ``service`` (``kms``, ``wafv2``, ``guardduty``…), or None."""
        path = importlib.resources.files("wafproxy.awsapi").joinpath("models", f"{service}.json.gz")
        try:
            return InputModel(json.loads(gzip.decompress(path.read_bytes())), deep=service not in SHALLOW)
        except FileNotFoundError:
            return None

    def check_json(self, operation: str, body: Mapping[str, Any]) -> None:
        """JSON 1.1: the whole body is the input structure."""
        name = self._operations.get(operation)
        if name is not None:
            errors: list[tuple[str, str]] = []
            self._structure(self._shapes[name], body, "", errors)
            _raise(errors)

    def check_rest(
        self, operation: str, body: Mapping[str, Any], query: Mapping[str, Any], path: Mapping[str, str]
    ) -> None:
        """rest-json: body members by wire name, query members (text) by wire name, URI labels by
        member or wire name."""
        name = self._operations.get(operation)
        if name is None:
            return
        shape = self._shapes[name]
        errors: list[tuple[str, str]] = []
        required = set(shape.get("r", ()))
        for member, (ref, wire, location) in shape.get("m", {}).items():
            target = self._shapes[ref]
            if location == "uri":
                value = path.get(member, path.get(wire))
                if value is not None:
                    self._check(target, value, wire, errors)
            elif location in ("querystring", ""):
                value = (query if location else body).get(wire)
                if value is None:
                    if member in required:
                        errors.append((wire, "Member must not be null"))
                elif location:
                    self._text(target, value, wire, errors)
                else:
                    self._check(target, value, wire, errors)
        _raise(errors)

    def _check(self, shape: Mapping[str, Any], value: Any, at: str, errors: list[tuple[str, str]]) -> None:
        if len(errors) >= MAX_REPORTED:
            return
        kind = shape["t"]
        if kind == "structure":
            if not isinstance(value, dict):
                errors.append((at, "Member must be a structure"))
            elif self._deep or not at:
                self._structure(shape, value, at, errors)
        elif kind == "list":
            if not isinstance(value, list):
                errors.append((at, "Member must be a list"))
                return
            _count(shape, len(value), at, errors)
            item = self._shapes[shape["i"]]
            if not self._deep and item["t"] in ("structure", "list", "map"):
                return
            for i, v in enumerate(value):
                if v is not None:
                    self._check(item, v, f"{at}.{i + 1}.member", errors)
        elif kind == "map":
            if not isinstance(value, dict):
                errors.append((at, "Member must be a map"))
                return
            _count(shape, len(value), at, errors)
            key, val = self._shapes[shape["k"]], self._shapes[shape["v"]]
            for k, v in value.items() if self._deep else ():
                self._check(key, k, f"{at}.key", errors)
                if v is not None:
                    self._check(val, v, f"{at}.{k[:64]}", errors)
        else:
            _scalar(shape, value, at, errors)

    def _structure(
        self, shape: Mapping[str, Any], value: Mapping[str, Any], at: str, errors: list[tuple[str, str]]
    ) -> None:
        prefix = f"{at}." if at else ""
        for wire in shape["rw"]:
            if value.get(wire) is None:
                errors.append((prefix + wire, "Member must not be null"))
        set_members = 0
        index = shape["w"]
        for wire, item in value.items():
            ref = index.get(wire)
            if ref is not None and item is not None:
                set_members += 1
                self._check(self._shapes[ref], item, prefix + wire, errors)
        if shape.get("u") and set_members > 1:
            errors.append((at or "(input)", "Member must have exactly one member set"))

    def _text(self, shape: Mapping[str, Any], value: Any, at: str, errors: list[tuple[str, str]]) -> None:
        """A query-string member: text (or repeated text) read as the shape's type."""
        kind = shape["t"]
        if kind == "list":
            values = value if isinstance(value, list) else [value]
            _count(shape, len(values), at, errors)
            for i, v in enumerate(values):
                self._text(self._shapes[shape["i"]], v, f"{at}.{i + 1}.member", errors)
            return
        if isinstance(value, list):
            errors.append((at, "Member must have one value"))
        elif kind in ("integer", "long"):
            try:
                number = int(value)
            except ValueError:
                errors.append((at, "Member must be an integer"))
            else:
                _range(shape, number, at, errors)
        elif kind == "boolean":
            if value not in ("true", "false"):
                errors.append((at, "Member must be a boolean"))
        elif kind == "string":
            _scalar(shape, value, at, errors)


def _scalar(shape: Mapping[str, Any], value: Any, at: str, errors: list[tuple[str, str]]) -> None:
    kind = shape["t"]
    if kind == "string":
        if not isinstance(value, str):
            errors.append((at, "Member must be a string"))
            return
        _length(shape, len(value), at, errors)
        enum = shape.get("enum")
        if enum and value not in enum:
            errors.append((at, f"Member must satisfy enum value set: [{', '.join(enum)}]"))
    elif kind in ("integer", "long", "double", "float"):
        wanted = int if kind in ("integer", "long") else (int, float)
        if isinstance(value, bool) or not isinstance(value, wanted):
            errors.append((at, f"Member must be {'an integer' if wanted is int else 'a number'}"))
        else:
            _range(shape, value, at, errors)
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append((at, "Member must be a boolean"))
    elif kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            errors.append((at, "Member must be a timestamp"))
    elif kind == "blob":
        if not isinstance(value, str):
            errors.append((at, "Member must be base64-encoded binary data"))
            return
        # The decoded size from the text's length (the handler decodes it once, refusing a character
        # outside the alphabet): a KMS Plaintext of 4 KiB is not decoded twice.
        pad = len(value) - len(value.rstrip("="))
        if len(value) % 4 or pad > 2:
            errors.append((at, "Member must be base64-encoded binary data"))
            return
        _length(shape, len(value) // 4 * 3 - pad, at, errors)


def _length(shape: Mapping[str, Any], size: int, at: str, errors: list[tuple[str, str]]) -> None:
    if "min" in shape and size < shape["min"]:
        errors.append((at, f"Member must have length greater than or equal to {shape['min']}"))
    if "max" in shape and size > shape["max"]:
        errors.append((at, f"Member must have length less than or equal to {shape['max']}"))


_count = _length


def _range(shape: Mapping[str, Any], value: float, at: str, errors: list[tuple[str, str]]) -> None:
    if "min" in shape and value < shape["min"]:
        errors.append((at, f"Member must have value greater than or equal to {shape['min']}"))
    if "max" in shape and value > shape["max"]:
        errors.append((at, f"Member must have value less than or equal to {shape['max']}"))


def _raise(errors: list[tuple[str, str]]) -> None:
    if not errors:
        return
    shown = errors[:MAX_REPORTED]
    count = f"{len(shown)} validation error{'s' if len(shown) > 1 else ''} detected: "
    detail = "; ".join(f"Value at '{_camel(at)}' failed to satisfy constraint: {why}" for at, why in shown)
    raise validation(count + detail, path=shown[0][0].split(".", 1)[0])


def _camel(path: str) -> str:
    """AWS's form of a member path in a message: each segment camelCased (``tags.2.member.tagValue``)."""
    return ".".join(part[:1].lower() + part[1:] for part in path.split("."))
