"""The registry of text transformations: AWS ``TextTransformation.Type`` name -> pure function.

Each transformation is a small ``str -> str`` function in its own family module, registered here
by its AWS name with ``@register("NAME")`` (the coraza model: one operator, one name, one example).
The registry is filled at import time and frozen behind a read-only mapping, so the compiler can
validate a rule's ``Type`` with a plain ``in TRANSFORMS`` and the evaluator never mutates it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

Transform = Callable[[str], str]

_REGISTRY: dict[str, Transform] = {}

#: Read-only view of the registry; complete once ``wafproxy.engine.transforms`` is imported.
TRANSFORMS = MappingProxyType(_REGISTRY)


def register(name: str) -> Callable[[Transform], Transform]:
    """Register ``func`` under the AWS type ``name``; a duplicate name is a programming error."""

    def decorate(func: Transform) -> Transform:
        if name in _REGISTRY:
            raise ValueError(f"text transformation {name!r} registered twice")
        _REGISTRY[name] = func
        return func

    return decorate
