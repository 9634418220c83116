"""positional_init: the same instance the dataclass's own constructor builds, for less work."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from wafproxy.engine.request import WafRequest
from wafproxy.slotinit import positional_init


@dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 7
    tag: str | None = None


def test_fills_named_fields_in_order_and_defaults_the_rest() -> None:
    make = positional_init(Point, ("x",))
    made = make(3)
    assert made == Point(3) and repr(made) == repr(Point(3)) and type(made) is Point
    assert positional_init(Point, ("tag", "x"))("t", 1) == Point(1, tag="t")


def test_result_stays_immutable() -> None:
    made = positional_init(Point, ("x", "y"))(1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.x = 5  # type: ignore[misc]


def test_a_waf_request_equals_the_constructed_one_field_for_field() -> None:
    names = ("client_ip", "method", "uri_path", "query_string", "headers", "body", "body_size",
             "http_version", "scheme", "request_id", "peer_ip")
    values = ("198.51.100.4", "POST", "/a", "q=1", (("Host", "x"),), b"body", 9, "1.0", "https", "id-1",
              "10.0.0.1")
    made = positional_init(WafRequest, names)(*values)
    reference = WafRequest(**dict(zip(names, values, strict=True)))
    assert made == reference
    for f in dataclasses.fields(WafRequest):
        assert getattr(made, f.name) == getattr(reference, f.name), f.name
    assert made.header("host") == "x" and made.body_truncated


def test_refuses_what_it_cannot_fill() -> None:
    with pytest.raises(TypeError, match="no field"):
        positional_init(Point, ("x", "z"))
    with pytest.raises(TypeError, match="Point.x has no plain default"):
        positional_init(Point, ("y",))

    @dataclass(frozen=True, slots=True)
    class WithFactory:
        a: int
        items: list[int] = field(default_factory=list)

    with pytest.raises(TypeError, match="items has no plain default"):
        positional_init(WithFactory, ("a",))
