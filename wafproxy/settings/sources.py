"""Where setting values come from: flags > ``WAFPROXY_*`` env vars > ``--config FILE`` > defaults.

As uvicorn does it, every flag is also an env var and a config key (``names``), all read off one
table (``options.OPTIONS``). Repeatable flags read comma-separated env vars, except
``WAFPROXY_UPSTREAM`` which is whitespace-separated because a routed upstream spec contains commas.
A bad value raises ``SettingsError`` naming the flag, env var or config key it came from.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from wafproxy.settings.errors import SettingsError
from wafproxy.settings.model import Settings
from wafproxy.settings.names import ENV_PREFIX, env_of, flag_of
from wafproxy.settings.options import BY_FIELD, OPTIONS, PLURAL_FIELD
from wafproxy.settings.values import boolean

_SINGULAR_FIELD = {plural: field for field, plural in PLURAL_FIELD.items()}  # config keys


def add_arguments(parser: argparse.ArgumentParser, *, exclude: Sequence[str] = ()) -> None:
    """Add every setting as a flag. Values stay raw strings here; ``resolve`` parses them."""
    parser.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                        help=f"YAML settings file (env {ENV_PREFIX}CONFIG)")
    for opt in OPTIONS:
        if opt.field in exclude:
            continue
        help_text = f"{opt.help} (env {env_of(opt.field)})"
        if opt.field == "preserve_host":
            parser.add_argument("--preserve-host", dest="preserve_host", action="store_const",
                                const="true", default=argparse.SUPPRESS, help=help_text)
            parser.add_argument("--rewrite-host", dest="preserve_host", action="store_const",
                                const="false", default=argparse.SUPPRESS,
                                help="send the upstream's own host as Host")
        elif opt.parse is boolean:
            parser.add_argument(flag_of(opt.field), dest=opt.field, action="store_const", const="true",
                                default=argparse.SUPPRESS, help=help_text)
        else:
            parser.add_argument(flag_of(opt.field), dest=opt.field, metavar=opt.metavar,
                                action="append" if opt.repeatable else "store",
                                default=argparse.SUPPRESS, help=help_text)


def _load_config(path_text: str, source: str) -> dict[str, Any]:
    path = Path(path_text).expanduser()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(source, f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SettingsError(source, f"{path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(source, f"{path} must hold a mapping of settings")
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        name = _SINGULAR_FIELD.get(name, name)
        if name not in BY_FIELD:
            raise SettingsError(f"{path}: {key}", "unknown setting")
        out[name] = value
    return out


def resolve(ns: argparse.Namespace | None, environ: Mapping[str, str] | None = None,
            *, exclude: Sequence[str] = ()) -> Settings:
    """Merge flags > env > config file > defaults into one validated ``Settings``."""
    env = os.environ if environ is None else environ
    given = vars(ns) if ns is not None else {}
    config: dict[str, Any] = {}
    if "config" in given:
        config = _load_config(given["config"], "--config")
    elif env.get(ENV_PREFIX + "CONFIG"):
        config = _load_config(env[ENV_PREFIX + "CONFIG"], ENV_PREFIX + "CONFIG")
    values: dict[str, Any] = {}
    for opt in OPTIONS:
        if opt.field in exclude:
            continue
        raw: Any
        if opt.field in given:
            source, raw = flag_of(opt.field), given[opt.field]
        elif env.get(env_of(opt.field), "").strip():
            source, raw = env_of(opt.field), env[env_of(opt.field)]
            if opt.repeatable:
                raw = raw.split() if opt.field == "upstream" else [p for p in raw.split(",") if p.strip()]
        elif opt.field in config:
            source, raw = f"config {opt.field}", config[opt.field]
            if opt.repeatable and not isinstance(raw, list):
                raw = [raw]
        else:
            continue
        try:
            parsed = tuple(opt.parse(v) for v in raw) if opt.repeatable else opt.parse(raw)
        except ValueError as exc:
            raise SettingsError(source, str(exc)) from None
        values[PLURAL_FIELD.get(opt.field, opt.field)] = parsed
    return Settings.from_values(values)
