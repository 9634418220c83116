"""JSON bodies (AWS ``JsonBody``): flatten into keys and leaves, or say exactly where it is invalid.

A document becomes ``JsonKey``s (every object member name, with its RFC 6901 pointer) and
``JsonLeaf``s (every scalar: strings decoded, numbers exactly as written, ``true``/``false``/
``null`` as those words), in document order, so ``MatchScope`` KEY / VALUE / ALL and
``IncludedPaths`` can be applied by the engine. Duplicate member names are all kept (an attacker
must not hide a value behind a later duplicate).

Invalid JSON is a value, not an exception: ``InvalidJson(offset, reason, partial)`` where
``offset`` is the byte offset of the first invalid position and ``partial`` everything parsed
before it — the engine applies ``InvalidFallbackBehavior`` (EVALUATE_AS_STRING / MATCH /
NO_MATCH), and a body cut at the inspection limit still yields its complete leading leaves.
Nesting deeper than ``max_depth`` is reported as invalid (at the offending bracket); past
``max_items`` keys + leaves, the rest is dropped and ``truncated`` is set.

Speed: valid documents go through the C ``json`` parser and an iterative flattener; only invalid
or too-deep ones take the pure-Python validating parser (bounded by the inspection limit). Both
produce identical output for valid input (tested).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import NamedTuple

from wafproxy.engine.transforms import from_bytes, to_bytes


class JsonKey(NamedTuple):
    """An object member name; ``pointer`` is the member's pointer (``/user/name``).

    Named tuples, not frozen dataclasses: a JSON body makes one per member and scalar, and a
    frozen dataclass's ``__init__`` (``object.__setattr__`` per field) cost more than the parse."""

    pointer: str
    key: str


class JsonLeaf(NamedTuple):
    """A scalar; ``key`` is the member name it is the value of (None inside arrays / at the root)."""

    pointer: str
    key: str | None
    value: str


@dataclass(frozen=True, slots=True)
class JsonDocument:
    keys: tuple[JsonKey, ...]
    leaves: tuple[JsonLeaf, ...]
    truncated: bool = False  # max_items reached: later keys/leaves are not here


@dataclass(frozen=True, slots=True)
class InvalidJson:
    offset: int  # byte offset into the body
    reason: str
    partial: JsonDocument


def _escape(token: str) -> str:
    """RFC 6901: ``~`` -> ``~0``, ``/`` -> ``~1``."""
    return token.replace("~", "~0").replace("/", "~1") if "~" in token or "/" in token else token


class _Pairs(list):  # type: ignore[type-arg]
    """An object as its member list, duplicates kept (``object_pairs_hook``)."""


_SCALARS = {None: "null", True: "true", False: "false"}


class _Builder:
    __slots__ = ("keys", "leaves", "max_items", "truncated")

    def __init__(self, max_items: int) -> None:
        self.keys: list[JsonKey] = []
        self.leaves: list[JsonLeaf] = []
        self.max_items = max_items
        self.truncated = False

    def _room(self) -> bool:
        if len(self.keys) + len(self.leaves) >= self.max_items:
            self.truncated = True
            return False
        return True

    def key(self, pointer: str, key: str) -> None:
        if self._room():
            self.keys.append(JsonKey(pointer, key))

    def leaf(self, pointer: str, key: str | None, value: str) -> None:
        if self._room():
            self.leaves.append(JsonLeaf(pointer, key, value))

    def document(self) -> JsonDocument:
        return JsonDocument(tuple(self.keys), tuple(self.leaves), self.truncated)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


#: The parser's own caps (defaults of ``parse_json``): the edge's ``ContentLimits`` refuse a body
#: past them (or past lower settings) before the engine parses it (docs/operations.md).
MAX_DEPTH = 64
MAX_ITEMS = 10000


def parse_json(
    body: bytes, *, max_depth: int = MAX_DEPTH, max_items: int = MAX_ITEMS
) -> JsonDocument | InvalidJson:
    """``b'{"a":[1,"x"]}'`` -> keys ``/a``; leaves ``/a/0`` = ``"1"``, ``/a/1`` = ``"x"``."""
    text = from_bytes(body)
    if text.startswith("\ufeff"):
        text = text[1:]  # a UTF-8 BOM is not content (RFC 8259 §8.1 allows ignoring it)
    try:
        tree = json.loads(
            text, object_pairs_hook=_Pairs, parse_int=str, parse_float=str, parse_constant=_reject_constant
        )
    except (ValueError, RecursionError):
        return _parse_slow(text, body, max_depth, max_items)
    builder = _Builder(max_items)
    if not _flatten(tree, builder, max_depth):
        return _parse_slow(text, body, max_depth, max_items)  # too deep: find where, keep partial
    return builder.document()


def _flatten(tree: object, out: _Builder, max_depth: int) -> bool:
    """Depth-first, document order, no recursion. False when nesting exceeds ``max_depth``.

    The builder's ``key``/``leaf`` are inlined (one list append each, the item budget a local
    counter): this loop runs once per member and scalar of every JSON body inspected."""
    keys, leaves = out.keys, out.leaves
    room = out.max_items - len(keys) - len(leaves)
    stack = [iter((("", None, tree),))]
    pairs, scalars, escape = _Pairs, _SCALARS, _escape
    new = tuple.__new__  # the named tuples without their Python ``__new__`` frame
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
            continue
        pointer, key, value = item
        if key is not None:
            if room > 0:
                keys.append(new(JsonKey, (pointer, key)))
                room -= 1
            else:
                out.truncated = True
        if value.__class__ is str:
            if room > 0:
                leaves.append(new(JsonLeaf, (pointer, key, value)))
                room -= 1
            else:
                out.truncated = True
        elif value.__class__ is pairs:
            if len(stack) > max_depth:
                return False
            stack.append(
                iter([(f"{pointer}/{escape(k) if '~' in k or '/' in k else k}", k, v) for k, v in value])  # type: ignore[attr-defined]
            )
        elif value.__class__ is list:
            if len(stack) > max_depth:
                return False
            stack.append(iter([(f"{pointer}/{i}", None, v) for i, v in enumerate(value)]))  # type: ignore[call-overload]
        elif room > 0:
            leaves.append(new(JsonLeaf, (pointer, key, scalars[value])))  # type: ignore[index]
            room -= 1
        else:
            out.truncated = True
    return True


# --- the validating parser (invalid or too-deep input only) --------------------------------------
# Token regexes: the string body is a star over two disjoint alternatives (a plain char, or one
# escape), so a failed match costs one linear pass — never exponential.
_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"((?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*)"')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERALS = ("true", "false", "null")


def _parse_slow(text: str, body: bytes, max_depth: int, max_items: int) -> JsonDocument | InvalidJson:
    out = _Builder(max_items)
    frames: list[list] = []  # type: ignore[type-arg]  # [is_object, pointer, index]
    state, pointer, key, pos, end = "value", "", None, 0, len(text)

    def fail(at: int, reason: str) -> InvalidJson:
        if at >= end:
            reason = "unexpected end of input (truncated body?)"
        offset = len(to_bytes(text[:at])) + (3 if body.startswith(b"\xef\xbb\xbf") else 0)
        return InvalidJson(offset, reason, out.document())

    while True:
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        char = text[pos : pos + 1]
        if state == "value":
            if char in ("{", "["):
                if len(frames) >= max_depth:
                    return fail(pos, f"nesting deeper than {max_depth}")
                frames.append([char == "{", pointer, 0])
                pos, state = pos + 1, "first"
                continue
            if char == '"':
                match = _STRING.match(text, pos)
                if match is None:
                    return fail(pos, "invalid string")
                value = json.loads(match.group(0))
            elif (match := _NUMBER.match(text, pos)) is not None and match.end() > pos:
                value = match.group(0)
            else:
                value = next((lit for lit in _LITERALS if text.startswith(lit, pos)), "")
                if not value:
                    return fail(pos, "expected a value")
                match = None
            out.leaf(pointer, key, value)
            pos = match.end() if match is not None else pos + len(value)
            state = "after"
        elif state == "first":
            is_object, base, _ = frames[-1]
            if char == ("}" if is_object else "]"):
                frames.pop()
                pos, state = pos + 1, "after"
            elif is_object:
                state = "key"
            else:
                pointer, key, state = f"{base}/0", None, "value"
        elif state == "key":
            match = _STRING.match(text, pos)
            if match is None:
                return fail(pos, "expected a member name")
            key = json.loads(match.group(0))
            pos = _WS.match(text, match.end()).end()  # type: ignore[union-attr]
            if text[pos : pos + 1] != ":":
                return fail(pos, "expected ':'")
            pointer = f"{frames[-1][1]}/{_escape(key)}"
            out.key(pointer, key)
            pos, state = pos + 1, "value"
        else:  # after a value
            if not frames:
                return out.document() if pos >= end else fail(pos, "extra data after the document")
            frame = frames[-1]
            if char == ",":
                frame[2] += 1
                pos += 1
                if frame[0]:
                    state = "key"
                else:
                    pointer, key, state = f"{frame[1]}/{frame[2]}", None, "value"
            elif char == ("}" if frame[0] else "]"):
                frames.pop()
                pos += 1
            else:
                return fail(pos, "expected ',' or '" + ("}" if frame[0] else "]") + "'")
