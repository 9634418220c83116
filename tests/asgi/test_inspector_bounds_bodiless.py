"""The content bounds of a bodiless request built by the middleware's fast path (cookies from the
header values read once, ``content_bound`` skipped when nothing can reach a bound) refuse exactly
what ``content_bound`` refuses, at and around each bound, and the request built by the reading
path (no values by name: the cookies found in the header lines) is refused alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.asgi.test_middleware import acl_document
from tests.asgi.test_middleware_fastpath import http_scope
from wafproxy.asgi.inspector import CONTENT_LIMIT_RULE_ID, Inspector
from wafproxy.asgi.scoperequest import bodiless_request, read_headers, scope_request
from wafproxy.engine.parsing import ContentLimits, content_bound

LIMITS = ContentLimits(max_query_args=3, max_cookies=2)


@pytest.fixture(scope="module")
def inspector(tmp_path_factory: pytest.TempPathFactory) -> Inspector:
    path: Path = tmp_path_factory.mktemp("acl") / "acl.json"
    path.write_text(json.dumps(acl_document()))
    return Inspector(acl=path, content_limits=LIMITS)


@pytest.mark.parametrize("query", [b"", b"a=1", b"a=1&b=2&c=3", b"a=1&b=2&c=3&d=4", b"a=1&&&&", b"&&&&&"])
@pytest.mark.parametrize("cookies", [(), (b"a=1; b=2",), (b"a=1; b=2; c=3",), (b"a=1", b"b=2; c=3"),
                                     (b";;;;",)])
def test_bodiless_bounds_match_content_bound(
    inspector: Inspector, query: bytes, cookies: tuple[bytes, ...]
) -> None:
    headers = [(b"host", b"example.test"), *((b"cookie", c) for c in cookies)]
    scope = http_scope(query=query, headers=headers)
    bound = content_bound(LIMITS, query.decode(), [c.decode() for c in cookies], b"", None)
    text, by_name, bodiless = read_headers(scope["headers"])
    assert bodiless
    for request in (bodiless_request(inspector, scope, text, by_name, "GET"),
                    scope_request(inspector, scope, b"", 0, False)):
        decision, _, _ = inspector.decide_now(inspector.acl, request)
        if bound is None:
            assert decision.terminating_rule_id != CONTENT_LIMIT_RULE_ID
        else:
            assert decision.terminating_rule_id == CONTENT_LIMIT_RULE_ID
            assert decision.labels == (f"wafproxy:limit:{bound}",)
    assert (bound is not None) == (query.count(b"&") >= 3 and len([a for a in query.split(b"&") if a]) > 3
                                   or sum(len([c for c in v.split(b";") if c.strip()]) for v in cookies) > 2)
