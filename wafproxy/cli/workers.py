"""``wafproxy serve --workers N``: this process supervises N data-path workers and serves admin.

Each worker (``wafproxy/server/worker.py``) runs our own server on one socket of the listening
address's ``SO_REUSEPORT`` group; the parent keeps admin and the control plane, which alone
writes state, and checks the ACL once before any worker starts.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading

import uvicorn

from wafproxy import startup
from wafproxy.cli.admin import admin_config, aim_assessor, build_admin, readiness_for
from wafproxy.cli.listeners import listen_socket
from wafproxy.cli.logs import log_serving
from wafproxy.settings import Settings


def serve_workers(settings: Settings) -> int:
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
        from wafproxy.asgi.app_acl import build_reloader
        from wafproxy.observability.metrics import WafMetrics

        metrics = WafMetrics()
        reloader = build_reloader(settings, metrics=metrics)  # fail here, once, rather than in every worker
        startup.compile_in_background()  # workers too; each database is compiled once (a cache lock)
        readiness = readiness_for(settings, reloader.current.name)
        from wafproxy.sidecars.detector.wiring import build_detector

        # Workers detect (and share bans and findings through --redis); this process serves the
        # GuardDuty API and records bans in the IP sets.
        detector = build_detector(settings, metrics.registry, reloader.current.name)
        admin_app = build_admin(settings, reloader, readiness, metrics, detector=detector)
        sock = listen_socket(settings.listen, "--listen", reuse_port=True)  # one socket per worker
        admin_sock = listen_socket(settings.admin_listen, "--admin-listen")
        aim_assessor(admin_app, sock, settings)
        admin = uvicorn.Server(admin_config(settings, admin_app))
        thread = threading.Thread(target=admin.run, kwargs={"sockets": [admin_sock]}, name="wafproxy-admin",
                                  daemon=True)
        thread.start()
        from wafproxy.observability.metrics import mark_process_dead
        from wafproxy.server.workers import Supervisor

        log_serving(settings)
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
