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
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from wafproxy import __version__, startup
from wafproxy.engine.errors import WebAclError
from wafproxy.settings import HostPort, Settings, SettingsError, add_arguments, resolve

if TYPE_CHECKING:  # the compiler is imported when serving, not for `wafproxy version`
    from wafproxy.engine.compiler import CompiledWebACL

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
GRACEFUL_SHUTDOWN_SECONDS = 25
logger = logging.getLogger("wafproxy.cli")


class ListenError(OSError):
    """A listen address that cannot be bound; ``flag`` names the setting to change."""

    def __init__(self, flag: str, address: HostPort, reason: str) -> None:
        super().__init__(f"{flag} {address}: {reason}")
        self.flag = flag


def listen_socket(address: HostPort, flag: str, *, reuse_port: bool = False) -> socket.socket:
    """Bind before serving, so a taken port is one clear line (not a traceback from a task).
    ``reuse_port``: the first socket of the ``--workers`` group (``server.reuseport``)."""
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    try:
        sock = socket.create_server((address.host, address.port), family=family, backlog=2048)
        if reuse_port:
            from wafproxy.server.reuseport import reuse_port_listener

            sock = reuse_port_listener(sock)
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
    if level.lower() != "debug":
        # Every uvicorn server in the process (data, admin, and under ``demo`` the demo app and
        # the KMS) logs its own "Started server process", "Waiting for application startup", …:
        # the same lines 2-4 times. ``_log_serving`` / the demo banner say once what runs where.
        config.setdefault("filters", {})["uvicorn_lifecycle"] = {"()": UvicornLifecycleFilter}
        config["loggers"]["uvicorn.error"]["filters"] = ["uvicorn_lifecycle"]
    return config


class UvicornLifecycleFilter(logging.Filter):
    """Drops uvicorn's per-server INFO lifecycle lines; its warnings and errors pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


def admin_config(settings: Settings, app: Any) -> uvicorn.Config:
    """The admin server; its lifespan starts the control plane's reloader (file watch, Redis)."""
    return uvicorn.Config(
        app, host=settings.admin_listen.host, port=settings.admin_listen.port, loop="uvloop",
        http="httptools", access_log=False, lifespan="on", proxy_headers=False,
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

    return load_web_acl(settings.acl, account=settings.account_id)


def build_admin(settings: Settings, reloader: Any, readiness: Any, metrics: Any, *,
                rate_store: Any = None, dispatcher: Any = None, waf_log: Any = None,
                kms_service: Any = None, detector: Any = None) -> Any:
    """The admin app: /healthz /readyz /metrics, plus the WAFv2 API at ``POST /`` with
    ``--credentials``; the reloader starts and stops with its lifespan either way. ``detector``
    (a ``DetectorService``): its GuardDuty API under ``/detector``, remediation through the plane."""
    if detector is not None:
        app = build_admin(settings, reloader, readiness, metrics, rate_store=rate_store,
                          dispatcher=dispatcher, waf_log=waf_log, kms_service=kms_service, detector=None)
        plane = getattr(app, "wafproxy_plane", None)
        if plane is not None:
            detector.attach_plane(plane)
        hub = getattr(app, "wafproxy_hub", None)
        if hub is not None:  # the detector's findings land in the hub too (issue 14)
            detector.add_finding_sink(hub.sink)
        mounted = detector.mount(app)
        if hasattr(app, "assessor"):
            mounted.assessor = app.assessor  # type: ignore[attr-defined]
        return mounted
    from wafproxy.asgi.admin import create_admin_app
    from wafproxy.asgi.app import FileAcl
    from wafproxy.control.plane import ControlPlane, mount, with_reloader
    from wafproxy.sidecars.assessor.service import attach as attach_assessor

    base: Any = create_admin_app(readiness, metrics.render if metrics is not None else None)
    reloader.add_swap(lambda compiled: setattr(readiness, "acl_name", compiled.name))
    if isinstance(reloader, FileAcl):
        return attach_assessor(base, settings, reloader)
    on_logging = waf_log.reconfigure if waf_log is not None else None
    if settings.credentials is None:
        reloader.on_logging = on_logging
        reloader.apply_logging()  # the persisted configuration, as ControlPlane does on start
        return attach_assessor(with_reloader(reloader, base, sighup=False), settings, reloader)
    plane = ControlPlane.from_files(reloader, credentials=settings.credentials,
                                    policy_file=settings.policy_file, rate_store=rate_store,
                                    on_logging=on_logging)
    if dispatcher is not None and hasattr(dispatcher, "subscribe"):
        dispatcher.subscribe(plane.sampler)
    # The findings hub: Security Hub API + /console on this listener, same credentials (issue 14);
    # the assessor's findings (issue 13) land in it too, the detector's through ``wafproxy_hub``.
    from wafproxy.sidecars.hub.service import mount as mount_hub
    from wafproxy.sidecars.hub.wiring import build_hub

    hub = build_hub(settings, plane, dispatcher=dispatcher, kms_service=kms_service)
    mounted = attach_assessor(mount_hub(hub, mount(plane, base, sighup=False)), settings, reloader,
                              sink=hub.sink)
    mounted.wafproxy_plane = plane  # type: ignore[attr-defined]  # for the detector's API
    mounted.wafproxy_hub = hub  # type: ignore[attr-defined]
    return mounted


async def serve_in_process(settings: Settings, extra: Sequence[tuple[uvicorn.Server, Any]] = (),
                            on_started: Callable[[Sequence[uvicorn.Server]], None] | None = None,
                            kms_service: Any = None) -> None:
    from wafproxy.asgi.admin import Readiness, UpstreamProbe
    from wafproxy.asgi.app import build_event_sink, build_reloader, limits_for
    from wafproxy.server.datapath import build_proxy

    # Before the WAF log: an encrypted log takes its data keys here (the demo brings its own KMS).
    kms = open_kms_service(settings) if kms_service is None else kms_service
    sink, metrics, closeables = build_event_sink(settings, kms_service=kms)
    reloader = build_reloader(settings, metrics=metrics)  # compiles the ACL the data path serves
    hyperscan = startup.compile_in_background()  # databases not cached yet: RE2 serves meanwhile
    acl = reloader.current
    # Our own HTTP/1.1 server (wafproxy/server/), not uvicorn: no ASGI between socket and engine.
    data, data_server = build_proxy(settings, event_sink=sink, acl=acl, metrics=metrics,
                                    limits=limits_for(metrics))
    data.closeables.extend(closeables)
    detector = build_detector_for(settings, sink, data.middleware, metrics, acl.name, kms)
    if detector is not None:  # its gate on the inspector; started and stopped with the data path
        data.services.append(detector)
        data.closeables.append(detector)
    reloader.add_swap(data.middleware.swap_acl)
    readiness = Readiness([UpstreamProbe.from_url(u.url) for u in settings.upstreams], acl_name=acl.name)
    admin = build_admin(settings, reloader, readiness, metrics, rate_store=data.rate_store, dispatcher=sink,
                        waf_log=closeables[0] if closeables else None, kms_service=kms, detector=detector)
    servers: list[Any] = [data_server, QuietServer(admin_config(settings, admin))]
    sockets: dict[int, list[Any]] = {0: [listen_socket(settings.listen, "--listen")],
                                     1: [listen_socket(settings.admin_listen, "--admin-listen")]}
    for server, sock in [*kms_servers(settings, kms), *extra]:
        sockets[len(servers)] = [sock]
        servers.append(server)
    if hasattr(admin, "assessor"):  # the periodic assessment probes the port really bound
        admin.assessor.set_listener(*sockets[0][0].getsockname()[:2], tls=settings.tls_cert is not None)
    loop = asyncio.get_running_loop()
    from wafproxy.server.gcfreeze import GcFreezer

    freezer = GcFreezer()  # full GC passes skip what is loaded now; refrozen after every swap
    reloader.add_swap(freezer.swapped)
    freezer.after(hyperscan)
    freezer.freeze()

    def reload() -> None:
        # Compiled fully off the loop, then one reference swap (in-flight requests keep the old
        # ACL); a broken file keeps the running ACL and counts config_reloads{result="failure"}.
        loop.create_task(reloader.reload_from_disk("sighup"))

    await run_servers(servers, on_started, sockets, on_hangup=reload)


def build_detector_for(settings: Settings, sink: Any, middleware: Any, metrics: Any, acl_name: str,
                       kms_service: Any = None) -> Any:
    """``--detector on|dry-run``: the threat detector subscribed to the request events, its gate
    consulted by ``middleware`` before the engine (None with ``--detector off``)."""
    from wafproxy.sidecars.detector.wiring import attach_to_data_path

    return attach_to_data_path(settings, sink, middleware, metrics.registry if metrics is not None else None,
                               acl_name, kms_service)


def open_kms_service(settings: Settings) -> Any:
    """``--kms-listen``: the in-process ``KmsService`` (``None`` without the flag)."""
    if settings.kms_listen is None:
        return None
    from wafproxy.awsapi.credentials import CredentialStore
    from wafproxy.sidecars.kms.core import KmsConfig
    from wafproxy.sidecars.kms.rootkey import load_root_key
    from wafproxy.sidecars.kms.service import KmsService

    if settings.credentials is None:
        raise SettingsError("--kms-listen", "needs --credentials (the KMS API authenticates every call)")
    if settings.kms_data_dir is None:
        raise SettingsError("--kms-listen", "needs --kms-data-dir (the key store)")
    return KmsService.open(
        data_dir=settings.kms_data_dir, root_key=load_root_key(settings.kms_root_key_file),
        credentials=CredentialStore.load(settings.credentials, account=settings.account_id),
        config=KmsConfig(settings.region, settings.account_id),
    )


def kms_servers(settings: Settings, service: Any = None) -> list[tuple[uvicorn.Server, socket.socket]]:
    """``--kms-listen``: the KMS API in this process, on its own listener (own credentials check)."""
    if settings.kms_listen is None:
        return []
    if service is None:
        service = open_kms_service(settings)
    app = service.app
    sock = listen_socket(settings.kms_listen, "--kms-listen")
    config = uvicorn.Config(app, loop="uvloop", http="httptools", access_log=False, lifespan="off",
                            log_config=log_config(settings.log_level), log_level=settings.log_level)
    return [(QuietServer(config), sock)]


def _serve_workers(settings: Settings) -> int:
    """``--workers N``: N data-path worker processes, one socket each of the listening address's
    ``SO_REUSEPORT`` group (``server.workers.Supervisor``); admin (and the control plane, which
    alone writes) runs in this process."""
    from wafproxy.asgi.app import SETTINGS_ENV
    from wafproxy.observability.metrics import MULTIPROC_ENV

    own_dir = None
    if not os.environ.get(MULTIPROC_ENV):
        # Before prometheus_client is imported anywhere: it picks its value class at import time.
        own_dir = tempfile.mkdtemp(prefix="wafproxy-metrics-")
        os.environ[MULTIPROC_ENV] = own_dir
    os.environ[SETTINGS_ENV] = settings.to_json()
    try:
        from wafproxy.asgi.admin import Readiness, UpstreamProbe
        from wafproxy.asgi.app import build_reloader
        from wafproxy.observability.metrics import WafMetrics

        metrics = WafMetrics()
        reloader = build_reloader(settings, metrics=metrics)  # fail here, once, rather than in every worker
        startup.compile_in_background()  # workers too; each database is compiled once (a cache lock)
        readiness = Readiness([UpstreamProbe.from_url(u.url) for u in settings.upstreams],
                              acl_name=reloader.current.name)
        from wafproxy.sidecars.detector.wiring import build_detector

        # Workers detect (and share bans and findings through --redis); this process serves the
        # GuardDuty API and records bans in the IP sets.
        detector = build_detector(settings, metrics.registry, reloader.current.name)
        admin_app = build_admin(settings, reloader, readiness, metrics, detector=detector)
        sock = listen_socket(settings.listen, "--listen", reuse_port=True)  # one socket per worker
        admin_sock = listen_socket(settings.admin_listen, "--admin-listen")
        if hasattr(admin_app, "assessor"):  # the periodic assessment probes the port really bound
            admin_app.assessor.set_listener(*sock.getsockname()[:2], tls=settings.tls_cert is not None)
        admin = uvicorn.Server(admin_config(settings, admin_app))
        thread = threading.Thread(target=admin.run, kwargs={"sockets": [admin_sock]}, name="wafproxy-admin",
                                  daemon=True)
        thread.start()
        from wafproxy.observability.metrics import mark_process_dead
        from wafproxy.server.workers import Supervisor

        _log_serving(settings)
        try:
            # Our own server in each worker (wafproxy/server/worker.py); this process supervises.
            Supervisor(sock, settings.workers, on_exit=mark_process_dead,
                       validate=lambda: build_reloader(settings, persist=False)).run()
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
    startup.begin(settings.acl)
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
    startup.begin(settings.acl)
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
    except Exception as exc:
        # The control plane's and the sidecars' configuration errors name their file; anything
        # else is a bug and keeps its traceback.
        if type(exc).__name__ not in _CONFIG_ERRORS:
            raise
        print(f"wafproxy: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130

