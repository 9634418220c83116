"""Issue 15's own sets through the default web ACL, in-process (the bytes ``waf_eval.py`` sends).

- Every attack family of ``attack_sets.py`` is ≥ 95 % blocked; every class of ``placed_sets.py``
  (each payload in every placement and encoding) ≥ 98 %.
- No case of the benign generator (``benign_sets.py``, ≥ 5,000 cases) is blocked, by a regex rule
  or by a libinjection detector (JSX ``<button onClick={onClick}>`` included).
- Body-only look-alikes: text areas with memo headers, a multipart upload's own part headers.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.rules import corpuskit as ck
from tests.rules.attack_sets import FAMILIES, all_cases
from tests.rules.benign_sets import benign_cases
from tests.rules.placed_sets import CLASSES as PLACED_CLASSES
from tests.rules.placed_sets import placed_cases
from tests.rules.setkit import Body, cases
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import CompiledWebACL

pytestmark = pytest.mark.skipif(not ck.available(), reason="../shared/tools/waf_eval.py not present")

# Rules whose verdict is libinjection's (the engine's detectors), not a managed regex.
DETECTOR_RULES = ("SQLi_", "CrossSiteScripting_")


@pytest.fixture(scope="module")
def acl() -> CompiledWebACL:
    return load_web_acl(ck.DEFAULT_ACL)


@pytest.fixture(scope="module")
def benign_outcomes(acl: CompiledWebACL) -> tuple[ck.Outcome, ...]:
    return tuple(ck.run(acl, benign_cases()))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_attack_family_is_blocked(family: str, acl: CompiledWebACL) -> None:
    rows = [c for c in all_cases() if c["family"] == family]
    outcomes = list(ck.run(acl, rows))
    missed = [o.case["id"] for o in outcomes if not o.blocked]
    rate = 1 - len(missed) / len(outcomes)
    assert rate >= 0.95, f"{family}: {100 * rate:.1f} % blocked; missed {missed}"


@pytest.mark.parametrize("family", sorted(PLACED_CLASSES))
def test_every_placement_and_encoding_is_blocked(family: str, acl: CompiledWebACL) -> None:
    """``placed_sets``: a class's payloads plain, URL-encoded, base64, \\u-escaped or as XML character
    references, in every placement that carries them, ≥ 98 % blocked (and per encoding ≥ 95 %)."""
    outcomes = list(ck.run(acl, [c for c in placed_cases() if c["family"] == f"placed-{family}"]))
    missed = [o.case["id"] for o in outcomes if not o.blocked]
    assert 1 - len(missed) / len(outcomes) >= 0.98, missed
    per_encoding = Counter(o.case["shape"].split(":")[0] for o in outcomes)
    for encoding, n in per_encoding.items():
        lost = sum(1 for m in missed if f"/{encoding}/" in m)
        assert 1 - lost / n >= 0.95, (encoding, [m for m in missed if f"/{encoding}/" in m])


def test_benign_generator_is_large_and_varied() -> None:
    rows = benign_cases()
    assert len(rows) >= 5000
    ids = [r["id"] for r in [*rows, *all_cases(), *placed_cases()]]
    assert len(ids) == len(set(ids)), "case ids must be unique (waf_eval joins its details by id)"
    shapes = Counter(r["shape"] for r in rows)
    for placement in (
        "URLParam",
        "HTMLForm",
        "HTMLMultipartForm",
        "JSONRequest",
        "Header",
        "Cookie",
        "URLPath",
        "Body",
    ):
        assert shapes[placement] > 0, placement


def test_benign_generator_passes_every_regex_rule(benign_outcomes: tuple[ck.Outcome, ...]) -> None:
    blocked = [
        (o.case["id"], o.rule) for o in benign_outcomes if o.blocked and not o.rule.startswith(DETECTOR_RULES)
    ]
    assert not blocked, blocked


def test_benign_generator_passes_the_detectors(benign_outcomes: tuple[ck.Outcome, ...]) -> None:
    blocked = [(o.case["id"], o.rule) for o in benign_outcomes if o.blocked]
    assert not blocked, blocked[:20]


_FORM = "application/x-www-form-urlencoded"
_EML = (
    "From: Ann <ann@example.com>\r\nTo: bob@example.com\r\nSubject: hi\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n"
)
# Text areas and uploads: line breaks and header-like lines are ordinary in bodies.
BODY_LOOKALIKES = (
    Body("message=MEMO%0D%0ATo%3A%20All%20staff%0D%0AFrom%3A%20HR%0D%0ASubject%3A%20Holidays", _FORM),
    Body(
        "message=Hi%2C%0D%0A%0D%0A----%20Forwarded%20----%0D%0AFrom%3A%20Ann%20%3Cann%40example.com%3E%0D%0ADate%3A%20Mon",
        _FORM,
    ),
    Body("notes=Data%0D%0AQuit%20smoking%20plan%0D%0A1%20Select%20a%20date", _FORM),
    Body('{"message": "Dear team,\\nTo: all of you, thanks!\\nBest"}'),
    Body(
        '--b\r\nContent-Disposition: form-data; name="note"\r\n\r\nsee attached\r\n--b\r\n'
        'Content-Disposition: form-data; name="file"; filename="notes.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
        "line one\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
    ),
    Body(
        '--b\r\nContent-Disposition: form-data; name="mail"; filename="m.eml"\r\n'
        "Content-Type: message/rfc822\r\n\r\n"
        + _EML
        + "\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
    ),
)


def test_body_lookalikes_pass(acl: CompiledWebACL) -> None:
    rows = cases("own-benign", "body-lookalike", BODY_LOOKALIKES, "allow")
    blocked = [(o.case["id"], o.rule) for o in ck.run(acl, rows) if o.blocked]
    assert not blocked, blocked
