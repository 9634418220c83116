"""Settings of the encrypted WAF log: every combination that cannot work is refused, naming the flag."""

from __future__ import annotations

import argparse

import pytest

from wafproxy.settings import SettingsError, resolve

OK = {"waf_log": "/var/log/waf.log", "waf_log_kms_key": "alias/waf-log", "kms_endpoint": "http://127.0.0.1:8700"}


def _resolve(**given: str) -> object:
    return resolve(argparse.Namespace(**given), {})


def test_a_valid_combination() -> None:
    s = _resolve(**OK)
    assert s.waf_log_kms_key == "alias/waf-log" and s.kms_endpoint == "http://127.0.0.1:8700"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("given", "flag", "words"),
    [
        ({**OK, "waf_log": "-"}, "--waf-log-kms-key", "not stdout"),
        ({"waf_log_kms_key": "alias/x", "kms_endpoint": "http://h:1"}, "--waf-log-kms-key", "--waf-log"),
        ({"waf_log": "/x", "waf_log_kms_key": "alias/x"}, "--waf-log-kms-key", "--kms-listen"),
        ({"waf_log": "/x", "kms_endpoint": "http://h:1"}, "--kms-endpoint", "only used"),
        ({**OK, "kms_endpoint": "ftp://h"}, "--kms-endpoint", "http"),
        ({**OK, "kms_endpoint": "http://AKIA:secret@h:1"}, "--kms-endpoint", "credentials"),
        ({**OK, "waf_log_kms_key": "alias/a b"}, "--waf-log-kms-key", "key id"),
        ({"waf_log": "/x", "waf_log_kms_key": "alias/x", "kms_listen": "127.0.0.1:0", "workers": "2"},
         "--waf-log-kms-key", "--kms-endpoint"),
    ],
)
def test_refused(given: dict[str, str], flag: str, words: str) -> None:
    with pytest.raises(SettingsError) as err:
        _resolve(**given)
    assert flag in str(err.value) and words in str(err.value)
    assert "secret" not in str(err.value)
