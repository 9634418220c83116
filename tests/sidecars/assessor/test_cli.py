"""``wafproxy inspect`` in-process: exit statuses for CI, bad flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sidecars.assessor.osvfixture import build
from tests.support.servers import RunningServer, free_port
from wafproxy.cli import main


def test_fail_on_findings_and_on_what_could_not_be_assessed(
    bad_server: RunningServer, good_server: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inspect", "--target", bad_server.url, "--fail-on", "HIGH"]) == 3
    out = capsys.readouterr().out
    assert out.index("HIGH (") < out.index("MEDIUM (") < out.index("LOW (")  # by severity
    assert "fix WAFP-EXP-ROUTE-" in out and "NOT ASSESSED [deps]" in out
    assert main(["inspect", "--target", good_server.url, "--fail-on", "CRITICAL"]) == 0
    dead = f"http://127.0.0.1:{free_port()}"
    assert main(["inspect", "--target", good_server.url, "--target", dead, "--fail-on", "CRITICAL"]) == 4
    assert f"NOT ASSESSED [http] {dead}: unreachable" in capsys.readouterr().out


def test_bad_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect"]) == 2
    assert main(["inspect", "--osv-db", str(tmp_path / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["inspect", "--target", "http://x", "--fail-on", "SEVERE"])


def test_osv_only_run_with_a_requirements_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("demo-lib==1.0\n", encoding="utf-8")
    assert (
        main(["inspect", "--osv-db", str(build(tmp_path)), "--requirements", str(req), "--fail-on", "HIGH"])
        == 3
    )
    out = capsys.readouterr().out
    assert "CRITICAL (1)" in out and "PYSEC-2099-1" in out and "OSV database" in out
