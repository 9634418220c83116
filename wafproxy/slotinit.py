"""Positional constructors for frozen slotted dataclasses built once per request.

A frozen dataclass's generated ``__init__`` sets each field with ``object.__setattr__(self, name,
value)``: a generic attribute store that looks the slot up by name every time. For the 16 fields
of a ``WafRequest`` that is ~27,000 machine instructions (callgrind), about 8 % of everything the
proxy does for a request with an empty web ACL (issue 11). Calling each slot's member descriptor
directly stores the same values for a tenth of that. The result is an ordinary instance of the
class: same fields, same equality and repr, still immutable (only these setters bypass the
frozen check, exactly as the generated ``__init__`` does).

``positional_init(cls, names)`` returns ``make(*values)`` filling ``names`` in that order and
every other field with its declared default; it refuses a class whose fields it cannot fill (a
field without a default left out, a ``default_factory``), so a field added to the class later
either gets its default or fails at import, never silently stays unset.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def positional_init(cls: type[T], names: Sequence[str]) -> Callable[..., T]:
    """``make(v1, v2, ...)``: a ``cls`` with ``names[i] = vi`` and the other fields' defaults."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = [n for n in names if n not in fields]
    if unknown:
        raise TypeError(f"{cls.__name__} has no field(s) {unknown}")
    defaults: dict[str, Any] = {}
    for name, f in fields.items():
        if name in names:
            continue
        if f.default is dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{name} has no plain default: pass it")
        defaults[name] = f.default
    # A plain twin class with the same slots: its attribute stores are ordinary slot stores, which
    # the interpreter specialises (STORE_ATTR_SLOT), instead of 16 calls of a member descriptor's
    # ``__set__``; then the instance becomes a ``cls`` (same layout: ``__class__`` assignment is
    # allowed and checked by CPython), frozen from there on like any other.
    slots = tuple(cls.__dict__["__slots__"])
    twin = type(f"_{cls.__name__}Twin", (object,), {"__slots__": slots})
    namespace: dict[str, Any] = {"_new": object.__new__, "_twin": twin, "_cls": cls}
    lines = [f"def make({', '.join(f'v{i}' for i in range(len(names)))}):", "    obj = _new(_twin)"]
    for i, name in enumerate(names):
        lines.append(f"    obj.{name} = v{i}")
    for name in defaults:
        namespace[f"_d_{name}"] = defaults[name]
        lines.append(f"    obj.{name} = _d_{name}")
    lines.append("    obj.__class__ = _cls")
    lines.append("    return obj")
    exec("\n".join(lines), namespace)  # noqa: S102 - generated from the class's own field names
    make: Callable[..., T] = namespace["make"]
    make.__doc__ = f"A {cls.__name__} from ({', '.join(names)}); other fields take their defaults."
    return make
