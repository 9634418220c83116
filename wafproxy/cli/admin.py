"""The admin listener's app and server: /healthz /readyz /metrics, and with ``--credentials`` the
WAFv2 API, the findings hub and its console, the assessor; the detector's GuardDuty API on top.

Only wiring: each part is built by its own package and handed what it needs here, once.
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn

from wafproxy.cli.logs import log_config
from wafproxy.settings import Settings


def admin_config(settings: Settings, app: Any) -> uvicorn.Config:
    """The admin server; its lifespan starts the control plane's reloader (file watch, Redis)."""
    return uvicorn.Config(
        app, host=settings.admin_listen.host, port=settings.admin_listen.port, loop="uvloop",
        http="httptools", access_log=False, lifespan="on", proxy_headers=False,
        log_config=log_config(settings.log_level), log_level=settings.log_level,
    )


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
    from wafproxy.asgi.app_acl import FileAcl
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


def readiness_for(settings: Settings, acl_name: str) -> Any:
    """``/readyz``: ready while every ``--upstream`` answers, naming the web ACL served."""
    from wafproxy.asgi.admin import Readiness, UpstreamProbe

    return Readiness([UpstreamProbe.from_url(u.url) for u in settings.upstreams], acl_name=acl_name)


def aim_assessor(admin_app: Any, data_socket: socket.socket, settings: Settings) -> None:
    """The periodic assessment probes the data path on the port really bound (``--listen :0``
    included), over TLS when the proxy terminates it; nothing without an assessor."""
    if hasattr(admin_app, "assessor"):
        admin_app.assessor.set_listener(*data_socket.getsockname()[:2], tls=settings.tls_cert is not None)
