"""Serve listening sockets with ``HttpConnection``s; stop with a graceful drain.

``ProxyServer`` is driven like a uvicorn ``Server`` by ``cli.run_servers`` (``serve(sockets)``,
``started``, ``should_exit``, ``force_exit``, ``servers``), so the proxy, the admin listener and
the sidecars share one loop and one signal handler. On stop (SIGTERM/SIGINT): stop accepting,
let in-flight requests finish and answer every further request on an open connection with
``Connection: close`` (idle ones end at the keep-alive timeout) for up to ``grace`` seconds, then
close what is left. A second signal
(``force_exit``) skips the wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from wafproxy.observability.looplag import probe_from_env
from wafproxy.server.connection import HttpConnection
from wafproxy.server.context import ServerContext

logger = logging.getLogger("wafproxy.server")
GRACE_SECONDS = 25.0


class ProxyServer:
    def __init__(
        self,
        ctx: ServerContext,
        *,
        ssl_context: ssl.SSLContext | None = None,
        on_start: Callable[[], Awaitable[None]] | None = None,
        on_stop: Callable[[], Awaitable[None]] | None = None,
        grace: float = GRACE_SECONDS,
    ) -> None:
        self.ctx = ctx
        self.ssl_context = ssl_context
        self.on_start = on_start
        self.on_stop = on_stop
        self.grace = grace
        self.started = False
        self.listening = asyncio.Event()  # set once every socket accepts connections
        self.servers: list[asyncio.AbstractServer] = []
        self._exit: asyncio.Event | None = None
        self._should_exit = False
        self._force_exit = False

    @property
    def force_exit(self) -> bool:
        return self._force_exit

    @force_exit.setter
    def force_exit(self, value: bool) -> None:
        """A second SIGTERM/SIGINT: stop waiting for in-flight requests."""
        self._force_exit = value
        if value and self.ctx.drained is not None:
            self.ctx.drained.set()

    @property
    def should_exit(self) -> bool:
        return self._should_exit

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        self._should_exit = value
        if value and self._exit is not None:
            self._exit.set()

    async def serve(self, sockets: Sequence[socket.socket] | None = None) -> None:
        """Serve ``sockets`` (already bound and listening) until ``should_exit``, then drain."""
        loop = asyncio.get_running_loop()
        self._exit = asyncio.Event()
        if self._should_exit:
            self._exit.set()
        ctx = self.ctx
        probe = probe_from_env()  # measurement only (WAFPROXY_LOOP_LAG)
        if probe is not None:
            probe.start()
        try:
            if self.on_start is not None:
                await self.on_start()
            for sock in sockets or ():
                # A TLS client that never finishes its handshake is cut at the header timeout
                # (asyncio's default is 60 s; the head timer starts only after the handshake).
                handshake = ctx.limits.header_timeout if self.ssl_context is not None else None
                server = await loop.create_server(lambda: HttpConnection(ctx, loop), sock=sock,
                                                  ssl=self.ssl_context, backlog=2048,
                                                  ssl_handshake_timeout=handshake)
                self.servers.append(server)
            self.started = True
            self.listening.set()
            await self._exit.wait()
            await self.drain()
        finally:
            if self.on_stop is not None:
                await self.on_stop()
            if probe is not None:
                probe.stop()

    async def drain(self) -> None:
        ctx = self.ctx
        ctx.draining = True
        for server in self.servers:
            server.close()
        # A connection uvloop accepted in this very turn has its ``connection_made`` (``admit``)
        # still queued (``call_soon``): one turn lets it be counted, else the drain saw no
        # connection, returned, and the worker exited with that request unanswered (a SIGHUP roll
        # under load: the client's ``RemoteDisconnected``).
        await asyncio.sleep(0)
        # Idle keep-alive connections are not cut at once: a client may be sending on one right
        # now (and most clients do not retry). Their next answer carries ``Connection: close``
        # and ends them; an idle one ends at the keep-alive timeout.
        ctx.drained = asyncio.Event()  # set by the last connection to go (or a second signal)
        if ctx.connections and not self.force_exit:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.grace):
                    await ctx.drained.wait()
        if ctx.connections:
            logger.warning("graceful shutdown: closing %d connection(s) still busy", len(ctx.connections))
            for conn in list(ctx.connections):
                conn.transport.abort()
        for server in self.servers:
            await server.wait_closed()


def server_ssl_context(cert: str, key: str | None, client_ca: str | None) -> ssl.SSLContext:
    """TLS termination: our certificate; with ``client_ca``, a client certificate signed by it is
    required (mutual TLS). TLS 1.2 at least; ALPN offers HTTP/1.1 only."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    if client_ca is not None:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=client_ca)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def tls_for(settings: Any) -> ssl.SSLContext | None:
    """The ``SSLContext`` of ``--tls-cert/--tls-key/--client-ca`` (None: plain HTTP)."""
    if settings.tls_cert is None:
        return None
    return server_ssl_context(str(settings.tls_cert), str(settings.tls_key) if settings.tls_key else None,
                              str(settings.client_ca) if settings.client_ca else None)
