"""``wafproxy serve`` in one process: the data path, admin and the in-process KMS on one loop.

The data path is our own HTTP/1.1 server (``wafproxy/server/``), the admin and KMS listeners are
uvicorn; all share one loop, one set of signal handlers (``listeners.run_servers``) and the
reloader that swaps the ACL everywhere at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import uvicorn

from wafproxy import startup
from wafproxy.cli.admin import admin_config, aim_assessor, build_admin, readiness_for
from wafproxy.cli.inprocess_kms import kms_servers, open_kms_service
from wafproxy.cli.listeners import QuietServer, listen_socket, run_servers
from wafproxy.settings import Settings

if TYPE_CHECKING:  # the compiler is imported when serving, not for `wafproxy version`
    from wafproxy.engine.compiler import CompiledWebACL


def load_acl(settings: Settings) -> CompiledWebACL:
    from wafproxy.aclfiles import load_web_acl

    return load_web_acl(settings.acl, account=settings.account_id)


async def serve_in_process(settings: Settings, extra: Sequence[tuple[uvicorn.Server, Any]] = (),
                            on_started: Callable[[Sequence[uvicorn.Server]], None] | None = None,
                            kms_service: Any = None) -> None:
    from wafproxy.asgi.app_acl import build_reloader
    from wafproxy.asgi.app_events import build_event_sink, limits_for
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
    readiness = readiness_for(settings, acl.name)
    admin = build_admin(settings, reloader, readiness, metrics, rate_store=data.rate_store, dispatcher=sink,
                        waf_log=closeables[0] if closeables else None, kms_service=kms, detector=detector)
    servers: list[Any] = [data_server, QuietServer(admin_config(settings, admin))]
    sockets: dict[int, list[Any]] = {0: [listen_socket(settings.listen, "--listen")],
                                     1: [listen_socket(settings.admin_listen, "--admin-listen")]}
    for server, sock in [*kms_servers(settings, kms), *extra]:
        sockets[len(servers)] = [sock]
        servers.append(server)
    aim_assessor(admin, sockets[0][0], settings)
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
