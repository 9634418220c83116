"""``PlainLines`` writes the very bytes ``json.dumps(to_log_record(...))`` writes, or declines.

Varied events (random strings with quotes, backslashes, control and non-ASCII characters, every
redaction, labels, custom responses, fingerprints, matches that make an event not plain) go through
both paths; the fast one must be taken for every plain event and agree with the general one.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from tests.observability import factories as f
from wafproxy.engine.decision import Action, CustomResponse, Decision, RuleType
from wafproxy.events import RequestEvent
from wafproxy.observability.redaction import DEFAULT_REDACTION, Redaction, parse_redacted_fields
from wafproxy.observability.waflog import to_log_record
from wafproxy.observability.waflog_line import PlainLines
from wafproxy.observability.waflog_writer import WafLogWriter

ALPHABET = 'abcXYZ019 -_/?=&;:"\\\'<>{}[]\t\r\n\x00\x1f\x7fé€日本\U0001f600'


def _text(rnd: random.Random, n: int = 12) -> str:
    return "".join(rnd.choice(ALPHABET) for _ in range(rnd.randrange(n)))


def _general(event: RequestEvent, redaction: Redaction, acl_id: str | None, source_id: str) -> bytes:
    record = to_log_record(event, redacted_fields=redaction, web_acl_id=acl_id, http_source_id=source_id)
    return json.dumps(record, separators=(",", ":")).encode("ascii") + b"\n"


def _event(rnd: random.Random) -> tuple[RequestEvent, bool]:
    """A random event and whether it is plain (no match, evidence or inserted header)."""
    names = ["Host", "User-Agent", "Cookie", "authorization", "X-Api-Key", _text(rnd, 6)]
    headers = tuple((rnd.choice(names), _text(rnd, 30)) for _ in range(rnd.randrange(6)))
    request = f.request(method=rnd.choice(["GET", "POST", _text(rnd, 5)]), uri_path="/" + _text(rnd),
                        query_string=_text(rnd), headers=headers, body=b"x" * rnd.randrange(5),
                        body_size=rnd.randrange(10_000),
                        http_version=rnd.choice(["1.1", "2", "HTTP/1.0", "3"]), request_id=_text(rnd, 8),
                        client_ip=rnd.choice(["203.0.113.7", "2001:db8::1"]),
                        ja3_fingerprint=rnd.choice([None, _text(rnd)]),
                        ja4_fingerprint=rnd.choice([None, "t13d"]))
    plain = rnd.random() < 0.7
    if plain:
        decision = Decision(
            rnd.choice([Action.ALLOW, Action.BLOCK, Action.CAPTCHA]),
            rnd.choice(["Default_Action", "RateRule", _text(rnd)]),
            rnd.choice(list(RuleType)),
            labels=tuple(_text(rnd) for _ in range(rnd.randrange(3))),
            custom_response=rnd.choice([None, CustomResponse(rnd.choice([403, 429, 200]))]),
            oversize=rnd.random() < 0.2,
        )
    else:
        inserted = Decision(Action.ALLOW, inserted_headers=(("x-a", "1"),))
        decision = rnd.choice([f.blocked_decision(), inserted])
    event = RequestEvent(rnd.uniform(1.6e9, 1.8e9), _text(rnd, 10), request, decision,
                         rnd.choice([200, 403, 502]), 1e-5, rnd.choice([None, 0.002]),
                         rnd.choice(["PROXY", "MIDDLEWARE"]))
    return event, plain


REDACTIONS = [
    DEFAULT_REDACTION,
    Redaction(frozenset()),
    parse_redacted_fields([{"UriPath": {}}, {"QueryString": {}}, {"Method": {}},
                           {"SingleHeader": {"Name": "Host"}}]),
]


def test_plain_lines_are_the_general_paths_bytes() -> None:
    rnd = random.Random(11)
    lines = PlainLines()
    fast = 0
    for i in range(3000):
        event, plain = _event(rnd)
        redaction = REDACTIONS[i % len(REDACTIONS)]
        acl_id = rnd.choice([None, "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/main/1"])
        expected = _general(event, redaction, acl_id, "wafproxy")
        got = lines.line(event, redaction, acl_id, "wafproxy")
        if plain:
            assert got == expected, (got, expected)
            fast += 1
        else:
            assert got is None
    assert fast > 1500
    # The same headers again (memoized) under another redaction: still the general path's bytes.
    event, _ = _event(random.Random(5))
    for redaction in REDACTIONS * 2:
        assert lines.line(event, redaction, None, "x") in (None, _general(event, redaction, None, "x"))


def test_a_value_that_is_not_a_string_is_left_to_the_general_path() -> None:
    event = RequestEvent(1.7e9, "acl", f.request(request_id=None), Decision(Action.ALLOW), 200, 1e-5)
    assert PlainLines().line(event, DEFAULT_REDACTION, None, "wafproxy") is None


def test_the_writer_writes_the_same_lines_as_before(tmp_path: Path) -> None:
    rnd = random.Random(3)
    events = [_event(rnd)[0] for _ in range(300)]
    path = tmp_path / "waf.log"
    with WafLogWriter(str(path), web_acl_id="arn:acl") as writer:
        for event in events:
            writer.emit(event)
    expected = b"".join(_general(e, DEFAULT_REDACTION, "arn:acl", "wafproxy") for e in events)
    assert path.read_bytes() == expected
