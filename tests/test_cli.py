"""The ``wafproxy`` command line: subcommands, version, exit statuses, graceful stop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.asgi.test_middleware import acl_document
from tests.support.servers import REPO, free_port, uvicorn_in_thread, wafproxy_process
from wafproxy import __version__
from wafproxy.cli import SUBCOMMAND_MODULES, build_parser, main
from wafproxy.compiled import describe


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wafproxy", *args], cwd=REPO, capture_output=True, text=True, timeout=60
    )


def test_version_as_module_and_function(capsys: pytest.CaptureFixture[str]) -> None:
    """One line: the version, then what runs (a checkout: its .py files, unless built in place)."""
    expected = f"wafproxy {__version__}, {describe()}"
    result = _run("version")
    assert (result.returncode, result.stdout.strip()) == (0, expected)
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == expected
    assert expected.split(", ", 1)[1].startswith(("pure Python (", "compiled with mypyc ("))


def test_subcommands_include_registered_modules() -> None:
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices  # noqa: SLF001
    assert {"serve", "demo", "version"} <= set(choices)
    # Each registered module adds its commands: rule tools, the KMS sidecar, log decryption.
    assert "wafproxy.rules_cli" in SUBCOMMAND_MODULES
    assert {"check", "explain", "test", "kms", "logs"} <= set(choices)


def test_no_command_is_a_usage_error() -> None:
    result = _run()
    assert result.returncode == 2 and "usage: wafproxy" in result.stderr


def test_config_file_error_exits_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "wafproxy.yaml"
    cfg.write_text("upstream: http://127.0.0.1:9\nlisten: nowhere\n")
    result = _run("serve", "--config", str(cfg))
    assert result.returncode == 2
    assert "config listen" in result.stderr and "HOST:PORT" in result.stderr


@pytest.fixture
def small_acl(tmp_path: Path) -> Path:
    """A one-rule ACL in a directory of its own: compiles in milliseconds, unlike the shipped one
    with its managed groups, so these process tests stay fast on a loaded machine."""
    path = tmp_path / "acl" / "small.json"
    path.parent.mkdir()
    path.write_text(json.dumps(acl_document()))
    return path


def test_sigterm_stops_serve_cleanly(small_acl: Path) -> None:
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with uvicorn_in_thread(app) as up:
        port, admin = free_port(), free_port()
        with wafproxy_process(
            "serve",
            "--upstream",
            up.url,
            "--acl",
            str(small_acl),
            "--listen",
            f"127.0.0.1:{port}",
            "--admin-listen",
            f"127.0.0.1:{admin}",
            wait_ports=(port, admin),
        ) as proc:
            assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 204
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0
            output = proc.stdout.read().decode() if proc.stdout else ""
            assert "Traceback" not in output


@pytest.mark.parametrize("workers", ["1", "2"])
def test_taken_port_is_one_clear_line(workers: str, small_acl: Path) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = _run(
            "serve",
            "--upstream",
            "http://127.0.0.1:9",
            "--listen",
            "127.0.0.1:0",
            "--admin-listen",
            f"127.0.0.1:{port}",
            "--workers",
            workers,
            "--acl",
            str(small_acl),
        )
    assert result.returncode == 1
    assert f"--admin-listen 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr
