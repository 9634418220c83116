"""A path-carrying reader over parsed JSON/YAML, so every validation error says where it is.

Compilation walks documents through ``Node``: each access extends the JSON path, unknown keys are
refused (principle 4: never accept an option and ignore it), and type/enum/length checks raise
``WebAclError`` at the exact path.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import NoReturn

import re2 as _re  # type: ignore[import-untyped]

from wafproxy.engine.errors import WebAclError

_NAME = _re.compile(r"^[\w\-]+$")


class Node:
    """One value in a document, with its JSON path."""

    __slots__ = ("value", "path")

    def __init__(self, value: object, path: str = "$") -> None:
        self.value = value
        self.path = path

    def fail(self, reason: str) -> NoReturn:
        raise WebAclError(self.path, reason)

    # -- objects -------------------------------------------------------------------------------
    def obj(self, required: Iterable[str] = (), optional: Iterable[str] = ()) -> dict[str, object]:
        """The value as an object with exactly the allowed keys; unknown keys are errors."""
        if not isinstance(self.value, dict):
            self.fail(f"expected an object, got {_kind(self.value)}")
        req = tuple(required)
        allowed = set(req) | set(optional)
        for key in self.value:
            if key not in allowed:
                Node(None, self._key_path(str(key))).fail(
                    f"unknown or unsupported field (allowed: {', '.join(sorted(allowed)) or 'none'})"
                )
        for key in req:
            if key not in self.value:
                self.fail(f"missing required field {key}")
        return self.value

    def one_of(self, choices: Collection[str]) -> tuple[str, Node]:
        """The single key of a union object (e.g. a Statement or an Action) and its node."""
        d = self.obj(optional=choices)
        if len(d) != 1:
            self.fail(f"expected exactly one of {', '.join(sorted(choices))}, got {len(d)}")
        (key,) = d
        return key, self.at(key)

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def at(self, key: str) -> Node:
        if not isinstance(self.value, dict) or key not in self.value:
            self.fail(f"missing required field {key}")
        return Node(self.value[key], self._key_path(key))

    def opt(self, key: str) -> Node | None:
        if isinstance(self.value, dict) and key in self.value and self.value[key] is not None:
            return Node(self.value[key], self._key_path(key))
        return None

    def _key_path(self, key: str) -> str:
        return f"{self.path}.{key}"

    # -- lists ---------------------------------------------------------------------------------
    def items(self, min_len: int = 0, max_len: int | None = None) -> list[Node]:
        if not isinstance(self.value, list):
            self.fail(f"expected a list, got {_kind(self.value)}")
        if len(self.value) < min_len:
            self.fail(f"expected at least {min_len} item(s), got {len(self.value)}")
        if max_len is not None and len(self.value) > max_len:
            self.fail(f"expected at most {max_len} item(s), got {len(self.value)}")
        return [Node(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    # -- scalars -------------------------------------------------------------------------------
    def str_(self, min_len: int = 1, max_len: int | None = None) -> str:
        if not isinstance(self.value, str):
            self.fail(f"expected a string, got {_kind(self.value)}")
        if len(self.value) < min_len:
            self.fail(f"must be at least {min_len} character(s)")
        if max_len is not None and len(self.value) > max_len:
            self.fail(f"must be at most {max_len} characters, got {len(self.value)}")
        return self.value

    def name(self) -> str:
        """An AWS ``EntityName``: 1-128 characters of ``[A-Za-z0-9_-]``."""
        value = self.str_(1, 128)
        if not _NAME.match(value):
            self.fail(f"{value!r} is not a valid name (letters, digits, '_' and '-' only)")
        return value

    def int_(self, lo: int | None = None, hi: int | None = None) -> int:
        value = self.value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)  # YAML/CloudFormation sometimes quote numbers
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"expected an integer, got {_kind(self.value)}")
        if lo is not None and value < lo:
            self.fail(f"must be >= {lo}, got {value}")
        if hi is not None and value > hi:
            self.fail(f"must be <= {hi}, got {value}")
        return value

    def bool_(self) -> bool:
        if not isinstance(self.value, bool):
            self.fail(f"expected true or false, got {_kind(self.value)}")
        return self.value

    def enum(self, choices: Collection[str]) -> str:
        if not isinstance(self.value, str) or self.value not in choices:
            shown = repr(self.value) if isinstance(self.value, str) else _kind(self.value)
            self.fail(f"{shown} is not one of {', '.join(choices)}")
        return self.value

    def empty_obj(self) -> None:
        """``{}`` markers such as ``"UriPath": {}`` or ``"All": {}``."""
        self.obj()


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
