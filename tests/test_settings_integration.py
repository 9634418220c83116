"""Settings of the wired pieces: Redis rate limits, the control plane, the in-process KMS."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from wafproxy.settings import HostPort, Settings, SettingsError, add_arguments, resolve


def _parse(*argv: str, env: dict[str, str] | None = None) -> Settings:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return resolve(parser.parse_args(list(argv)), env or {})


def test_defaults_keep_everything_off() -> None:
    s = _parse()
    assert s.redis is None and s.hosts == 1 and s.rate_limit_on_redis_failure == "local"
    assert s.credentials is None and s.kms_listen is None and not s.flood_mitigation
    assert s.account_id == "000000000000" and s.region == "us-east-1"


def test_redis_url_is_checked_but_never_echoed() -> None:
    with pytest.raises(SettingsError) as err:
        _parse("--redis", "http://user:hunter2@example")
    assert err.value.source == "--redis" and "hunter2" not in str(err.value)
    s = _parse(env={"WAFPROXY_REDIS": "redis://:pw@127.0.0.1:6379/0", "WAFPROXY_HOSTS": "3"})
    assert s.redis == "redis://:pw@127.0.0.1:6379/0" and s.hosts == 3


@pytest.mark.parametrize(
    ("argv", "source"),
    [
        (["--hosts", "2"], "--hosts"),
        (["--rate-limit-on-redis-failure", "maybe"], "--rate-limit-on-redis-failure"),
        (["--account-id", "12345"], "--account-id"),
        (["--region", "Mars"], "--region"),
        (["--kms-data-dir", "/tmp"], "--kms-data-dir"),
    ],
)
def test_bad_or_incomplete_values_name_the_flag(argv: list[str], source: str) -> None:
    with pytest.raises(SettingsError) as err:
        _parse(*argv)
    assert err.value.source == source


def test_policy_file_needs_credentials(tmp_path: Path) -> None:
    policy = tmp_path / "p.json"
    policy.write_text("{}")
    with pytest.raises(SettingsError) as err:
        _parse("--policy-file", str(policy))
    assert err.value.source == "--policy-file"


def test_round_trip_for_workers(tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.write_text("[a]\n")
    s = _parse("--redis", "redis://127.0.0.1:1/0", "--credentials", str(creds), "--state-dir",
               str(tmp_path / "state"), "--kms-listen", "127.0.0.1:0",
               "--kms-data-dir", str(tmp_path / "kms"),
               "--kms-root-key-file", str(tmp_path / "root.key"), "--flood-mitigation", "--account-id",
               "123456789012", "--region", "eu-west-3")
    assert Settings.from_json(s.to_json()) == s
    assert s.kms_listen == HostPort("127.0.0.1", 0) and s.flood_mitigation
