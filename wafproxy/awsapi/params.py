"""Typed access to a JSON request body, with AWS ``ValidationException`` naming the bad field.

Handlers never index raw dicts: ``Params(body).str("KeyId")`` returns a ``str`` or raises an
``AwsError`` whose ``path`` is the field, so every service validates the same way.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal, overload

from wafproxy.awsapi.errors import AwsError, validation

# The accessor methods are named after the JSON types they return; aliases keep annotations clear.
_Str = str
_Int = int
_Bool = bool


class Params:
    """A parsed JSON 1.1 request body; accessors validate type and presence."""

    __slots__ = ("_raw",)

    def __init__(self, raw: dict[_Str, Any]) -> None:
        self._raw = raw

    def has(self, name: _Str) -> _Bool:
        return self._raw.get(name) is not None

    def keys(self) -> set[_Str]:
        return {k for k, v in self._raw.items() if v is not None}

    def _get(self, name: _Str, required: _Bool) -> Any:
        value = self._raw.get(name)
        if value is None and required:
            raise validation(
                f"1 validation error detected: Value null at '{_camel(name)}' failed to satisfy "
                "constraint: Member must not be null",
                path=name,
            )
        return value

    @overload
    def str(
        self, name: _Str, *, required: Literal[True] = ..., default: None = ..., max_len: _Int = ...
    ) -> _Str: ...
    @overload
    def str(self, name: _Str, *, required: _Bool = ..., default: _Str, max_len: _Int = ...) -> _Str: ...
    @overload
    def str(
        self, name: _Str, *, required: Literal[False], default: None = ..., max_len: _Int = ...
    ) -> _Str | None: ...
    def str(
        self, name: _Str, *, required: _Bool = True, default: _Str | None = None, max_len: _Int = 8192
    ) -> _Str | None:
        value = self._get(name, required)
        if value is None:
            return default
        if not isinstance(value, _Str) or not value or len(value) > max_len:
            raise validation(f"Value at '{_camel(name)}' must be a string of length 1..{max_len}", path=name)
        return value

    def int(
        self,
        name: _Str,
        *,
        required: _Bool = True,
        default: _Int | None = None,
        lo: _Int | None = None,
        hi: _Int | None = None,
    ) -> Any:
        value = self._get(name, required)
        if value is None:
            return default
        if not isinstance(value, _Int) or isinstance(value, _Bool):
            raise validation(f"Value at '{_camel(name)}' must be an integer", path=name)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise validation(
                f"1 validation error detected: Value '{value}' at '{_camel(name)}' failed to satisfy "
                f"constraint: Member must have value between {lo} and {hi}",
                path=name,
            )
        return value

    def bool(self, name: _Str, *, default: _Bool = False) -> _Bool:
        value = self._get(name, False)
        if value is None:
            return default
        if not isinstance(value, _Bool):
            raise validation(f"Value at '{_camel(name)}' must be a boolean", path=name)
        return value

    def blob(self, name: _Str, *, required: _Bool = True, max_len: _Int = 6144) -> Any:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, _Str):
            raise validation(f"Value at '{_camel(name)}' must be base64 text", path=name)
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise AwsError("SerializationException", f"{name} is not valid base64", path=name) from None
        if not 1 <= len(data) <= max_len:
            raise validation(
                f"1 validation error detected: Value at '{_camel(name)}' failed to satisfy constraint: "
                f"Member must have length between 1 and {max_len}",
                path=name,
            )
        return data

    def str_map(self, name: _Str, *, max_items: _Int = 64) -> dict[_Str, _Str]:
        value = self._get(name, False)
        if value is None:
            return {}
        if (
            not isinstance(value, dict)
            or len(value) > max_items
            or not all(isinstance(k, _Str) and isinstance(v, _Str) for k, v in value.items())
        ):
            raise validation(f"Value at '{_camel(name)}' must map strings to strings", path=name)
        return dict(value)

    def str_list(self, name: _Str, *, required: _Bool = False, max_items: _Int = 64) -> list[_Str]:
        value = self._get(name, required)
        if value is None:
            return []
        if (
            not isinstance(value, list)
            or len(value) > max_items
            or not all(isinstance(v, _Str) and v for v in value)
        ):
            raise validation(f"Value at '{_camel(name)}' must be a list of strings", path=name)
        return list(value)

    def list_of_dicts(self, name: _Str, *, max_items: _Int = 64) -> list[dict[_Str, Any]]:
        value = self._get(name, False)
        if value is None:
            return []
        if (
            not isinstance(value, list)
            or len(value) > max_items
            or not all(isinstance(v, dict) for v in value)
        ):
            raise validation(f"Value at '{_camel(name)}' must be a list of objects", path=name)
        return list(value)

    def raw(self, name: _Str) -> Any:
        return self._raw.get(name)

    def as_dict(self) -> dict[_Str, Any]:
        """A shallow copy of the whole request (idempotency compares a retry with the first call)."""
        return dict(self._raw)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]
