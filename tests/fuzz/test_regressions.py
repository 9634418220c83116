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
]


@pytest.mark.parametrize(("name", "data"), FOUND)
def test_found_input_is_handled(name: str, data: bytes) -> None:
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
