"""The identity fast path (transforms/identity.py) against the registered transformations.

If a transformation changes so that it can alter a value its entry calls safe, these fail: the
fast path would otherwise silently skip work the rule relies on.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine.test_engine_bench import GET, POST
from wafproxy.engine.transforms import TRANSFORMS, apply_chain
from wafproxy.engine.transforms.identity import UNCHANGED_UNLESS, unchanged_guard

_CHARS = list("aZ09 /.=%+&;#\\xu\x00\t\n\xa0éＡﬁ<>'\"")
_ALPHABET = st.sampled_from(_CHARS + ["%41", "&lt;", "\\u0041", "%u0041"])
_TEXT = st.lists(_ALPHABET, max_size=12).map("".join)


@pytest.mark.parametrize("name", sorted(UNCHANGED_UNLESS))
def test_every_entry_is_a_registered_transformation(name: str) -> None:
    assert name in TRANSFORMS


@pytest.mark.parametrize("name", sorted(UNCHANGED_UNLESS))
@settings(max_examples=300, deadline=None)
@given(value=_TEXT)
def test_guard_true_means_unchanged(name: str, value: str) -> None:
    guard = unchanged_guard((name,))
    assert guard is not None
    if guard(value):
        assert TRANSFORMS[name](value) == value


@settings(max_examples=300, deadline=None)
@given(chain=st.lists(st.sampled_from(sorted(UNCHANGED_UNLESS)), min_size=1, max_size=5), value=_TEXT)
def test_chain_guard_true_means_chain_unchanged(chain: list[str], value: str) -> None:
    guard = unchanged_guard(tuple(chain))
    assert guard is not None
    if guard(value):
        assert apply_chain(tuple(chain), value) == value


@pytest.mark.parametrize(
    ("chain", "value"),
    [
        (("URL_DECODE",), "a%41"),
        (("URL_DECODE_UNI",), "a+b"),
        (("HTML_ENTITY_DECODE",), "&lt;"),
        (("UNICODE_ESCAPE_DECODE",), "\\u0041"),
        (("NFKC_NORMALIZE",), "Ａ"),
        (("REMOVE_NULLS",), "a\x00b"),
        (("LOWERCASE",), "Select"),
        (("URL_DECODE", "LOWERCASE"), "%53elect"),
    ],
)
def test_guard_false_where_the_chain_acts(chain: tuple[str, ...], value: str) -> None:
    guard = unchanged_guard(chain)
    assert guard is not None and not guard(value)
    assert apply_chain(chain, value) != value


def test_unknown_step_makes_the_chain_unguarded() -> None:
    assert unchanged_guard(("URL_DECODE", "CMD_LINE")) is None
    assert unchanged_guard(("BASE64_DECODE_EMBEDDED",)) is None
    assert unchanged_guard(()) is None


def test_default_acl_decisions_equal_with_and_without_fast_path(monkeypatch, default_acl) -> None:
    """Whole-ACL check: the shipped default web ACL decides identically when every slot's guard
    is turned off (every chain applied in full)."""
    from wafproxy.engine import evaluate
    from wafproxy.engine.slots import Slot

    attacks = [
        dataclasses.replace(GET, query_string="q=%27%20OR%201%3D1--"),
        dataclasses.replace(GET, query_string="q=%3Cscript%3Ealert(1)%3C/script%3E"),
        dataclasses.replace(GET, uri_path="/a/..%2f..%2fetc/passwd"),
        dataclasses.replace(GET, query_string="x=&lt;svg/onload=alert(1)&gt;"),
        dataclasses.replace(GET, query_string="x=\\u003cscript\\u003e"),
        dataclasses.replace(POST, body=b"a=1&b=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"),
    ]
    requests = [GET, POST, *attacks]
    fast = [evaluate(default_acl, r) for r in requests]
    seen: set[int] = set()
    for group in default_acl.groups:
        slot: Slot | None = group.slot
        while slot is not None and id(slot) not in seen:
            seen.add(id(slot))
            monkeypatch.setattr(slot, "unchanged", None)
            slot = slot.parent
    slow = [evaluate(default_acl, r) for r in requests]
    assert [d.action for d in fast] == [d.action for d in slow]
    assert [d.terminating_rule_id for d in fast] == [d.terminating_rule_id for d in slow]
    assert [d.labels for d in fast] == [d.labels for d in slow]
    assert any(d.action.value == "BLOCK" for d in fast)  # the attacks exercise decoding chains


@pytest.fixture(scope="module")
def default_acl():
    from pathlib import Path

    from wafproxy.aclfiles import load_web_acl

    return load_web_acl(Path(__file__).resolve().parents[2] / "rules" / "default-web-acl.json")


def _class_guard(chain: tuple[str, ...]):
    """The definition: no trigger character (one regex class), and ASCII where a step asks."""
    import re

    triggers: set[str] = set()
    ascii_only = False
    for name in chain:
        chars, needs_ascii = UNCHANGED_UNLESS[name]
        triggers.update(chars)
        ascii_only = ascii_only or needs_ascii
    search = (
        re.compile("[" + "".join(re.escape(c) for c in sorted(triggers)) + "]").search if triggers else None
    )
    return lambda v: (not ascii_only or v.isascii()) and (search is None or search(v) is None)


@settings(max_examples=1500, deadline=None)
@given(
    chain=st.lists(st.sampled_from(sorted(UNCHANGED_UNLESS)), min_size=1, max_size=5),
    value=st.one_of(_TEXT, st.text(max_size=12), st.sampled_from(["\udcff", "É", "ſ", "K", "Ａ"])),
)
def test_guard_equals_its_character_class_definition(chain: list[str], value: str) -> None:
    guard = unchanged_guard(tuple(chain))
    assert guard is not None
    assert guard(value) == _class_guard(tuple(chain))(value)
