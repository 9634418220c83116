"""``wafproxy`` (and ``python -m wafproxy``): ``serve``, ``demo``, ``version`` and the sidecars.

This module only wires: settings come from ``settings.resolve`` (flags > env > file > defaults),
the data path from ``asgi.app``, the admin endpoints from ``asgi.admin``. Sidecars add their own
subcommands through ``register(subparsers)`` in the modules listed in ``SUBCOMMAND_MODULES``.
Exit status 2 means "fix your configuration": a bad flag, env var, config key or web ACL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import importlib
import logging
import logging.config
import os
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.supervisors import Multiprocess

from wafproxy import __version__
from wafproxy.engine.errors import WebAclError
from wafproxy.settings import HostPort, Settings, SettingsError, add_arguments, resolve

if TYPE_CHECKING:  # the compiler is imported when serving, not for `wafproxy version`
    from wafproxy.engine.compiler import CompiledWebACL

SUBCOMMAND_MODULES: tuple[str, ...] = ("wafproxy.sidecars.kms.cli",)
EXIT_CONFIG = 2
GRACEFUL_SHUTDOWN_SECONDS = 25
logger = logging.getLogger("wafproxy.cli")


class ListenError(OSError):
    """A listen address that cannot be bound; ``flag`` names the setting to change."""

    def __init__(self, flag: str, address: HostPort, reason: str) -> None:
        super().__init__(f"{flag} {address}: {reason}")
        self.flag = flag


def listen_socket(address: HostPort, flag: str) -> socket.socket:
    """Bind before serving, so a taken port is one clear line (not a traceback from a task)."""
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    try:
        sock = socket.create_server((address.host, address.port), family=family, backlog=2048)
    except OSError as exc:
        raise ListenError(flag, address, exc.strerror or str(exc)) from None
    sock.set_inheritable(True)  # --workers: the supervisor hands it to the worker processes
    return sock


class QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signals to us: several servers share one loop and one Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def log_config(level: str) -> dict[str, Any]:
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["wafproxy"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return config


def data_config(settings: Settings, app: Any, **extra: Any) -> uvicorn.Config:
    """The data-path server: uvloop + httptools (with our head limits), no access log.

    ``proxy_headers=False``: uvicorn would otherwise rewrite the client address from
    X-Forwarded-For for 127.0.0.1 peers; client IP resolution is ours alone (``client_ip.py``).
    """
    from wafproxy.asgi.app import BoundedHttpToolsProtocol

    tls: dict[str, Any] = {}
    if settings.tls_cert is not None:
        tls = {"ssl_certfile": str(settings.tls_cert),
               "ssl_keyfile": str(settings.tls_key) if settings.tls_key else None}
    if settings.client_ca is not None:
        tls.update(ssl_cert_reqs=ssl.CERT_REQUIRED, ssl_ca_certs=str(settings.client_ca))
    return uvicorn.Config(
        app, host=settings.listen.host, port=settings.listen.port, loop="uvloop",
        http=BoundedHttpToolsProtocol, access_log=False, proxy_headers=False, server_header=False,
        # The upstream's Date is forwarded; uvicorn would prepend a second one.
        date_header=False,
        # SIGTERM lets in-flight requests finish, but a 50 MB stream must not outlive Kubernetes'
        # default 30 s grace period and end in SIGKILL mid-write.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_config=log_config(settings.log_level), log_level=settings.log_level, **tls, **extra,
    )


def admin_config(settings: Settings, app: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app, host=settings.admin_listen.host, port=settings.admin_listen.port, loop="uvloop",
        http="httptools", access_log=False, lifespan="off", proxy_headers=False,
        log_config=log_config(settings.log_level), log_level=settings.log_level,
    )


async def run_servers(servers: Sequence[uvicorn.Server],
                      on_started: Callable[[Sequence[uvicorn.Server]], None] | None = None,
                      sockets: dict[int, list[Any]] | None = None,
                      on_hangup: Callable[[], None] | None = None) -> None:
    """Serve all ``servers`` in this loop until SIGINT/SIGTERM (twice: force); SIGHUP reloads."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server in servers:
            if server.should_exit:
                server.force_exit = True
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    if on_hangup is not None:
        loop.add_signal_handler(signal.SIGHUP, on_hangup)
    tasks = [asyncio.create_task(s.serve(sockets=(sockets or {}).get(i))) for i, s in enumerate(servers)]
    if on_started is not None:
        while not all(s.started for s in servers):
            if any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.02)
        else:
            on_started(servers)
    try:
        # One server failing to start (port taken) stops them all.
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                stop()
        await asyncio.gather(*tasks)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(sig)


def load_acl(settings: Settings) -> CompiledWebACL:
    from wafproxy.aclfiles import load_web_acl

    return load_web_acl(settings.acl)


async def serve_in_process(settings: Settings, extra: Sequence[tuple[uvicorn.Server, Any]] = (),
                            on_started: Callable[[Sequence[uvicorn.Server]], None] | None = None,
                            acl: CompiledWebACL | None = None) -> None:
    from wafproxy.asgi.admin import Readiness, UpstreamProbe, create_admin_app
    from wafproxy.asgi.app import build_data_path, build_event_sink

    acl = acl if acl is not None else load_acl(settings)
    sink, metrics, closeables = build_event_sink(settings)
    data = build_data_path(settings, event_sink=sink, acl=acl, metrics=metrics)
    data.closeables.extend(closeables)
    readiness = Readiness([UpstreamProbe.from_url(u.url) for u in settings.upstreams], acl_name=acl.name)
    admin = create_admin_app(readiness, metrics.render if metrics else None)
    servers: list[uvicorn.Server] = [QuietServer(data_config(settings, data.app, lifespan="on")),
                                     QuietServer(admin_config(settings, admin))]
    sockets: dict[int, list[Any]] = {0: [listen_socket(settings.listen, "--listen")],
                                     1: [listen_socket(settings.admin_listen, "--admin-listen")]}
    for server, sock in extra:
        sockets[len(servers)] = [sock]
        servers.append(server)

    def reload() -> None:
        # Compile the new ACL fully, then swap one reference (in-flight requests keep the old one).
        # A broken file keeps the running ACL: better the last good rules than none.
        try:
            fresh = load_acl(settings)
        except WebAclError as exc:
            logger.error("web ACL reload failed, keeping %r: %s", data.middleware.acl.name, exc)
            if metrics is not None:
                metrics.config_reload("error")
            return
        data.middleware.swap_acl(fresh)
        readiness.acl_name = fresh.name
        logger.info("web ACL reloaded: %r from %s", fresh.name, settings.acl)
        if metrics is not None:
            metrics.config_reload("success", time.time())

    await run_servers(servers, on_started, sockets, on_hangup=reload)


def _serve_workers(settings: Settings) -> int:
    """``--workers N``: uvicorn's supervisor forks N data-path workers; admin runs in this process."""
    from wafproxy.asgi.app import SETTINGS_ENV
    from wafproxy.observability.metrics import MULTIPROC_ENV

    own_dir = None
    if not os.environ.get(MULTIPROC_ENV):
        # Before prometheus_client is imported anywhere: it picks its value class at import time.
        own_dir = tempfile.mkdtemp(prefix="wafproxy-metrics-")
        os.environ[MULTIPROC_ENV] = own_dir
    os.environ[SETTINGS_ENV] = settings.to_json()
    try:
        from wafproxy.asgi.admin import Readiness, UpstreamProbe, create_admin_app
        from wafproxy.observability.metrics import WafMetrics

        acl = load_acl(settings)  # fail here, once, rather than in every worker
        readiness = Readiness([UpstreamProbe.from_url(u.url) for u in settings.upstreams], acl_name=acl.name)
        sock = listen_socket(settings.listen, "--listen")
        admin_sock = listen_socket(settings.admin_listen, "--admin-listen")
        admin = uvicorn.Server(admin_config(settings, create_admin_app(readiness, WafMetrics().render)))
        thread = threading.Thread(target=admin.run, kwargs={"sockets": [admin_sock]}, name="wafproxy-admin",
                                  daemon=True)
        thread.start()
        config = data_config(settings, "wafproxy.asgi.app:create_app", factory=True,
                             workers=settings.workers, lifespan="on")
        _log_serving(settings)
        try:
            Multiprocess(config, sockets=[sock]).run()
        finally:
            sock.close()
            admin.should_exit = True
            thread.join(timeout=10)
            admin_sock.close()
    finally:
        if own_dir is not None:
            shutil.rmtree(own_dir, ignore_errors=True)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    settings = resolve(args, os.environ)
    if not settings.upstreams:
        raise SettingsError("--upstream", "required (or set WAFPROXY_UPSTREAM)")
    logging.config.dictConfig(log_config(settings.log_level))
    if settings.workers > 1:
        return _serve_workers(settings)
    import uvloop

    uvloop.run(serve_in_process(settings, on_started=lambda _: _log_serving(settings)))
    return 0


def _log_serving(settings: Settings) -> None:
    """One line saying what runs where (upstream URLs only: they carry no secrets)."""
    scheme = "https" if settings.tls_cert else "http"
    mtls = " requiring client certificates" if settings.client_ca else ""
    logger.info("wafproxy %s: %s://%s%s -> %s, web ACL %s, admin http://%s, %d worker(s)", __version__,
                scheme, settings.listen, mtls, ", ".join(u.url for u in settings.upstreams), settings.acl,
                settings.admin_listen, settings.workers)


def _cmd_demo(args: argparse.Namespace) -> int:
    from wafproxy.demo_app import run_demo

    settings = resolve(args, os.environ, exclude=("upstream",))
    logging.config.dictConfig(log_config(settings.log_level))
    return run_demo(settings)


def _cmd_version(args: argparse.Namespace) -> int:
    print(f"wafproxy {__version__}")
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
    version = sub.add_parser("version", help="print the version")
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
    except KeyboardInterrupt:
        return 130

