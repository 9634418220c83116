"""TLS handshake failures both ways, with real TLS (trustme): clients that speak plain HTTP or
garbage to the TLS listener, never finish a handshake, or bring a certificate from the wrong CA
under ``--client-ca``; an upstream whose certificate does not verify. The server keeps serving."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from tests.conftest import TlsFiles
from tests.server.conftest import Recorder
from tests.server.harness import RunningProxy, proxy_in_thread
from tests.support.servers import RunningServer, client_ssl_context, uvicorn_in_thread
from tests.support.wait import DEADLINE
from wafproxy.asgi.limits import ShieldLimits

SECRET = "Bearer tls-fault-secret-5b1e"


@pytest.fixture
def tls_proxy(upstream: tuple[RunningServer, Recorder], acl_path: Path,
              tls_files: TlsFiles) -> Iterator[RunningProxy]:
    server, _ = upstream
    with proxy_in_thread(server.url, acl_path, shield=ShieldLimits(header_timeout=0.5),
                         tls_cert=tls_files.server_cert, tls_key=tls_files.server_key,
                         client_ca=tls_files.ca) as running:
        yield running


def closed_without_answer(port: int, data: bytes) -> bytes:
    """What the listener answers to ``data`` until it closes the connection (a hang fails)."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE / 2) as sock:
        if data:
            sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except ConnectionResetError:
            pass
        return out


def good_client(tls_files: TlsFiles) -> httpx.Client:
    return httpx.Client(verify=client_ssl_context(tls_files.ca, tls_files.client), timeout=DEADLINE)


@pytest.mark.parametrize("data", [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", bytes(range(256)) * 4, b""],
                         ids=["plain-http", "garbage", "silent"])
def test_a_client_that_is_not_speaking_tls_is_closed_and_the_server_goes_on(
    tls_proxy: RunningProxy, tls_files: TlsFiles, data: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    answer = closed_without_answer(tls_proxy.port, data)
    assert b"HTTP/1.1" not in answer  # no plaintext answer leaks from the TLS listener
    with good_client(tls_files) as client:
        assert client.get(f"https://127.0.0.1:{tls_proxy.port}/after").status_code == 200
    # A scanner must not fill the log.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_client_certificate_from_another_ca_is_refused(tls_proxy: RunningProxy, tls_files: TlsFiles,
                                                        tmp_path: Path) -> None:
    rogue = trustme.CA().issue_cert("client.wafproxy.test")
    rogue_pem = tmp_path / "rogue.pem"
    rogue.private_key_and_cert_chain_pem.write_to_path(str(rogue_pem))
    url = f"https://127.0.0.1:{tls_proxy.port}/mtls"
    for cert in (rogue_pem, None):  # the wrong CA's certificate, then none at all
        ctx = client_ssl_context(tls_files.ca, cert)
        with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
            httpx.get(url, verify=ctx, timeout=DEADLINE)
    with good_client(tls_files) as client:
        assert client.get(url).status_code == 200


def test_an_untrusted_upstream_certificate_is_a_502_with_the_reason_logged(
    acl_path: Path, tls_files: TlsFiles, caplog: pytest.LogCaptureFixture
) -> None:
    """Verification is on by default: the system CAs do not know trustme's CA. The log line names
    the upstream and the verification error, never the request's headers or query."""
    recorder = Recorder()
    with uvicorn_in_thread(recorder.app(), ssl_certfile=str(tls_files.server_cert),
                           ssl_keyfile=str(tls_files.server_key)) as server:
        caplog.set_level(logging.WARNING, logger="wafproxy.server")
        with proxy_in_thread(server.url, acl_path) as proxy, httpx.Client(base_url=proxy.url) as client:
            for _ in range(2):  # and the proxy goes on answering
                resp = client.get("/account?token=q-secret-77", headers={"authorization": SECRET})
                assert resp.status_code == 502
                assert "TLS certificate could not be verified" in resp.text
            assert proxy.data.upstream_failures() == {"tls": 2}
    assert recorder.paths == []  # nothing reached the upstream
    lines = [r.getMessage() for r in caplog.records]
    assert any("-> 502" in ln and "certificate verify failed" in ln and server.url in ln
               for ln in lines), lines
    assert not any(SECRET in ln or "q-secret-77" in ln for ln in lines)

