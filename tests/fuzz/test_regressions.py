"""Inputs the fuzzer found, kept: each must now be handled with the documented error."""

from __future__ import annotations

import pytest

from tests.fuzz.harness import run_one
from tests.fuzz.targets import target

FOUND = [
    # kms logs decrypt: a byte over 0x7f escaped as UnicodeDecodeError (not LogCryptError).
    pytest.param("kms-log", b"o2\xd0:\xf4\xce{ co", id="kms-log-non-ascii"),
    pytest.param("kms-log", b'{"wafproxyEncryptedLog": 2}\n\xff\n', id="kms-log-non-ascii-line-2"),
    # A first line that is JSON but not an object: AttributeError from header.get (atheris, 129 runs).
    pytest.param("kms-log", b"5\n", id="kms-log-header-not-an-object"),
    pytest.param("kms-log", b"[]\n", id="kms-log-header-a-list"),
    # WAF log records whose JSON types are wrong became Observations that crashed `detect --log`
    # (TypeError in the scenarios on a null clientIp; Hypothesis, member replaced).
    pytest.param("log-lines", b'{"timestamp": 1, "httpRequest": {"clientIp": null}}', id="waf-log-null-ip"),
    pytest.param("log-lines", b'{"timestamp": 1, "httpRequest": {"clientIp": 5, "uri": []}}',
                 id="waf-log-number-ip"),
    pytest.param("log-lines", b'{"timestamp": Infinity, "httpRequest": {"clientIp": "192.0.2.1"}}',
                 id="waf-log-infinite-time"),
    pytest.param("log-lines", b'{"timestamp": 1' + b"0" * 400 + b', "httpRequest": {"clientIp": "a"}}',
                 id="waf-log-time-overflow"),
    pytest.param("log-lines", b'{"timestamp": 1, "responseCodeSent": 1e999, "httpRequest": {"clientIp": ""}}',
                 id="waf-log-infinite-status"),
    # Long runs (load_tests/fuzz.py, 60 s): nesting past the JSON decoder's recursion limit escaped
    # as RecursionError (log lines, and the AWS JSON dispatchers); an ALB time read as infinity.
    pytest.param("log-lines", b'{"a": ' * 50_000, id="waf-log-deep-objects"),
    pytest.param("log-lines", b'{"a": ' + b"[" * 50_000, id="waf-log-deep-arrays"),
    pytest.param("log-lines", b"https 2024-05-01T12:00:00.1e999Z lb 198.51.100.4:5555 - 0 0 0 401 401 1 2 "
                 b'"GET http://a/ HTTP/1.1" "ua"', id="alb-log-infinite-time"),
    pytest.param("asff-import", b'{"Findings": ' + b"[" * 50_000, id="asff-deep-nesting"),
    # A repeated Id in one batch: SuccessCount + FailedCount fell short of the batch size.
    pytest.param("asff-import", None, id="asff-repeated-id"),
]


@pytest.mark.parametrize(("name", "data"), FOUND)
def test_found_input_is_handled(name: str, data: bytes | None) -> None:
    if data is None:
        data = _repeated_ids()
    crash = run_one(target(name), data)
    assert crash is None, str(crash)


def test_non_ascii_log_names_its_line(tmp_path: object) -> None:
    import asyncio
    from pathlib import Path

    from tests.fuzz.targets import _FixedKeys
    from wafproxy.sidecars.kms.logcrypt import LogCryptError
    from wafproxy.sidecars.kms.logs_cli import decrypt_file

    path = Path(str(tmp_path)) / "log"
    path.write_bytes(b'{"a": 1}\n{"b": 2}\n\xe9\n')
    with pytest.raises(LogCryptError) as raised:
        asyncio.run(decrypt_file(_FixedKeys(), path))
    assert raised.value.line == 3 and "not ASCII" in str(raised.value)


def test_waf_record_with_a_null_address_is_counted_malformed_by_replay(tmp_path: object) -> None:
    """The whole ``wafproxy detect --log`` path: the bad record is counted, the good one observed."""
    import json
    from pathlib import Path

    from wafproxy.settings import Settings
    from wafproxy.sidecars.detector.replay import replay
    from wafproxy.sidecars.detector.wiring import build_detector

    base = Path(str(tmp_path))
    good = {"timestamp": 1714564800123, "httpRequest": {"clientIp": "192.0.2.7", "uri": "/.env"}}
    bad = {"timestamp": 1714564800123, "httpRequest": {"clientIp": None, "uri": "/.env"}}
    log = base / "waf.log"
    log.write_text(json.dumps(bad) + "\n" + json.dumps(good) + "\n")
    service = build_detector(Settings(detector_findings=str(base / "findings.jsonl")))
    assert service is not None
    stats = replay(service.detector, log)
    assert (stats.lines, stats.malformed) == (2, 1)


def _repeated_ids() -> bytes:
    import json

    from tests.sidecars.hub.factory import finding

    return json.dumps({"Findings": [finding(1), finding(1), finding(2), finding(2, Types=5)]}).encode()
