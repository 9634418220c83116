"""The differential matrix: generated request streams, read by the server (in process, cut every
way a socket can cut them) and by a strict reader written apart from it (``smuggle_ref``), must
agree: the server forwards nothing the strict reader refuses and nothing it reads otherwise. A
sample then runs on loopback through the real server in front of the raw recording upstream:
a refused stream is answered 4xx, the connection closed, and the upstream reads not a byte of
the refused request or of what follows it.

The rows after the generator are the gaps this pass found, each with the request that showed it.
"""

from __future__ import annotations

import random
import socket
import time

import pytest

from tests.server import smuggle_ref as ref
from tests.server.harness import RunningProxy, responses
from tests.server.probe_sweep import AFTER, LAST, run, settle
from tests.server.probekit import H, Probe, Want
from tests.server.smuggle_drive import Served, cuts, serve
from tests.server.smuggle_gen import BASES, streams, verdict
from tests.support.recording_upstream import RecordingUpstream
from tests.support.wait import DEADLINE

REFUSALS = frozenset({400, 413, 414, 431, 501, 505})
SEEDS = range(8)
PER_SEED = 400


def _disagreements(data: bytes, randoms: int = 1) -> list[str]:
    reading = ref.read(data)
    out = []
    for name, pieces in cuts(data, random.Random(len(data)), randoms):
        served = serve(pieces)
        why = verdict(reading, served)
        if why is not None:
            out.append(f"{name}: {why}: strict {reading.requests} {reading.end} ({reading.why}); "
                       f"ours {served.key()}; {data!r}")
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_streams_are_never_read_looser_than_strict(seed: int) -> None:
    """Every stream whole, a byte a read, a line a read, cut before each CR and at random."""
    bad: list[str] = []
    for data in streams(seed, PER_SEED):
        bad += _disagreements(data)
    assert not bad, "\n".join(bad[:10])


def test_the_well_framed_bases_are_read_as_sent_whatever_the_cuts() -> None:
    """Not fussy either: each base alone and each pair pipelined is forwarded whole, identical to
    the strict reading, whatever the segmentation (a byte a read included)."""
    for first in BASES:
        for data in (first, *(first + second for second in BASES)):
            reading = ref.read(data)
            assert reading.end == ref.OK and not reading.incomplete, data
            for name, pieces in cuts(data, random.Random(0), 0):
                if name == "before-cr":
                    continue  # a rewritten line in a read begun in a head: refused (framing doc)
                served = serve(pieces)
                assert served.forwarded == reading.requests, (name, data, served.key())


# A request line that needs rewriting for llhttp, pipelined behind a Content-Length body, in a
# read that began inside that body (a client writing the body and the next request together):
# refused (400) before; now found where the body ends (``unusual.behind_body``).
BEHIND_BODY = [
    ("utf8", b"GET /wiki/Z\xc3\xbcrich HTTP/1.1\r\n" + H + b"\r\n", (b"GET", b"/wiki/Z\xc3\xbcrich", b"")),
    ("method", b"FOO /p2 HTTP/1.1\r\n" + H + b"Content-Length: 2\r\n\r\nhi", (b"FOO", b"/p2", b"hi")),
    ("space", b"GET /a b HTTP/1.1\r\n" + H + b"\r\n", (b"GET", b"/a%20b", b"")),
    ("http12", b"GET /v HTTP/1.2\r\n" + H + b"\r\n", (b"GET", b"/v", b"")),
]
POST_HEAD = b"POST /p1 HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\n"


@pytest.mark.parametrize(("second", "wanted"), [pytest.param(d, w, id=i) for i, d, w in BEHIND_BODY])
@pytest.mark.parametrize("split", [0, 2, 5])
def test_a_rewritten_line_behind_a_body_read_apart(second: bytes, wanted: tuple[bytes, bytes, bytes],
                                                   split: int) -> None:
    body = b"hello"
    pieces = [POST_HEAD + body[:split], body[split:] + second] if split else [POST_HEAD, body + second]
    assert serve(pieces).forwarded == [(b"POST", b"/p1", b"hello"), wanted]
    # behind a bad one, the refusal stands
    twice = b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n"
    bad = serve([POST_HEAD, body + b"FOO /p2 HTTP/1.1\r\n" + H + twice])
    assert bad.forwarded == [(b"POST", b"/p1", b"hello")] and bad.refused == 400


@pytest.mark.parametrize(("second", "wanted"), [pytest.param(d, w, id=i) for i, d, w in BEHIND_BODY])
def test_a_rewritten_line_behind_a_body_read_apart_on_loopback(
    proxy_to_raw_upstream: RunningProxy, raw_upstream: RecordingUpstream, second: bytes,
    wanted: tuple[bytes, bytes, bytes]
) -> None:
    mark = raw_upstream.mark()
    with socket.create_connection(("127.0.0.1", proxy_to_raw_upstream.port), timeout=DEADLINE) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(POST_HEAD)
        time.sleep(0.05)  # two reads, nearly always; one read takes the other path to the same end
        sock.sendall(b"hello" + second + LAST)
        answer = b""
        while got := sock.recv(65536):
            answer += got
    assert [s for s, _, _ in responses(answer)] == [200, 200, 200], answer[:300]
    settle(proxy_to_raw_upstream.port, raw_upstream, DEADLINE)
    _, reached = raw_upstream.since(mark)
    assert [(r.method, r.target, r.body) for r in reached][:2] == [(b"POST", b"/p1", b"hello"), wanted]


# The gaps this pass found, each with the request that showed it: (id, bytes, forwarded).
FOUND = [
    # A pipelined request behind one whose line was rewritten (an unknown method, here "hiPOST"
    # after a body llhttp did not expect), refused by framing: the ParseStop was chained to the
    # handled llhttp error, data_received raised, nothing was answered (a reset).
    ("pipelined-framing-refusal-after-rewrite",
     b"GET /e HTTP/1.0\r\nContent-LHost: y\r\nength: 2\r\nConnection: keep-alive\r\n\r\n"
     b"hiPOST /c HTTP/1.1\r\n" + H + b'Transfer-Encoding: "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
     [(b"GET", b"/e", b"")]),
    # Extra spaces after the method with a raw UTF-8 target: the target was lost and the
    # masked one ("/wiki/Zxxrich") inspected and forwarded.
    ("spaces-after-method-utf8", b"GET   /wiki/Z\xc3\xbcrich HTTP/1.1\r\n" + H + b"\r\n",
     [(b"GET", b"/wiki/Z\xc3\xbcrich", b"")]),
    ("spaces-after-unknown-method-utf8", b"GEPURE  /wiki/Z\xc3\xbcrich HTTP/1.1\r\n" + H + b"\r\n",
     [(b"GEPURE", b"/wiki/Z\xc3\xbcrich", b"")]),
    # Spaces before the version were escaped into the target ("/a%20"): nginx reads "/a".
    ("spaces-before-version", b"GET /a  HTTP/1.1\r\n" + H + b"\r\n", [(b"GET", b"/a", b"")]),
    ("spaces-both-sides-and-inside", b"GET  /a b  HTTP/1.1\r\n" + H + b"\r\n", [(b"GET", b"/a%20b", b"")]),
    # HTTP/1.0 saying keep-alive and close: llhttp kept it alive and the next request was read.
    ("http10-keep-alive-and-close",
     b"GET /e HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n"
     b"GET /smuggled HTTP/1.1\r\n" + H + b"\r\n", [(b"GET", b"/e", b"")]),
    ("http10-keep-alive-close-list",
     b"GET /e HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\nGET /smuggled HTTP/1.1\r\n" + H + b"\r\n",
     [(b"GET", b"/e", b"")]),
    # Host with trailing OWS (RFC 9110 §5.5: not part of the value) was a 400; nginx takes it.
    ("host-trailing-space", b"GET /a HTTP/1.1\r\nHost: x \r\n\r\n", [(b"GET", b"/a", b"")]),
    ("host-trailing-tab", b"GET /a HTTP/1.1\r\nHost: x\t\r\n\r\n", [(b"GET", b"/a", b"")]),
]


@pytest.mark.parametrize(("data", "forwarded"), [pytest.param(d, f, id=i) for i, d, f in FOUND])
def test_found_in_process_every_cut(data: bytes, forwarded: list[tuple[bytes, bytes, bytes]]) -> None:
    assert ref.read(data).requests == forwarded
    for name, pieces in cuts(data, random.Random(1), 0):
        if name != "whole" and name != "bytes":
            continue  # as above
        served: Served = serve(pieces)
        assert served.forwarded == forwarded, (name, served.key())


def _probe(i: str, data: bytes) -> Probe | None:
    """The loopback probe for a stream the in-process server and the strict reader agree on."""
    reading = ref.read(data)
    served = serve([data])
    if reading.incomplete or served.upgrade or served.malformed or verdict(reading, served) is not None:
        return None
    if served.refused:
        return Probe("matrix", i, data, Want(REFUSALS, tuple(served.forwarded)))
    if served.forwarded != reading.requests or reading.end != ref.OK:
        return None
    return Probe("matrix", i, data, Want(reached=tuple(served.forwarded)))


def _loopback_rows() -> list[Probe]:
    rows = [_probe(i, d) for i, d, _ in FOUND]
    for seed in (100, 101):
        rows += [_probe(f"gen{seed}-{n}", d) for n, d in enumerate(streams(seed, 60))]
    return [r for r in rows if r is not None]


@pytest.mark.parametrize("probe", [pytest.param(p, id=p.id) for p in _loopback_rows()])
def test_matrix_on_loopback(proxy_to_raw_upstream: RunningProxy, raw_upstream: RecordingUpstream,
                            probe: Probe) -> None:
    outcome = run(proxy_to_raw_upstream.port, raw_upstream, probe, DEADLINE)
    assert outcome.judge(probe) is None, (outcome.judge(probe), outcome, probe.data)


def _by_lines(data: bytes) -> list[bytes]:
    pieces = data.split(b"\n")
    return [piece + b"\n" for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])


@pytest.mark.parametrize("probe", [pytest.param(p, id=p.id) for p in _loopback_rows()[:80]])
def test_matrix_on_loopback_a_line_per_write(proxy_to_raw_upstream: RunningProxy,
                                             raw_upstream: RecordingUpstream, probe: Probe) -> None:
    """The same rows written a line at a time (the real handler, its fast lane and its tasks,
    between reads): the upstream reads a prefix of what the whole write delivered, each request
    answered 200, then at most a refusal, and never a request the strict reader refuses."""
    mark = raw_upstream.mark()
    data = probe.data + (AFTER if probe.want.refused else LAST)
    with socket.create_connection(("127.0.0.1", proxy_to_raw_upstream.port), timeout=DEADLINE) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in _by_lines(data):
            try:
                sock.sendall(piece)
            except OSError:
                break  # refused and closed before the rest
            time.sleep(0.002)
        answer = b""
        while True:
            try:
                got = sock.recv(65536)
            except ConnectionResetError:
                break
            if not got:
                break
            answer += got
    settle(proxy_to_raw_upstream.port, raw_upstream, DEADLINE)
    _, reached = raw_upstream.since(mark)
    seen = [(r.method, r.target, r.body) for r in reached if r.target not in (b"/sentinel", b"/last")]
    assert seen == list(probe.want.reached)[: len(seen)], (answer[:300], probe.data)
    finals = [status for status, _, _ in responses(answer) if status >= 200]
    assert finals[: len(seen)] == [200] * len(seen), answer[:300]
    assert all(r.framed for r in reached)
    if probe.want.refused or len(seen) < len(probe.want.reached):
        assert len(finals) == len(seen) + 1 and finals[-1] in REFUSALS, answer[:300]
        assert b"/after" not in raw_upstream.since(mark)[0]
