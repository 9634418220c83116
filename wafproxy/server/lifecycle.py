"""A connection's life outside its requests: admitted at accept or refused, counted, closed by its
timeouts, released when lost.

Split from ``connection`` (one connection's request stream): this runs once per connection, never
per request. A client (an IPv4 address, an IPv6 /64: ``limits.client_key``) holds at most
``max_connections_per_client`` connections, the table of clients at most ``max_tracked_clients``
entries (both refused by closing the socket), the process at most ``max_connections`` (a 503
"Busy" first). A trusted proxy (a load balancer in front) carries every client's connections: only
the process-wide cap applies to it, and the clients behind it are limited per request, by address.
A connection from any other peer gets its ``forwarding.Via`` here, what each of its forwarded
requests says about it. The connection's ``timeouts.ConnectionTimer`` calls back here: an idle
keep-alive connection is closed quietly, a head that does not arrive in time gets a 408 (the
Shield's slowloris bound), a connection past ``max_connection_seconds`` is closed whatever it does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wafproxy.asgi.forwarding import Via
from wafproxy.asgi.limits import client_key
from wafproxy.server.writer import text_response

if TYPE_CHECKING:
    from wafproxy.server.connection import HttpConnection


def admit(conn: HttpConnection) -> bool:
    """Count ``conn`` in its server's tables (True), or refuse it: its socket closed (False)."""
    ctx = conn.ctx
    limits = ctx.limits
    peer = conn.peer
    key = client_key(peer or None, limits.ipv6_prefix)
    held = ctx.per_client.get(key, 0)
    capped = not (peer and ctx.handler.inspector.trusted.is_trusted(peer))
    if capped and held >= limits.max_connections_per_client or (
        not held and len(ctx.per_client) >= limits.max_tracked_clients
    ):
        ctx.refuse("too_many_connections", key)
        conn.closed = True
        conn.transport.close()
        return False
    if len(ctx.connections) >= limits.max_connections:
        ctx.refuse("busy", key)
        conn.closed = True
        conn.transport.write(text_response(503, b"Busy\n", close=True))
        conn.transport.close()
        return False
    if capped and peer:
        conn.via = Via(peer, conn.scheme)
    ctx.per_client[key] = held + 1
    conn.client = key
    ctx.connections.add(conn)
    if ctx.connection_gauge is not None:
        ctx.connection_gauge.inc()
    return True


def release(conn: HttpConnection) -> bool:
    """``conn`` is lost: uncounted (False: it was refused at accept, never counted)."""
    ctx = conn.ctx
    key, conn.client = conn.client, None
    if key is None:
        return False
    left = ctx.per_client.get(key, 1) - 1
    if left > 0:
        ctx.per_client[key] = left
    else:
        ctx.per_client.pop(key, None)
    ctx.connections.discard(conn)
    if not ctx.connections and ctx.drained is not None:
        ctx.drained.set()
    if ctx.connection_gauge is not None:
        ctx.connection_gauge.dec()
    return True


def idle_timed_out(conn: HttpConnection) -> None:
    conn.ctx.count("idle_timeout")
    conn.close()


def lived(conn: HttpConnection) -> None:
    """``max_connection_seconds`` passed: closed whatever is in flight (a websocket gets 1001)."""
    if conn.closed:
        return
    conn.ctx.refuse("connection_lifetime", conn.client or "-")
    if conn.tunnel is not None:
        conn.tunnel.going_away()
    conn.close()


def head_timed_out(conn: HttpConnection) -> None:
    if conn.closed or conn.requests:  # an answer is in flight: the head wait restarts when it is out
        return
    conn.ctx.refuse("header_timeout", conn.client or "-")
    conn.write(text_response(408, b"Request header timeout\n", close=True))
    conn.close()
