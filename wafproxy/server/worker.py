"""One ``--workers N`` process: ``python -m wafproxy.server.worker LISTEN_FD READY_FD``.

Settings come from the parent's environment (``WAFPROXY_SETTINGS_JSON``, already validated). The
worker follows the control plane's state (files, or Redis with ``--redis``) with its own
non-persisting ``Reloader``; the parent owns the admin API and the writes. It writes ``1`` on
READY_FD once it serves, drains on SIGTERM, ignores SIGINT (the parent turns Ctrl-C into SIGTERM)
and exits when its parent is gone.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import logging.config
import os
import signal
import socket
import sys
import threading
from typing import Any

from wafproxy.asgi.app import SETTINGS_ENV, FileAcl, build_event_sink, build_reloader, limits_for
from wafproxy.engine.errors import WebAclError
from wafproxy.server.datapath import build_proxy
from wafproxy.server.gcfreeze import GcFreezer
from wafproxy.server.runner import ProxyServer
from wafproxy.settings import Settings

logger = logging.getLogger("wafproxy.app")
PARENT_CHECK_SECONDS = 1.0


def main(argv: list[str]) -> int:
    from wafproxy.cli import log_config
    from wafproxy.control.store import StoreError

    listen_fd, ready_fd = int(argv[0]), int(argv[1])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    settings = Settings.from_json(os.environ[SETTINGS_ENV])
    logging.config.dictConfig(log_config(settings.log_level))
    if settings.waf_log and settings.waf_log != "-":
        # One file per worker: rotation in several processes sharing one file would interleave
        # and misnumber backups. Ship ``PATH.*``.
        settings = dataclasses.replace(settings, waf_log=f"{settings.waf_log}.{os.getpid()}")
        logger.info("worker %d writes the WAF log to %s", os.getpid(), settings.waf_log)
    from wafproxy import startup

    startup.begin(settings.acl, quiet=True)  # serve on RE2 while hyperscan compiles (the parent logs it)
    try:
        # No metrics here: the admin process's reloader counts reloads once, not once per worker.
        follower = build_reloader(settings, persist=False)
    except (WebAclError, StoreError) as exc:
        logger.error("web ACL invalid, this worker does not start (running workers keep theirs): %s", exc)
        return 2
    hyperscan = startup.compile_in_background(quiet=True)
    sink, metrics, closeables = build_event_sink(settings)
    data, server = build_proxy(settings, event_sink=sink, acl=follower.current, metrics=metrics,
                               limits=limits_for(metrics))
    data.closeables.extend(closeables)
    from wafproxy.sidecars.detector.wiring import attach_to_data_path

    # This worker's detector: its gate on the inspector; bans shared with the others through --redis.
    detector = attach_to_data_path(settings, sink, data.middleware, metrics.registry if metrics else None,
                                   follower.current.name)
    if detector is not None:
        data.services.append(detector)
        data.closeables.append(detector)
    follower.add_swap(data.middleware.swap_acl)
    freezer = GcFreezer()  # full GC passes skip what is loaded now; refrozen after every swap
    follower.add_swap(freezer.swapped)
    if closeables and not isinstance(follower, FileAcl):
        follower.on_logging = closeables[0].reconfigure
    sock = socket.socket(fileno=listen_fd)
    import uvloop

    uvloop.run(_serve(server, follower, sock, ready_fd, freezer, hyperscan))
    return 0


async def _serve(server: ProxyServer, follower: Any, sock: socket.socket, ready_fd: int, freezer: GcFreezer,
                 hyperscan: threading.Thread | None) -> None:
    loop = asyncio.get_running_loop()

    def stop() -> None:
        if server.should_exit:
            server.force_exit = True
        server.should_exit = True

    loop.add_signal_handler(signal.SIGTERM, stop)
    following = not isinstance(follower, FileAcl)
    if following:
        await follower.start()
    parent = os.getppid()
    freezer.after(hyperscan)
    freezer.freeze()
    task = asyncio.create_task(server.serve([sock]))
    try:
        await asyncio.wait([task, asyncio.ensure_future(server.listening.wait())],
                           return_when=asyncio.FIRST_COMPLETED)
        if server.started:
            os.write(ready_fd, b"1")
        os.close(ready_fd)
        while not task.done():
            await asyncio.wait([task], timeout=PARENT_CHECK_SECONDS)
            if os.getppid() != parent:
                stop()  # orphaned: the supervisor is gone, nobody would ever stop us
        await task
    finally:
        if following:
            await follower.stop()
        freezer.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
