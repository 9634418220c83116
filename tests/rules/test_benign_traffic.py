"""The broad benign generator (``benign_traffic.py``) through the default web ACL, in-process:
≥ 10,000 realistic browser and API requests, every placement, none blocked.

Also the carrier this generator found blocked two times in three before: a binary file upload
(photo, PDF, archive) whose compressed bytes read as markup, quotes and shell syntax; the text an
attacker hides in such a file (a PHP tag, a script) must still be found.
"""

from __future__ import annotations

import base64
import random
from collections import Counter

import pytest

from tests.rules import benign_requests as br
from tests.rules import corpuskit as ck
from tests.rules.benign_bodies import SET, case
from tests.rules.benign_traffic import traffic_cases
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import CompiledWebACL

pytestmark = pytest.mark.skipif(not ck.available(), reason="../shared/tools/waf_eval.py not present")


@pytest.fixture(scope="module")
def acl() -> CompiledWebACL:
    return load_web_acl(ck.DEFAULT_ACL)


def test_generator_is_large_deterministic_and_covers_every_placement() -> None:
    rows = traffic_cases()
    assert len(rows) >= 10_000
    assert [r["id"] for r in rows] == [r["id"] for r in traffic_cases()]
    assert len({r["id"] for r in rows}) == len(rows)
    shapes = Counter(r["shape"] for r in rows)
    for shape in (
        "URLParam",
        "URLPath",
        "Header",
        "Cookie",
        "HTMLForm",
        "HTMLMultipartForm",
        "JSONRequest",
        "Body",
    ):
        assert shapes[shape] >= 100, (shape, shapes)
    methods = Counter(r["request"]["method"] for r in rows if r["placement"] == "HTTP")
    for method in ("GET", "POST", "PUT", "PATCH", "PROPFIND", "REPORT"):
        assert methods[method] > 0, methods


def test_no_benign_request_is_blocked(acl: CompiledWebACL) -> None:
    blocked = [(o.case["id"], o.rule) for o in ck.run(acl, traffic_cases()) if o.blocked]
    assert not blocked, blocked[:30]


def _upload(rng: random.Random, i: int, content: bytes) -> dict:
    body = br.multipart([("title", "holiday")], [("file", "IMG_0001.JPG", "image/jpeg", content)], f"b{i}")
    hdrs = [["Content-Type", f"multipart/form-data; boundary=b{i}"]]
    return case(
        "binary-probe",
        i,
        "HTMLMultipartForm",
        br.request("POST", "/upload", hdrs, body_b64=base64.b64encode(body).decode()),
    )


def test_binary_uploads_pass_and_text_hidden_in_them_is_found(acl: CompiledWebACL) -> None:
    rng = random.Random(16)
    photos = [_upload(rng, i, br._jpeg(rng)[:64] + rng.randbytes(15_000)) for i in range(60)]
    blocked = [(o.case["id"], o.rule) for o in ck.run(acl, photos) if o.blocked]
    assert not blocked, blocked
    hidden = (b"<?php system($_GET['c']); ?>", b"<script>alert(document.cookie)</script>")
    shells = [
        _upload(rng, 100 + i, br._jpeg(rng)[:300] + text + rng.randbytes(2000))
        for i, text in enumerate(hidden)
    ]
    assert all(o.blocked for o in ck.run(acl, shells)), SET
