"""TLS checks against real loopback TLS servers with trustme certificates."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
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
