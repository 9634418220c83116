"""Fixtures shared by every test package: a test CA (trustme) and its certificates on disk, and a
real redis-server per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from tests.support.redis import REDIS_SERVER, RedisServer

# The periodic assessment (sidecars/assessor, on by default) probes the proxy a few seconds after
# start: tests counting requests, log records or rate-limit hits would see its traffic. Tests of
# the assessment itself pass --assess-interval (a flag beats this environment variable).
os.environ.setdefault("WAFPROXY_ASSESS_INTERVAL", "0")


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of a trustme CA and certificates it issued, for servers and clients under test."""

    ca: Path  # CA certificate
    server: Path  # server cert + key (one PEM) for 127.0.0.1 / localhost
    server_cert: Path
    server_key: Path
    client: Path  # client cert + key (one PEM)
    client_cert: Path
    client_key: Path
    other_ca: Path  # a CA that signed nothing here: verification against it must fail


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    d = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    other = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost", "::1")
    client = ca.issue_cert("client.wafproxy.test")
    ca.cert_pem.write_to_path(str(d / "ca.pem"))
    other.cert_pem.write_to_path(str(d / "other-ca.pem"))
    server.private_key_and_cert_chain_pem.write_to_path(str(d / "server.pem"))
    server.cert_chain_pems[0].write_to_path(str(d / "server.crt"))
    server.private_key_pem.write_to_path(str(d / "server.key"))
    client.private_key_and_cert_chain_pem.write_to_path(str(d / "client.pem"))
    client.cert_chain_pems[0].write_to_path(str(d / "client.crt"))
    client.private_key_pem.write_to_path(str(d / "client.key"))
    return TlsFiles(
        ca=d / "ca.pem",
        server=d / "server.pem",
        server_cert=d / "server.crt",
        server_key=d / "server.key",
        client=d / "client.pem",
        client_cert=d / "client.crt",
        client_key=d / "client.key",
        other_ca=d / "other-ca.pem",
    )


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A real redis-server on an ephemeral loopback port, killed after the test."""
    if not Path(REDIS_SERVER).exists():
        pytest.fail("redis-server is not installed (apt-get install -y redis-server)")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()



@pytest.fixture(scope="session")
def release_sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist of this checkout (``python -m build --sdist``)."""
    from tests.support.wheels import sdist

    return sdist(Path(__file__).resolve().parents[1], tmp_path_factory.mktemp("sdist"))


@pytest.fixture(scope="session")
def wheel_builder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh, empty venv: wheels are built there, as in a user's first install."""
    from tests.support.wheels import fresh_venv

    return fresh_venv(tmp_path_factory.mktemp("builder") / "venv")


@pytest.fixture(scope="session")
def default_wheel(wheel_builder: Path, release_sdist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel ``pip install`` builds from the sdist with no ``WAFPROXY_COMPILE``: compiled when
    this machine has a C compiler and Python's headers, pure Python otherwise. Built once per
    session (a compiled build is ~1 min of CPU) for every wheel and installed-package test."""
    from tests.support.wheels import pip_wheel

    return pip_wheel(wheel_builder, release_sdist, tmp_path_factory.mktemp("wheelhouse"))[0]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Compile the shipped default web ACL once, before any test, so its hyperscan databases are in
    the on-disk cache (``~/.cache/wafproxy/hyperscan``). On a fresh machine that first compile of
    the managed groups takes minutes; every ``wafproxy serve`` subprocess a test starts would
    otherwise pay it inside its start-up timeout. Later loads read the cache in about a second.
    A collection hook, not a fixture: pytest-timeout's per-test limit must not count it."""
    if session.config.option.collectonly or not session.items:
        return
    from wafproxy import startup
    from wafproxy.aclfiles import load_web_acl

    default_acl = Path(__file__).resolve().parents[1] / "rules" / "default-web-acl.json"
    startup.begin(default_acl)  # uncached databases are then compiled on every core at once
    load_web_acl(default_acl)
    startup.compile_now()
