"""TLS checks against real loopback TLS servers with trustme certificates."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import http.server
import ssl
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import trustme

from tests.sidecars.assessor.apps import good_app
from tests.support.servers import RunningServer, uvicorn_in_thread
from wafproxy.sidecars.assessor.context import AssessContext, Target
from wafproxy.sidecars.assessor.probe import Prober
from wafproxy.sidecars.assessor.runner import Report, assess


@contextlib.contextmanager
def tls_server(tmp: Path, ca: trustme.CA, *names: str, days: int = 365) -> Iterator[RunningServer]:
    now = datetime.datetime.now(datetime.UTC)
    leaf = ca.issue_cert(
        *names, not_before=now - datetime.timedelta(days=1), not_after=now + datetime.timedelta(days=days)
    )
    cert, key = tmp / f"{names[0]}-{days}.pem", tmp / f"{names[0]}-{days}.key"
    leaf.private_key_pem.write_to_path(str(key))
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    with uvicorn_in_thread(good_app(), ssl_certfile=str(cert), ssl_keyfile=str(key)) as server:
        yield server


def run(url: str, ca_file: Path | None) -> Report:
    async def go() -> Report:
        prober = Prober(min_interval=0.0, ca_file=ca_file)
        try:
            return await assess(AssessContext([Target(url, "proxy")], prober, ca_file=ca_file))
        finally:
            await prober.close()

    return asyncio.run(go())


def tls_ids(report: Report) -> set[str]:
    return {a.check_id for a in report.assessed if a.check_id.startswith("WAFP-TLS-")} - {"WAFP-TLS-UNTESTED"}


def test_valid_certificate_has_no_tls_findings_and_gets_hsts_credit(tmp_path: Path) -> None:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with tls_server(tmp_path, ca, "127.0.0.1") as server:
        report = run(server.url, ca_file)
    assert tls_ids(report) == set()
    assert (
        report.extra["observatory"][server.url]["tests"]["strict-transport-security"]
        == "hsts-implemented-max-age-at-least-six-months"
    )


def test_untrusted_chain_is_a_finding_and_headers_are_still_graded(tmp_path: Path) -> None:
    with tls_server(tmp_path, trustme.CA(), "127.0.0.1") as server:
        report = run(server.url, None)
    assert "WAFP-TLS-CHAIN" in tls_ids(report)
    # httpobs' rule: an invalid chain makes HSTS count as not set.
    assert (
        report.extra["observatory"][server.url]["tests"]["strict-transport-security"] == "hsts-invalid-cert"
    )


def test_expiring_certificate_and_wrong_hostname(tmp_path: Path) -> None:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with tls_server(tmp_path, ca, "127.0.0.1", days=10) as server:
        report = run(server.url, ca_file)
    expiry = [a for a in report.assessed if a.check_id == "WAFP-TLS-EXPIRY"]
    assert len(expiry) == 1 and expiry[0].finding["severity"] == "MEDIUM"
    assert expiry[0].fix is not None and "--tls-cert" in expiry[0].fix.change["flags"]
    with tls_server(tmp_path, ca, "other.example") as server:
        report = run(server.url, ca_file)
    assert tls_ids(report) == {"WAFP-TLS-HOSTNAME"}


def test_tls_handshake_failure_is_reported(good_server: RunningServer) -> None:
    url = good_server.url.replace("http://", "https://")  # plain HTTP port spoken to in TLS
    report = run(url, None)
    assert "WAFP-TLS-HANDSHAKE" in tls_ids(report)
    assert any(e.family == "tls" and "handshake" in e.message for e in report.errors)


class _Ok(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a fixed page (never files from disk)."""

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def stdlib_tls_server(context: ssl.SSLContext) -> Iterator[str]:
    """An HTTPS server over ``context`` as given (uvicorn would load the key before lowering the
    security level, and OpenSSL 3 refuses weak keys at the default level)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_small_rsa_key_is_a_finding(tmp_path: Path) -> None:
    """A 1024-bit RSA leaf signed by a trustme CA (built with cryptography: trustme makes 2048+)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    ca = trustme.CA()
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    ca_key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), password=None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    cert_file, key_file, ca_file = tmp_path / "small.pem", tmp_path / "small.key", tmp_path / "ca.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers("ALL:@SECLEVEL=0")
    context.load_cert_chain(str(cert_file), str(key_file))
    with stdlib_tls_server(context) as url:
        report = run(url, ca_file)
    keysize = [a for a in report.assessed if a.check_id == "WAFP-TLS-KEYSIZE"]
    assert len(keysize) == 1 and "1024" in keysize[0].finding["description"]


def test_old_protocols_and_weak_suites_accepted(tmp_path: Path) -> None:
    """A server at security level 0 that still speaks TLS 1.0/1.1 and every suite."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.set_ciphers("ALL:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with stdlib_tls_server(context) as url:
        report = run(url, ca_file)
    assert tls_ids(report) == {"WAFP-TLS-PROTOCOL", "WAFP-TLS-CIPHERS"}
    protocol = next(a for a in report.assessed if a.check_id == "WAFP-TLS-PROTOCOL")
    assert "TLSv1 and TLSv1_1" in protocol.finding["description"]
