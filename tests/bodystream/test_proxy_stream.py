"""Whole-body inspection through the proxy server: a real server on loopback in front of a raw
upstream that records exactly which bytes reached it (issue 15, issue 17 decompression)."""

from __future__ import annotations

import gzip
import random
import socket
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bodystream.upstream import RecordingUpstream, recording_upstream
from tests.server.harness import RunningProxy, proxy_in_thread, responses

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ACL = ROOT / "rules" / "default-web-acl.json"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[RunningProxy, RecordingUpstream]]:
    with recording_upstream() as up, proxy_in_thread(up.url, DEFAULT_ACL) as proxy:
        yield proxy, up


def post(port: int, body: bytes, ctype: str = FORM, extra: bytes = b"",
         pieces: int = 64 * 1024) -> tuple[int, bytes]:
    """POST ``body`` on a fresh connection in writes of ``pieces`` bytes: (status, answer body)."""
    head = (b"POST /submit HTTP/1.1\r\nhost: app\r\nconnection: close\r\nuser-agent: test\r\n"
            b"content-type: " + ctype.encode() + b"\r\ncontent-length: %d\r\n" % len(body) + extra + b"\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head)
        answer = b""
        try:
            for at in range(0, len(body), pieces):
                sock.sendall(body[at:at + pieces])
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-body: the answer is already on its way
        sock.settimeout(60)
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    status, _, text = responses(answer)[0]
    return status, text


def padding(size: int) -> bytes:
    """Harmless form text of ``size`` bytes, varied enough to compress like real text (~3:1)."""
    rnd = random.Random(size)
    words = b"alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike 42 2026".split()
    out = bytearray(b"note=")
    while len(out) < size:
        out += rnd.choice(words) + (b"+" if rnd.random() < 0.9 else b"&f%d=" % rnd.randrange(1000))
    return bytes(out[:size])


def marker_requests(up: RecordingUpstream, marker: bytes) -> list:
    return [r for r in up.done() if marker in r.head]


@pytest.mark.parametrize("kb", [16, 64, 128, 900])
def test_attack_after_padding_is_blocked_and_upstream_never_gets_the_whole_body(stack, kb: int) -> None:
    proxy, up = stack
    body = padding(kb * 1024) + b"&q=1%27+UNION+SELECT+password+FROM+users--+-&z=" + b"y" * 3000
    before = len(up.done())
    status, text = post(proxy.port, body)
    assert status == 403
    assert b"Forbidden: request blocked" in text
    got = up.done()[before:]
    assert all(not r.complete for r in got), "the upstream received a complete request"
    assert all(len(r.body) < len(body) for r in got)


def test_benign_megabyte_passes_byte_for_byte(stack) -> None:
    proxy, up = stack
    body = padding(1 << 20)
    before = len(up.done())
    status, text = post(proxy.port, body, pieces=10_000)
    assert (status, text) == (200, b"upstream:%d" % len(body))
    got = up.done()[before:]
    assert len(got) == 1 and got[0].body == body


def test_payload_split_across_a_chunk_boundary_is_found(stack) -> None:
    proxy, up = stack
    attack = b"&c=<script>alert(document.cookie)</script>"
    pad = padding(100 * 1024)
    # The client's writes split the attack in the middle; the window boundary falls inside too.
    cut = len(pad) + len(attack) // 2
    body = pad + attack + b"&z=1"
    status, _ = post(proxy.port, body, pieces=cut)
    assert status == 403


def test_over_the_cap_continue_forwards_the_rest_uninspected(stack) -> None:
    proxy, up = stack
    body = padding((1 << 20) + 64 * 1024) + b"&q=1%27+UNION+SELECT+password+FROM+users--+-"
    before = len(up.done())
    status, _ = post(proxy.port, body)
    assert status == 200  # past the 1 MB cap: OversizeHandling CONTINUE, as the managed groups
    assert up.done()[before:][0].body == body


def test_user_rules_still_see_only_the_first_window(tmp_path: Path) -> None:
    """A user-written Body rule (AWS semantics): a match past the 16 KB limit is not seen."""
    acl = tmp_path / "acl.json"
    acl.write_text("""{"Name": "user", "DefaultAction": {"Allow": {}},
      "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false,
        "MetricName": "u"},
      "Rules": [{"Name": "NoSecret", "Priority": 0, "Action": {"Block": {}},
        "Statement": {"ByteMatchStatement": {"SearchString": "forbidden-word",
          "PositionalConstraint": "CONTAINS",
          "FieldToMatch": {"Body": {"OversizeHandling": "CONTINUE"}},
          "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
        "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false,
          "MetricName": "n"}}]}""")
    with recording_upstream() as up, proxy_in_thread(up.url, acl) as proxy:
        early = padding(8 * 1024) + b"&w=forbidden-word"
        late = padding(20 * 1024) + b"&w=forbidden-word"
        assert post(proxy.port, early)[0] == 403
        assert post(proxy.port, late)[0] == 200
        assert up.done()[-1].body == late


def test_gzip_bomb_is_refused_413(stack) -> None:
    proxy, up = stack
    bomb = gzip.compress(b"\0" * (20 << 20))
    before = len(up.done())
    status, _ = post(proxy.port, bomb, ctype="text/plain", extra=b"content-encoding: gzip\r\n")
    assert status == 413
    assert all(not r.complete for r in up.done()[before:])
    assert proxy.data.middleware is not None


def test_gzipped_attack_is_blocked(stack) -> None:
    proxy, up = stack
    body = gzip.compress(padding(200 * 1024) + b"&q=<script>alert(document.cookie)</script>")
    status, _ = post(proxy.port, body, extra=b"content-encoding: gzip\r\n")
    assert status == 403


def test_gzipped_attack_in_the_first_window_is_blocked(stack) -> None:
    proxy, _ = stack
    body = zlib.compress(b"q=1%27+UNION+SELECT+password+FROM+users--+-")
    assert post(proxy.port, body, extra=b"content-encoding: deflate\r\n")[0] == 403


def test_gzipped_benign_is_forwarded_compressed_and_intact(stack) -> None:
    proxy, up = stack
    body = gzip.compress(padding(300 * 1024))
    before = len(up.done())
    status, _ = post(proxy.port, body, extra=b"content-encoding: gzip\r\n")
    assert status == 200
    got = up.done()[before:]
    assert got[0].body == body and b"content-encoding: gzip" in got[0].head.lower()


def test_unknown_encoding_is_refused_415(stack) -> None:
    proxy, _ = stack
    assert post(proxy.port, b"whatever", extra=b"content-encoding: zstd\r\n")[0] == 415


def test_bomb_and_encoding_refusals_are_counted(stack) -> None:
    proxy, _ = stack
    counts = proxy.server.ctx.handler.rejections
    before = counts["decompression_bomb"], counts["unsupported_content_encoding"]
    post(proxy.port, gzip.compress(b"\0" * (4 << 20)), extra=b"content-encoding: gzip\r\n")
    post(proxy.port, b"x", extra=b"content-encoding: compress\r\n")
    assert counts["decompression_bomb"] == before[0] + 1
    assert counts["unsupported_content_encoding"] == before[1] + 1


def test_settings_cap_match_and_forwarded_unknown_encoding() -> None:
    """``--body-over-cap match`` refuses what the cap leaves uninspected; ``--unknown-content-encoding
    forward`` sends an undecodable body on as it came."""
    settings = {"body_inspection_cap": 100_000, "body_over_cap": "match",
                "unknown_content_encoding": "forward"}
    with recording_upstream() as up, proxy_in_thread(up.url, DEFAULT_ACL, **settings) as proxy:
        assert post(proxy.port, padding(90_000))[0] == 200
        before = len(up.done())
        assert post(proxy.port, padding(300_000))[0] == 403
        assert all(not r.complete for r in up.done()[before:])
        assert post(proxy.port, b"opaque", extra=b"content-encoding: zstd\r\n")[0] == 200
        assert up.done()[-1].body == b"opaque"


def test_settings_parse_and_validate() -> None:
    from wafproxy.settings import SettingsError, resolve

    env = {"WAFPROXY_BODY_INSPECTION_CAP": "0", "WAFPROXY_BODY_OVER_CAP": "match",
           "WAFPROXY_MAX_DECOMPRESSION_RATIO": "20"}
    settings = resolve(None, env)
    assert settings.body_inspection_cap == 0
    assert (settings.body_over_cap, settings.max_decompression_ratio) == ("match", 20)
    with pytest.raises(SettingsError, match="WAFPROXY_UNKNOWN_CONTENT_ENCODING"):
        resolve(None, {"WAFPROXY_UNKNOWN_CONTENT_ENCODING": "maybe"})
    with pytest.raises(SettingsError, match="WAFPROXY_MAX_DECOMPRESSED_BODY"):
        resolve(None, {"WAFPROXY_MAX_DECOMPRESSED_BODY": "-5"})


def chunked_post(port: int, body: bytes, piece: int = 32 * 1024) -> int:
    """POST ``body`` with Transfer-Encoding: chunked; the status answered."""
    head = (b"POST /submit HTTP/1.1\r\nhost: app\r\nconnection: close\r\nuser-agent: test\r\n"
            b"content-type: " + FORM.encode() + b"\r\ntransfer-encoding: chunked\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head)
        try:
            for at in range(0, len(body), piece):
                part = body[at:at + piece]
                sock.sendall(b"%x\r\n%b\r\n" % (len(part), part))
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return responses(answer)[0][0]


def test_chunked_request_attack_blocked_and_upstream_never_gets_the_last_chunk(stack) -> None:
    proxy, up = stack
    before = len(up.done())
    attack = padding(400 * 1024) + b"&c=<script>alert(document.cookie)</script>"
    assert chunked_post(proxy.port, attack) == 403
    assert all(not r.complete for r in up.done()[before:])
    benign = padding(400 * 1024)
    assert chunked_post(proxy.port, benign) == 200
    got = up.done()[-1]
    assert got.chunked and got.complete and dechunk(got.body) == benign


def dechunk(raw: bytes) -> bytes:
    out, at = b"", 0
    while True:
        end = raw.index(b"\r\n", at)
        size = int(raw[at:end], 16)
        if size == 0:
            return out
        out += raw[end + 2:end + 2 + size]
        at = end + 2 + size + 2
