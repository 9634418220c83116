"""The bounds' settings: one flag, one ``WAFPROXY_*`` variable and one config key each, reaching
``ShieldLimits`` / ``ContentLimits``; a content bound above its parser's cap is refused by name."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from wafproxy.asgi.limits import ShieldLimits, content_limits_from, shield_limits_from
from wafproxy.engine.parsing import ContentLimits
from wafproxy.settings import CONTENT_BOUNDS, SHIELD_BOUNDS, SettingsError, add_arguments, resolve


def parse(argv: list[str], env: dict[str, str] | None = None) -> tuple[ShieldLimits, ContentLimits]:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    settings = resolve(parser.parse_args(argv), env or {})
    return shield_limits_from(settings), content_limits_from(settings)


def test_defaults_are_the_dataclasses_own() -> None:
    assert parse([]) == (ShieldLimits(), ContentLimits())


def test_flag_env_and_config_key(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("max-json-depth: 8\nkeep_alive_timeout: 2.5\n")
    shield, content = parse(["--max-url-bytes", "1000", "--config", str(config)],
                            {"WAFPROXY_MAX_COOKIES": "50", "WAFPROXY_MAX_WEBSOCKET_FRAME_BYTES": "4096"})
    assert shield.max_url_bytes == 1000 and shield.keep_alive_timeout == 2.5
    assert shield.max_websocket_frame_bytes == 4096
    assert (content.max_cookies, content.max_json_depth) == (50, 8)


@pytest.mark.parametrize("name", [*SHIELD_BOUNDS, *CONTENT_BOUNDS])
def test_every_bound_has_a_flag(name: str) -> None:
    shield, content = parse(["--" + name.replace("_", "-"), "3"])
    assert getattr(shield if name in SHIELD_BOUNDS else content, name) == 3


@pytest.mark.parametrize(("argv", "flag"), [
    (["--max-query-args", "1001"], "--max-query-args"),
    (["--max-json-depth", "65"], "--max-json-depth"),
    (["--max-body-bytes", "0"], "--max-body-bytes"),
    (["--header-timeout", "-1"], "--header-timeout"),
])
def test_bad_bounds_name_their_flag(argv: list[str], flag: str) -> None:
    with pytest.raises(SettingsError) as err:
        parse(argv)
    assert err.value.source == flag
