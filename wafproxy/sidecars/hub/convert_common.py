"""What the GuardDuty and Inspector2 converters share: key lookup in either casing, timestamps in
any of the forms boto3 or JSON give them, and the route resource correlation joins on."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from wafproxy.sidecars.hub.asff import iso, parse_time

ROUTE_PREFIX = "route:"
ROUTE_TYPE = "Other"
MAX_ROUTE = 256


class ConversionError(ValueError):
    """The producer's finding lacks what ASFF needs; ``field`` names it in the source shape."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def get(d: Any, name: str) -> Any:
    """``d[name]`` in the model's casing (``Severity``) or the wire's (``severity``)."""
    if not isinstance(d, Mapping):
        return None
    value = d.get(name)
    if value is None:
        value = d.get(name[:1].lower() + name[1:])
        if value is None:
            value = d.get(name[:1].upper() + name[1:])
    return value


def dig(d: Any, *path: str) -> Any:
    for name in path:
        d = get(d, name)
        if d is None:
            return None
    return d


def timestamp(value: Any, field: str) -> str:
    """ISO text, a ``datetime`` (boto3) or epoch seconds → canonical ASFF time."""
    if isinstance(value, datetime):
        return iso(value.timestamp())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return iso(float(value))
    if isinstance(value, str):
        return parse_time(value, field)
    raise ConversionError(field, "missing or not a timestamp")


def route_of(value: Any) -> str | None:
    """A request path (``/admin``, or the path of a URL) → the ``route:/admin`` resource id."""
    if not isinstance(value, str) or not value:
        return None
    path = urlsplit(value).path if value.startswith(("http://", "https://")) else value.split("?", 1)[0]
    if not path.startswith("/"):
        return None
    return ROUTE_PREFIX + path[:MAX_ROUTE]


def route_resource(route: str) -> dict[str, Any]:
    return {"Type": ROUTE_TYPE, "Id": route, "Details": {"Other": {"Route": route[len(ROUTE_PREFIX) :]}}}
