"""A request body streamed to the upstream as the WAF clears it (past the first window).

Its own module because it is an async generator: mypyc compiles ``handler`` (issue 11), not this.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from wafproxy.asgi.bodyscan import BodyReader
from wafproxy.asgi.limits import ShieldLimits
from wafproxy.server.exchange import Exchange


async def upload(ex: Exchange, reader: BodyReader, limits: ShieldLimits) -> AsyncIterator[bytes]:
    """The request body for the upstream: the wire bytes as the reader clears them (inspected),
    the last ones once the body ended and its last window was scanned. ``BodyBlocked`` /
    ``BodyRefused`` raised here abort the upstream request (the pool drops the connection)."""
    if first := reader.release():
        yield first
    while chunk := await ex.read(limits.body_timeout, limits.max_body_bytes):
        if cleared := reader.push(chunk):
            yield cleared
    if last := reader.end():
        yield last
