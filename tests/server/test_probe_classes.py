"""The generated probe classes (``probegen``), one row per probe, against the real server on
loopback in front of the raw recording upstream: each refused probe is answered with its status,
the connection closed and not a byte of it (nor of the request pipelined behind it) read by the
upstream; each accepted one reaches the upstream as the request it is, re-framed by us.

The response side, table-driven the same way: what an upstream answers (a body to a HEAD, a 204
with a length, interim answers, broken framing) never reaches the client in a shape it could
frame differently from us.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.server.harness import RunningProxy, responses
from tests.server.probe_sweep import run, send, settle
from tests.server.probegen import probes
from tests.server.probekit import H, Probe
from tests.support.recording_upstream import SCRIPTS, RecordingUpstream
from tests.support.wait import DEADLINE

PROBES = probes()


@pytest.mark.parametrize("probe", [pytest.param(p, id=f"{p.cls}:{p.id}") for p in PROBES])
def test_probe_class_row(
    proxy_to_raw_upstream: RunningProxy, raw_upstream: RecordingUpstream, probe: Probe
) -> None:
    outcome = run(proxy_to_raw_upstream.port, raw_upstream, probe, DEADLINE)
    assert outcome.judge(probe) is None, (outcome.judge(probe), outcome)
    if probe.want.refused:
        assert outcome.closed
        if not probe.want.reached:
            assert outcome.raw == b""


@pytest.mark.parametrize(
    "probe", [pytest.param(p, id=f"{p.cls}:{p.id}") for p in PROBES if p.cls.startswith("pipelined")]
)
def test_pipelined_rows_a_byte_per_write(
    proxy_to_raw_upstream: RunningProxy, raw_upstream: RecordingUpstream, probe: Probe
) -> None:
    """Whatever the segmentation, the upstream reads the wanted requests in order and nothing
    else. A request line that needs rewriting for llhttp (``framing``) is found where a read
    starts a request or behind requests completed in the same read (``unusual.pipelined_rest``);
    one that starts in a read which began inside the previous request is refused (400, closed),
    never read otherwise: a prefix of the wanted requests, then the refusal."""
    mark = raw_upstream.mark()
    tail = (
        b"GET /after HTTP/1.1\r\n" + H + b"\r\n"
        if probe.want.refused
        else b"GET /last HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n"
    )
    data = probe.data + tail
    with socket.create_connection(("127.0.0.1", proxy_to_raw_upstream.port), timeout=DEADLINE) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for at in range(len(data)):
            try:
                sock.sendall(data[at : at + 1])
            except OSError:
                break  # refused and closed before the rest
        answer = b""
        while got := _recv(sock):
            answer += got
    settle(proxy_to_raw_upstream.port, raw_upstream, DEADLINE)
    _, reached = raw_upstream.since(mark)
    seen = [(r.method, r.target, r.body) for r in reached if r.target not in (b"/sentinel", b"/last")]
    assert seen == list(probe.want.reached)[: len(seen)], answer[:300]
    finals = [status for status, _, _ in responses(answer) if status >= 200]
    assert finals[: len(seen)] == [200] * len(seen), answer[:300]
    if probe.want.refused or len(seen) < len(probe.want.reached):
        assert len(finals) == len(seen) + 1 and finals[-1] in probe.want.statuses | {400}, answer[:300]
        assert b"/after" not in raw_upstream.since(mark)[0]


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""


# -- the response side ---------------------------------------------------------------------------

OK5 = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
BAD_GATEWAY = (502, b"", b"")  # ours: its own text and length, checked apart

# name: (method, what the upstream answers, (status, body, the Content-Length the client reads
# or None for none)). The connection to the client goes on after each (a request behind it is
# answered), and nothing past the declared end ("smuggled") is ever relayed.
RESPONSES: dict[str, tuple[bytes, bytes, tuple[int, bytes, bytes | None]]] = {
    "head-with-body": (b"HEAD", OK5, (200, b"", b"5")),
    "head-body-is-a-response": (
        b"HEAD",
        b"HTTP/1.1 200 OK\r\nContent-Length: 44\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled",
        (200, b"", b"44"),
    ),
    "head-with-chunked-body": (
        b"HEAD",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        (200, b"", None),
    ),
    "head-close-framed-body": (b"HEAD", b"HTTP/1.1 200 OK\r\n\r\nhello", (200, b"", None)),
    "204-with-length": (
        b"GET",
        b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
        (204, b"", None),
    ),
    "204-with-chunks": (
        b"GET",
        b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        (204, b"", None),
    ),
    "304-with-length": (
        b"GET",
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nhello",
        (304, b"", b"5"),
    ),
    "100-with-length": (
        b"GET",
        b"HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n" + OK5,
        (200, b"hello", b"5"),
    ),
    "100-with-chunked": (
        b"GET",
        b"HTTP/1.1 100 Continue\r\nTransfer-Encoding: chunked\r\n\r\n" + OK5,
        (200, b"hello", b"5"),
    ),
    "103-early-hints": (
        b"GET",
        b"HTTP/1.1 103 Early Hints\r\nLink: </s>; rel=preload\r\n\r\n" + OK5,
        (200, b"hello", b"5"),
    ),
    "199-interim": (b"GET", b"HTTP/1.1 199 Misc\r\n\r\n" + OK5, (200, b"hello", b"5")),
    "length-zero-then-a-response": (
        b"GET",
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled",
        (200, b"", b"0"),
    ),
    "length-leading-zero": (
        b"GET",
        b"HTTP/1.1 200 OK\r\nContent-Length: 05\r\n\r\nhello",
        (200, b"hello", b"05"),
    ),
    "te-upper-case": (
        b"GET",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        (200, b"hello", b"5"),
    ),
    "connection-names-length": (
        b"GET",
        b"HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nhello",
        (200, b"hello", b"5"),
    ),
    "cl-twice-equal": (
        b"GET",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        BAD_GATEWAY,
    ),
    "cl-minus": (b"GET", b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhello", BAD_GATEWAY),
    "te-chunked-twice-in-list": (
        b"GET",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        BAD_GATEWAY,
    ),
    "te-gzip-chunked": (
        b"GET",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        BAD_GATEWAY,
    ),
    "te-then-cl": (
        b"GET",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        BAD_GATEWAY,
    ),
    "bare-cr-in-field": (
        b"GET",
        b"HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 5\r\n\r\nhello",
        BAD_GATEWAY,
    ),
    "space-before-colon": (
        b"GET",
        b"HTTP/1.1 200 OK\r\nX-A : v\r\nContent-Length: 5\r\n\r\nhello",
        BAD_GATEWAY,
    ),
    "chunk-ext-bare-lf": (
        b"GET",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a\nb\r\nhello\r\n0\r\n\r\n",
        BAD_GATEWAY,
    ),
    "chunk-size-0x": (
        b"GET",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
        BAD_GATEWAY,
    ),
    "chunk-size-space": (
        b"GET",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
        BAD_GATEWAY,
    ),
    "http09-answer": (b"GET", b"hello", BAD_GATEWAY),
    "101-to-a-plain-get": (
        b"GET",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nraw",
        BAD_GATEWAY,
    ),
}


@pytest.fixture(scope="module")
def scripted() -> Iterator[None]:
    """The response rows as the raw upstream's scripts (``/resp/...``: answered, then closed)."""
    added = {b"/resp/gen-" + name.encode(): answer for name, (_, answer, _) in RESPONSES.items()}
    SCRIPTS.update(added)
    yield
    for path in added:
        SCRIPTS.pop(path, None)


def split(answer: bytes, methods: list[bytes]) -> list[tuple[int, bytes, bytes]]:
    """(status, head, body) of each answer, as a client that sent ``methods`` frames them: no
    body for HEAD, 204 and 304, else by Content-Length (ours always has one or is chunked)."""
    out = []
    for method in methods:
        head, sep, answer = answer.partition(b"\r\n\r\n")
        if not sep:
            break
        status = int(head[9:12])
        fields = dict(line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:])
        length = 0 if method == b"HEAD" or status in (204, 304) else int(fields.get(b"content-length", b"0"))
        out.append((status, head, answer[:length]))
        answer = answer[length:]
    assert answer == b"", answer[:200]
    return out


@pytest.mark.parametrize("name", RESPONSES)
def test_response_row(
    proxy_to_raw_upstream: RunningProxy, raw_upstream: RecordingUpstream, scripted: None, name: str
) -> None:
    method, _, (status, body, length) = RESPONSES[name]
    request = method + b" /resp/gen-" + name.encode() + b" HTTP/1.1\r\n" + H + b"\r\n"
    answer, closed = send(
        proxy_to_raw_upstream.port,
        request + b"GET /after HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n",
        DEADLINE,
    )
    assert closed
    assert b"smuggled" not in answer and b"HTTP/1.1 1" not in answer  # no interim answer relayed
    (got, head, got_body), (after, _, after_body) = split(answer, [method, b"GET"])
    fields = [line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:]]
    lengths = [value for field, value in fields if field == b"content-length"]
    if status == 502:
        assert got == 502 and b"hello" not in got_body and lengths == [b"%d" % len(got_body)], answer[:300]
    else:
        assert (got, got_body) == (status, body), answer[:300]
        assert lengths == ([] if length is None else [length]), head
    assert not any(field == b"transfer-encoding" for field, _ in fields) or got not in (204, 304), head
    assert (after, after_body) == (200, b"GET /after 0")
    settle(proxy_to_raw_upstream.port, raw_upstream, DEADLINE)


def test_a_101_to_another_protocol_than_websocket_opens_no_tunnel(
    proxy_to_raw_upstream: RunningProxy, raw_upstream: RecordingUpstream
) -> None:
    """A websocket handshake the upstream answers with ``101`` and ``Upgrade: h2c`` (then HTTP/2
    frames): a 502 to the client, both sides closed; what the client sent behind its handshake
    never reaches the upstream, and the upstream's frames never reach the client."""
    mark = raw_upstream.mark()
    handshake = (
        b"GET /h2c HTTP/1.1\r\n" + H + b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    answer, closed = send(
        proxy_to_raw_upstream.port, handshake + b"GET /smuggled HTTP/1.1\r\n" + H + b"\r\n", DEADLINE
    )
    assert closed and answer.startswith(b"HTTP/1.1 502 "), answer[:200]
    assert b"\x00\x00\x00\x04" not in answer and b" 101 " not in answer
    settle(proxy_to_raw_upstream.port, raw_upstream, DEADLINE)
    raw, reached = raw_upstream.since(mark)
    assert [r.target for r in reached] == [b"/h2c", b"/sentinel"] and b"/smuggled" not in raw
