"""TempEntries: normalisation, extension, expiry, the per-set cap; atomic_write leaves no temp files."""

from __future__ import annotations

from pathlib import Path

import pytest

from wafproxy.control.persist import atomic_write
from wafproxy.control.ttl import MAX_ENTRIES_PER_SET, TempEntries, TempEntriesFull, normalize_cidr


@pytest.mark.parametrize(
    ("text", "version", "want"),
    [
        ("10.0.0.1", "IPV4", "10.0.0.1/32"),
        ("10.0.0.7/24", "IPV4", "10.0.0.0/24"),
        ("2001:db8::1", "IPV6", "2001:db8::1/128"),
        (" 192.0.2.9 ", None, "192.0.2.9/32"),
    ],
)
def test_normalize(text: str, version: str | None, want: str) -> None:
    assert normalize_cidr(text, version) == want


@pytest.mark.parametrize(("text", "version"), [("2001:db8::1", "IPV4"), ("10.0.0.1", "IPV6"), ("nope", None)])
def test_normalize_refuses(text: str, version: str | None) -> None:
    with pytest.raises(ValueError):
        normalize_cidr(text, version)


def test_expiry_extension_and_cap() -> None:
    t = TempEntries()
    assert t.add("s", ["10.0.0.1/32"], 100.0) == 1
    assert t.add("s", ["10.0.0.1/32"], 50.0) == 0  # never shortens an existing block
    assert t.entries("s") == {"10.0.0.1/32": 100.0}
    assert t.active("s", 99.0) == ["10.0.0.1/32"] and t.active("s", 100.0) == []
    assert t.next_expiry() == 100.0 and t.expire(100.0) == 1 and t.next_expiry() is None
    t.add("s", [f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}/32" for i in range(MAX_ENTRIES_PER_SET)], 10.0)
    with pytest.raises(TempEntriesFull):
        t.add("s", ["192.0.2.1/32"], 10.0)
    assert TempEntries.from_json({"s": {"10.0.0.1/32": 5}}).dump() == b'{"s": {"10.0.0.1/32": 5.0}}'


def test_atomic_write_replaces_without_leftovers(tmp_path: Path) -> None:
    target = tmp_path / "d" / "f.json"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]
