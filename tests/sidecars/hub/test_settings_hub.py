"""The ``--hub-*`` settings: parsed, mirrored by the environment, and refused without what they need."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from wafproxy.settings import Settings, SettingsError, add_arguments, resolve


def parse(*argv: str, env: dict[str, str] | None = None) -> Settings:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return resolve(parser.parse_args(list(argv)), env or {})


def test_hub_flags_and_environment(tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.write_text("[a]\naws_access_key_id = A\naws_secret_access_key = B\n")
    db = str(tmp_path / "h.sqlite3")
    s = parse("--credentials", str(creds), "--hub-db", db, "--hub-retention-days", "30",
              "--kms-endpoint", "http://127.0.0.1:1", "--hub-kms-key", "alias/hub")
    assert (s.hub_db, s.hub_retention_days, s.hub_kms_key) == (tmp_path / "h.sqlite3", 30, "alias/hub")
    assert Settings.from_json(s.to_json()) == s
    env = parse("--credentials", str(creds), env={"WAFPROXY_HUB_RETENTION_DAYS": "7"})
    assert env.hub_retention_days == 7 and env.hub_db is None


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (("--hub-db", "h.sqlite3"), "--hub-db"),
        (("--hub-retention-days", "0"), "--hub-retention-days"),
        (("--credentials", "{creds}", "--hub-kms-key", "alias/hub"), "--hub-kms-key"),
    ],
)
def test_hub_settings_refused_without_what_they_need(
    tmp_path: Path, argv: tuple[str, ...], flag: str
) -> None:
    creds = tmp_path / "credentials"
    creds.write_text("[a]\naws_access_key_id = A\naws_secret_access_key = B\n")
    with pytest.raises(SettingsError) as exc:
        parse(*(a.format(creds=creds) for a in argv))
    assert flag in str(exc.value)
