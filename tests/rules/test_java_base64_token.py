"""Java serialization probes in encodings (``JavaDeserializationRCE``): a short base64 token of a
runtime class name, and the stream magic as a hex dump.

``cnVudGltZQ`` is "runtime": a probe for a deserializer or an expression evaluator that base64-decodes
a class name from a parameter, a cookie or a header. The word is ordinary inside longer base64 text
(a source file, a JSON config uploaded as base64), so only a token of the bare name, give or take a
byte or two around it, counts; that is what these cases pin down.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.rules.test_managed_rules import PLACEMENTS, _expected_labels, counting_acl, request_with
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import CompiledWebACL, evaluate

RULE_CLASS = "JavaDeserializationRCE"
DEFAULT_ACL = Path(__file__).resolve().parents[2] / "rules" / "default-web-acl.json"

# base64 of "runtime" / "Runtime" at each byte alignment, padded, unpadded, with a byte around it.
BLOCK = (
    "cnVudGltZQ", "cnVudGltZQ==", "UnVudGltZQ==", "HJ1bnRpbWU", "BydW50aW1l", "eHJ1bnRpbWU=", "cnVudGltZTE=",
)
# The word in text, and base64 of longer text that contains it.
ALLOW = (
    "runtime",
    "Runtime error in module x",
    "cnVudGltZS5qc29u",  # "runtime.json"
    "dGhlIHJ1bnRpbWUgb2YgdGhlIHNjcmlwdCB3YXMgNSBzZWNvbmRz",  # "the runtime of the script was 5 seconds"
    "eyJydW50aW1lIjogIm5vZGVqczE4LngiLCAibWVtb3J5IjogMTI4fQ==",  # '{"runtime": "nodejs18.x", "memory": 128}'
)


@pytest.fixture(scope="module")
def counting(tmp_path_factory: pytest.TempPathFactory) -> CompiledWebACL:
    return counting_acl(tmp_path_factory.mktemp("acl"))


@pytest.fixture(scope="module")
def default_acl() -> CompiledWebACL:
    return load_web_acl(DEFAULT_ACL)


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("payload", BLOCK)
def test_a_short_token_of_the_class_name_is_labelled(
    payload: str, placement: str, counting: CompiledWebACL
) -> None:
    labels = set(evaluate(counting, request_with(payload, placement, RULE_CLASS)).labels)
    assert _expected_labels(RULE_CLASS, placement) & labels, f"{payload!r} in {placement}: {labels}"


def test_a_token_as_a_form_field_name_is_labelled(counting: CompiledWebACL) -> None:
    body = b"cnVudGltZQ=test"
    named = replace(request_with("x", "BODY", RULE_CLASS), body=body, body_size=len(body))
    assert _expected_labels(RULE_CLASS, "BODY") & set(evaluate(counting, named).labels)


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("payload", ALLOW)
def test_the_word_and_longer_base64_pass(payload: str, placement: str, default_acl: CompiledWebACL) -> None:
    decision = evaluate(default_acl, request_with(payload, placement, RULE_CLASS))
    assert not decision.blocked, f"{payload!r} in {placement}: {decision.terminating_group_rule_id}"


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_the_stream_magic_as_a_hex_dump_is_labelled(placement: str, counting: CompiledWebACL) -> None:
    """AC ED 00 05 then a TC_OBJECT / TC_ARRAY type code, written as hex (a hex-encoding sink)."""
    for payload in ("aced00057372001b6a6176612e7574696c", "ACED0005757200"):
        labels = set(evaluate(counting, request_with(payload, placement, RULE_CLASS)).labels)
        assert _expected_labels(RULE_CLASS, placement) & labels, f"{payload!r} in {placement}: {labels}"


@pytest.mark.parametrize("payload", ("facade00057372", "aced000512ab", "sha1 aced0005 is a prefix"))
def test_hex_that_is_no_stream_passes(payload: str, default_acl: CompiledWebACL) -> None:
    assert not evaluate(default_acl, request_with(payload, "QUERYARGUMENTS", RULE_CLASS)).blocked
