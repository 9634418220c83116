"""The response side of the differential matrix, on loopback: generated upstream answers (well-
framed ones mutated by framing bytes, fields, interim answers and a whole second response), each
read by a strict client (``smuggle_resp.read``) and relayed by the real server to a real client.

A well-framed answer reaches the client as the strict client reads it (or as a 502: fussier is
allowed); one that is not is a 502 or a connection cut short, never relayed as something else.
Whatever the answer left on the upstream connection is never read as the answer to anything: the
next request on the same client connection and one on a fresh connection get their own answers.
The upstream keeps its connection open after a well-framed answer (so a proxy that reused it
would read the leftovers) and closes it after a broken one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.server.harness import RunningProxy
from tests.server.probe_sweep import send, settle
from tests.server.probekit import H
from tests.server.smuggle_resp import CLOSE, answers, read
from tests.support.recording_upstream import SCRIPTS, RecordingUpstream
from tests.support.wait import DEADLINE

SEEDS = int(os.environ.get("WAFPROXY_MATRIX_SEEDS", "6"))  # more for a long run
ROWS = [(f"{seed}-{n}", method, data) for seed in range(SEEDS) for n, data in enumerate(answers(seed, 60))
        for method in (b"GET", b"HEAD")[: 1 + (n % 4 == 0)]]


def _path(row: str, method: bytes, data: bytes) -> bytes:
    broken = read(data, method == b"HEAD") is None
    return (b"/resp/gen-" if broken else b"/keep/gen-") + row.encode() + b"-" + method


@pytest.fixture(scope="module")
def scripted() -> Iterator[None]:
    added = {_path(row, method, data): data for row, method, data in ROWS}
    SCRIPTS.update(added)
    yield
    for path in added:
        SCRIPTS.pop(path, None)


def _answers(data: bytes, methods: list[bytes]) -> list[tuple[int, bytes, bool]]:
    """(status, body, complete) of each answer the client reads (ours: Content-Length or chunked)."""
    out = []
    for method in methods:
        head, sep, data = data.partition(b"\r\n\r\n")
        if not sep:
            break
        status = int(head[9:12])
        fields = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            fields[name.strip().lower()] = value.strip()
        if method == b"HEAD" or status in (204, 304):
            out.append((status, b"", True))
            continue
        if fields.get(b"transfer-encoding") == b"chunked":
            body, complete = b"", False
            while (eol := data.find(b"\r\n")) >= 0:
                size = int(data[:eol].split(b";")[0], 16)
                if not size:
                    complete, data = data[eol + 2:].startswith(b"\r\n"), data[eol + 4:]
                    break
                body, data = body + data[eol + 2:eol + 2 + size], data[eol + 4 + size:]
            out.append((status, body, complete))
        else:
            length = int(fields.get(b"content-length", b"0"))
            out.append((status, data[:length], len(data) >= length))
            data = data[length:]
        if not out[-1][2]:
            break
    return out


@pytest.mark.parametrize(("row", "method", "data"),
                         [pytest.param(*r, id=f"{r[0]}-{r[1].decode()}") for r in ROWS])
def test_generated_answer(proxy_to_raw_upstream: RunningProxy, raw_upstream: RecordingUpstream,
                          scripted: None, row: str, method: bytes, data: bytes) -> None:
    strict = read(data, method == b"HEAD")
    if strict is CLOSE:
        pytest.skip("delimited by the upstream closing: the keep-open upstream does not send it")
    port = proxy_to_raw_upstream.port
    path = _path(row, method, data)
    answer, _ = send(port, method + b" " + path + b" HTTP/1.1\r\n" + H + b"\r\n"
                     b"GET /after HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n", DEADLINE)
    got = _answers(answer, [method, b"GET"])
    assert got, answer[:300]
    status, body, complete = got[0]
    if strict is None:
        assert status == 502 or not complete, (answer[:400], data)
    else:
        assert (status, body) == (strict.status, strict.body) or status == 502, (answer[:400], data)
        assert complete
    assert b"smuggled" not in answer or (strict is not None and b"smuggled" in strict.body), answer[:400]
    if complete:
        assert got[1:] == [(200, b"GET /after 0", True)], (answer[:400], data)
    fresh, _ = send(port, b"GET /fresh HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n", DEADLINE)
    assert _answers(fresh, [b"GET"]) == [(200, b"GET /fresh 0", True)], (fresh[:300], data)
    settle(port, raw_upstream, DEADLINE)
