"""The response side of the smuggling probes, and the tunnels: what an upstream answers never
reaches the client ambiguous, and no upgrade becomes a tunnel unless the upstream switched.

An upstream answer with both framings, two lengths, bad chunking, a coding we cannot decode, a
flood of interim responses or a status line it should not send is a 502 (the head not yet out) or
a connection closed before the declared end; bytes past a declared end are never relayed. A
websocket handshake the upstream refuses (any status but 101) is relayed, then both sides are
closed: what the client sent behind it never reaches the upstream. Same raw recording upstream
and proxy as ``test_smuggling_probes`` (``raw_upstream``, ``proxy_to_raw_upstream``: conftest.py).
"""

from __future__ import annotations

import base64
import os
import socket

import pytest

from tests.server.harness import RunningProxy, responses
from tests.server.test_smuggling_probes import get, settle, talk
from tests.support.recording_upstream import RecordingUpstream
from tests.support.wait import DEADLINE, until

BAD_GATEWAY = [
    "cl-and-te", "two-cl", "cl-list", "cl-plus", "bad-chunk", "chunk-overflow", "te-xchunked", "te-gzip",
    "chunk-bare-lf", "cl-space-before-colon", "bad-status", "te-identity-cl", "te-chunked-twice", "bare-lf",
    "obs-fold", "nul-header", "101-no-upgrade",
]


def framing_of(head: bytes) -> list[bytes]:
    return [line.split(b":")[0].lower() for line in head.split(b"\r\n")[1:]
            if line.split(b":")[0].lower() in (b"content-length", b"transfer-encoding")]


@pytest.mark.parametrize("name", BAD_GATEWAY)
def test_an_ambiguous_or_broken_answer_is_a_502_and_the_connection_goes_on(
    proxy_to_raw_upstream: RunningProxy, raw_upstream: RecordingUpstream, name: str
) -> None:
    answer = talk(proxy_to_raw_upstream.port,
                  get(f"/resp/{name}".encode()) + get(b"/after", b"Connection: close\r\n"))
    got = responses(answer)
    assert [status for status, _, _ in got] == [502, 200], answer[:400]
    assert b"hello" not in answer and b"smuggled" not in answer
    for _, head, _ in got:
        assert framing_of(head) == [b"content-length"]  # ours: one length per answer
    assert got[1][2] == b"GET /after 0"
    settle(proxy_to_raw_upstream, raw_upstream)


@pytest.mark.parametrize("name", ["longer-than-cl", "1xx-storm", "1xx-storm-big"])
def test_bytes_past_the_declared_end_and_interim_answers_are_never_relayed(
    proxy_to_raw_upstream: RunningProxy, raw_upstream: RecordingUpstream, name: str
) -> None:
    answer = talk(proxy_to_raw_upstream.port,
                  get(f"/resp/{name}".encode()) + get(b"/after", b"Connection: close\r\n"))
    got = responses(answer)
    if name == "1xx-storm-big" and got[0][0] == 502:
        got[0:1] = [(200, got[0][1], b"hello")]  # over 64 KiB of interim heads across reads: refused
    assert [(status, body) for status, _, body in got] == [(200, b"hello"), (200, b"GET /after 0")], answer
    assert b"smuggled" not in answer and b" 100 " not in answer
    assert framing_of(got[0][1]) == [b"content-length"]
    settle(proxy_to_raw_upstream, raw_upstream)


@pytest.mark.parametrize(("name", "framing", "sent"), [
    ("cl-short-close", b"content-length: 50", b"hello"),
    ("chunk-longer", b"transfer-encoding: chunked", b"5\r\nhello\r\n"),
])
def test_an_answer_broken_after_its_head_closes_the_client_connection_short(
    proxy_to_raw_upstream: RunningProxy, raw_upstream: RecordingUpstream, name: str, framing: bytes,
    sent: bytes,
) -> None:
    """The head is out: less than declared (no last chunk), then the end of the connection: the
    client can never take it for complete, nor read anything after it."""
    mark = raw_upstream.mark()
    answer = talk(proxy_to_raw_upstream.port, get(f"/resp/{name}".encode()) + get(b"/after"))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and framing in head.lower()
    assert body in (b"", sent), answer
    assert [r.target for r in raw_upstream.since(mark)[1]] == [f"/resp/{name}".encode()]
    settle(proxy_to_raw_upstream, raw_upstream)


def handshake(path: bytes) -> bytes:
    key = base64.b64encode(os.urandom(16))
    return (b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")


@pytest.mark.parametrize("path", [b"/ws-refused", b"/ws-refused-upgrade-header", b"/h2c-refused"])
def test_a_refused_upgrade_never_becomes_a_tunnel(proxy_to_raw_upstream: RunningProxy,
                                                  raw_upstream: RecordingUpstream, path: bytes) -> None:
    """The client pipelines a request behind its handshake (websocket smuggling): the upstream
    refuses the upgrade, and the request behind it never reaches the upstream."""
    mark = raw_upstream.mark()
    smuggled = get(b"/smuggled-behind-ws")
    answer = talk(proxy_to_raw_upstream.port, handshake(path) + smuggled)
    raw, reached = raw_upstream.since(mark)
    assert [r.target for r in reached] == [path]
    assert b"smuggled-behind-ws" not in raw
    assert b" 101 " not in answer.split(b"\r\n")[0]
    settle(proxy_to_raw_upstream, raw_upstream)


def test_an_accepted_upgrade_relays_what_the_client_sent_behind_its_handshake(
    proxy_to_raw_upstream: RunningProxy, raw_upstream: RecordingUpstream
) -> None:
    """Bytes sent before the upstream's 101 wait for it, then go on in order."""
    mark = raw_upstream.mark()
    mask = b"\x01\x02\x03\x04"
    frame = b"\x81\x85" + mask + bytes(a ^ b for a, b in zip(b"hello", mask * 2))
    with socket.create_connection(("127.0.0.1", proxy_to_raw_upstream.port), timeout=DEADLINE) as sock:
        sock.sendall(handshake(b"/ws-accept") + frame)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 101")
        until(lambda: raw_upstream.since(mark)[0].endswith(frame), what="the frame relayed")
    raw, reached = raw_upstream.since(mark)
    assert reached[0].target == b"/ws-accept"
    assert raw.endswith(b"upgrade: websocket\r\n\r\n" + frame)
    settle(proxy_to_raw_upstream, raw_upstream)


def test_expect_continue_refused_by_the_waf_forwards_nothing(proxy_to_raw_upstream: RunningProxy,
                                                             raw_upstream: RecordingUpstream) -> None:
    """100 Continue once the body is wanted (as nginx: the WAF inspects the body too), then the
    WAF's refusal; the body and what follows it on the connection never reach the upstream."""
    mark = raw_upstream.mark()
    with socket.create_connection(("127.0.0.1", proxy_to_raw_upstream.port), timeout=DEADLINE) as sock:
        sock.sendall(b"POST /admin HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        interim = b""
        while b"\r\n\r\n" not in interim:
            interim += sock.recv(65536)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"hello" + get(b"/admin/2", b"Connection: close\r\n"))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert [status for status, _, _ in responses(answer)] == [429, 429]
    assert raw_upstream.since(mark) == (b"", [])
    settle(proxy_to_raw_upstream, raw_upstream)


BROKEN_TAILS = [b"zz\r\nhello\r\n0\r\n\r\n", b"5\r\nhelloXX0\r\n\r\n", b"5\nhello\r\n0\r\n\r\n"]


@pytest.mark.parametrize("tail", BROKEN_TAILS)
def test_a_streamed_body_broken_past_the_inspection_window_never_completes_upstream(
    proxy_to_raw_upstream: RunningProxy, raw_upstream: RecordingUpstream, tail: bytes
) -> None:
    """Past the window the body streams (bounded memory): the head and the first chunks are out
    when the framing breaks. The upstream must then see a request that never ends (no last
    chunk, the connection dropped), never one it could read as complete, nor anything after."""
    mark = raw_upstream.mark()
    big = b"a" * 300_000
    data = (b"POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%x\r\n%b\r\n" % (len(big), big) + tail + get(b"/after"))
    answer = talk(proxy_to_raw_upstream.port, data)
    got = responses(answer)
    assert all(status != 200 for status, _, _ in got), answer[:300]
    settle(proxy_to_raw_upstream, raw_upstream)
    raw, reached = raw_upstream.since(mark)
    assert [r.target for r in reached] == [b"/sentinel"]  # /big never complete, /after never sent
    assert b"/after" not in raw and not raw.split(b"GET /sentinel")[0].endswith(b"0\r\n\r\n")
