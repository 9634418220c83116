"""``wafproxy`` (and ``python -m wafproxy``): ``serve``, ``demo``, ``version`` and the sidecars.

This package only wires: settings come from ``settings.resolve`` (flags > env > file > defaults),
the data path from ``server`` / ``asgi.app``, the admin endpoints from ``asgi.admin``. Sidecars add
their own subcommands through ``register(subparsers)`` in the modules listed in
``SUBCOMMAND_MODULES``. Exit status 2 means "fix your configuration": a bad flag, env var, config
key or web ACL.

Here: the command line (parser, commands, exit statuses). Beside it: ``listeners`` (bind, run
servers on one loop), ``logs``, ``admin`` (the admin app), ``inprocess`` (``serve`` in one process),
``workers`` (``serve --workers N``), ``inprocess_kms`` (``--kms-listen``). The names other modules
and tests import from ``wafproxy.cli`` are re-exported below.
"""

from __future__ import annotations

import argparse
import importlib
import logging.config
import os
import sys
from collections.abc import Sequence

from wafproxy import __version__, startup
from wafproxy.cli.admin import admin_config, build_admin
from wafproxy.cli.inprocess import build_detector_for, load_acl, serve_in_process
from wafproxy.cli.inprocess_kms import kms_servers, open_kms_service
from wafproxy.cli.listeners import ListenError, QuietServer, listen_socket, run_servers
from wafproxy.cli.logs import UvicornLifecycleFilter, log_config, log_serving
from wafproxy.cli.workers import serve_workers
from wafproxy.engine.errors import WebAclError
from wafproxy.settings import SettingsError, add_arguments, resolve

__all__ = [
    "EXIT_CONFIG", "SUBCOMMAND_MODULES", "ListenError", "QuietServer", "UvicornLifecycleFilter",
    "admin_config", "build_admin", "build_detector_for", "build_parser", "kms_servers", "listen_socket",
    "load_acl", "log_config", "main", "open_kms_service", "run_servers", "serve_in_process",
]

SUBCOMMAND_MODULES: tuple[str, ...] = (
    "wafproxy.rules_cli",
    "wafproxy.sidecars.kms.cli",
    "wafproxy.sidecars.kms.logs_cli",
    "wafproxy.sidecars.assessor.cli",
    "wafproxy.sidecars.detector.cli",
)
EXIT_CONFIG = 2
# By name: importing their modules here would slow ``wafproxy version`` down.
_CONFIG_ERRORS = frozenset({"StoreError", "CredentialsError", "PolicyError", "RootKeyError", "KeyStoreError",
                            "IntelError"})


def _cmd_serve(args: argparse.Namespace) -> int:
    settings = resolve(args, os.environ)
    if not settings.upstreams:
        raise SettingsError("--upstream", "required (or set WAFPROXY_UPSTREAM)")
    logging.config.dictConfig(log_config(settings.log_level))
    startup.begin(settings.acl)
    if settings.workers > 1:
        return serve_workers(settings)
    import uvloop

    uvloop.run(serve_in_process(settings, on_started=lambda _: log_serving(settings)))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from wafproxy.demo_app import run_demo

    settings = resolve(args, os.environ, exclude=("upstream",))
    logging.config.dictConfig(log_config(settings.log_level))
    startup.begin(settings.acl)
    return run_demo(settings)


def _cmd_version(args: argparse.Namespace) -> int:
    from wafproxy.compiled import describe

    print(f"wafproxy {__version__}, {describe()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wafproxy",
                                     description="Web application firewall (AWS WAFv2 rules).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the WAF reverse proxy in front of --upstream")
    add_arguments(serve)
    serve.set_defaults(func=_cmd_serve)
    demo = sub.add_parser("demo", help="run the proxy with the default web ACL in front of a demo app")
    add_arguments(demo, exclude=("upstream",))
    demo.set_defaults(func=_cmd_demo)
    version = sub.add_parser("version", help="print the version and whether it runs compiled")
    version.set_defaults(func=_cmd_version)
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists but is broken: say so
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(f"wafproxy: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except ListenError as exc:
        print(f"wafproxy: error: cannot listen: {exc}", file=sys.stderr)
        return 1
    except WebAclError as exc:
        # The engine's error names the file and the JSON path of the offending field.
        print(f"wafproxy: error: invalid web ACL: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except Exception as exc:
        # The control plane's and the sidecars' configuration errors name their file; anything
        # else is a bug and keeps its traceback.
        if type(exc).__name__ not in _CONFIG_ERRORS:
            raise
        print(f"wafproxy: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
