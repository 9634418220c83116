"""Shield-style layer-7 limits: what one client may cost us before the WAF even looks (issue 5).

Two halves, because some limits can only be kept where the bytes arrive:

* ``ShieldMiddleware`` (pure ASGI, in front of ``WafMiddleware``): URL length (414), header count
  and total header bytes (431), body size from Content-Length and while streaming (413), a body
  read timeout for clients that trickle the body (408), and concurrent requests per client IP
  (429, IPv6 grouped by prefix). Every refusal has a short body, ``Connection: close`` when the
  body may be unread, a counter in ``rejections`` (bounded label set: the reasons below), an
  ``on_reject`` callback for metrics, and a log line (sampled: the 1st, 2nd, 4th, 8th ... of
  each reason, so a flood cannot flood the log).
* ``server_limits()``: the uvicorn settings that bound connections, idle keep-alive and the head
  size, with a protocol class (``ShieldHttpToolsProtocol``) adding what uvicorn lacks: a header
  read timeout (slowloris: uvicorn has no timeout between accept and a complete head) and a cap
  on concurrent connections per client IP. Pass them as ``uvicorn.Config(app, **server_limits())``.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import math
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from wafproxy.asgi.app import BoundedHttpToolsProtocol

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("wafproxy.shield")

REASONS: dict[str, tuple[int, bytes]] = {
    "url_too_long": (414, b"URI too long\n"),
    "too_many_headers": (431, b"Too many header fields\n"),
    "headers_too_large": (431, b"Request header fields too large\n"),
    "bad_content_length": (400, b"Bad Content-Length\n"),
    "body_too_large": (413, b"Content too large\n"),
    "body_timeout": (408, b"Request body timeout\n"),
    "too_many_concurrent": (429, b"Too many concurrent requests\n"),
    "client_table_full": (503, b"Busy\n"),
    "flood_mitigation": (429, b"Too many requests\n"),
}
"""Every reason the shield refuses a request: its status and body (also the metric label set)."""


@dataclass(frozen=True, slots=True)
class ShieldLimits:
    """Safe defaults, each well above what real browsers and API clients send.

    URL 8 KiB and headers 100 / 32 KiB follow nginx and Apache (8 KiB line, 100 fields); the
    body limit 10 MiB is a proxy default, not an inspection limit (that is the ACL's); 30 s of
    silence mid-body or mid-head is far beyond any live client (Apache mod_reqtimeout: 20 s).
    """

    max_url_bytes: int = 8 * 1024
    max_header_count: int = 100
    max_header_bytes: int = 32 * 1024
    max_body_bytes: int = 10 * 1024 * 1024
    body_timeout: float = 30.0
    max_requests_per_client: int = 64
    max_tracked_clients: int = 100_000
    ipv6_prefix: int = 64
    # Server level (server_limits / ShieldHttpToolsProtocol)
    header_timeout: float = 30.0
    keep_alive_timeout: float = 5.0
    max_connections_per_client: int = 128
    max_connections: int = 10_000

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be > 0, got {getattr(self, name)!r}")
        if self.ipv6_prefix > 128:
            raise ValueError(f"ipv6_prefix: must be <= 128, got {self.ipv6_prefix}")


def client_key(host: str | None, ipv6_prefix: int = 64) -> str:
    """The key one client is counted under: its IPv4 address, or its IPv6 network (/64 default),
    so a host cannot dodge a per-client limit by rotating through the addresses of its prefix."""
    if not host:
        return "-"
    if ":" not in host:
        return host
    try:
        return str(ipaddress.IPv6Network((host.split("%", 1)[0], ipv6_prefix), strict=False))
    except ValueError:
        return host


class _Refused(Exception):  # noqa: N818 - a signal, not an error
    def __init__(self, reason: str) -> None:
        self.reason = reason


class ShieldMiddleware:
    """Pure ASGI middleware enforcing ``ShieldLimits`` on HTTP requests; other scopes pass.

    ``client_ip`` maps a scope to the client address (default: the TCP peer); put the shield
    first so a refused request costs no WAF evaluation and never reaches the upstream.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: ShieldLimits | None = None,
        client_ip: Callable[[Scope], str | None] | None = None,
        on_reject: Callable[[str], None] | None = None,
        flood: FloodGuard | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.flood = flood
        self._clock = clock
        self.limits = limits or ShieldLimits()
        self._client_ip = client_ip or (lambda scope: (scope.get("client") or (None,))[0])
        self.on_reject = on_reject
        self.rejections: Counter[str] = Counter()
        self._in_flight: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reason = self._check_head(scope)
        if reason is not None:
            await self._refuse(send, reason, scope)
            return
        key = client_key(self._client_ip(scope), self.limits.ipv6_prefix)
        if self.flood is not None and self.flood.check(key, header_signature(scope), self._clock()):
            await self._refuse(send, "flood_mitigation", scope)
            return
        count = self._in_flight.get(key)
        if count is None and len(self._in_flight) >= self.limits.max_tracked_clients:
            await self._refuse(send, "client_table_full", scope)
            return
        if count is not None and count >= self.limits.max_requests_per_client:
            await self._refuse(send, "too_many_concurrent", scope)
            return
        self._in_flight[key] = (count or 0) + 1
        try:
            await self._guarded(scope, receive, send)
        finally:
            left = self._in_flight[key] - 1
            if left:
                self._in_flight[key] = left
            else:
                del self._in_flight[key]

    def _check_head(self, scope: Scope) -> str | None:
        limits = self.limits
        raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
        if len(raw_path) + 1 + len(scope.get("query_string", b"")) > limits.max_url_bytes:
            return "url_too_long"
        headers = scope.get("headers", ())
        if len(headers) > limits.max_header_count:
            return "too_many_headers"
        if sum(len(name) + len(value) + 4 for name, value in headers) > limits.max_header_bytes:
            return "headers_too_large"
        lengths = {value.strip() for name, value in headers if name.lower() == b"content-length"}
        if lengths:
            # RFC 9110 8.6: one value, digits only; differing duplicates are a smuggling attempt.
            if len(lengths) != 1 or not next(iter(lengths)).isdigit():
                return "bad_content_length"
            if int(next(iter(lengths))) > limits.max_body_bytes:
                return "body_too_large"
        return None

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        limits = self.limits
        received = 0
        body_done = False
        refused: str | None = None
        started = answered = False

        async def guarded_receive() -> Message:
            nonlocal received, body_done, refused
            if body_done or refused is not None:
                return await receive()
            try:
                async with asyncio.timeout(limits.body_timeout):  # no extra task, unlike wait_for
                    message = await receive()
            except TimeoutError:
                refused = "body_timeout"
                raise _Refused(refused) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limits.max_body_bytes:
                    refused = "body_too_large"
                    raise _Refused(refused)
                body_done = not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, answered
            if refused is not None and not started:
                # The app answered after its body read failed (e.g. a framework's 500):
                # replace that answer with ours and drop the rest of it.
                if not answered:
                    answered = True
                    await self._refuse(send, refused, scope)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except _Refused:
            pass
        except Exception:
            if refused is None:
                raise
        if refused is not None and not started and not answered:
            await self._refuse(send, refused, scope)

    async def _refuse(self, send: Send, reason: str, scope: Scope) -> None:
        status, body = REASONS[reason]
        self.rejections[reason] += 1
        count = self.rejections[reason]
        if count & (count - 1) == 0:  # 1st, 2nd, 4th, 8th...: bounded log volume under a flood
            logger.warning(
                "shield refused %s (%d): %s from %s (%d so far)",
                scope.get("method", "?"),
                status,
                reason,
                client_key(self._client_ip(scope), 128),
                count,
            )
        if self.on_reject is not None:
            self.on_reject(reason)
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        if status == 429:
            headers.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class ShieldHttpToolsProtocol(BoundedHttpToolsProtocol):
    """uvicorn's httptools protocol (with the app's head-size cap) plus a header read timeout
    and a cap on concurrent connections per client. ``server_limits`` makes a subclass bound to
    one ``ShieldLimits`` and one connection table (per process, shared by its connections)."""

    shield_limits: ClassVar[ShieldLimits] = ShieldLimits()
    shield_connections: ClassVar[dict[str, int]] = {}
    shield_refusals: ClassVar[Counter[str]] = Counter()
    _shield_key: str | None = None
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        limits, table = self.shield_limits, self.shield_connections
        key = client_key(self.client[0] if self.client else None, limits.ipv6_prefix)
        held = table.get(key, 0)
        if held >= limits.max_connections_per_client or (
            not held and len(table) >= limits.max_tracked_clients
        ):
            self._shield_refuse("too_many_connections", key)
            transport.close()
            return
        table[key] = held + 1
        self._shield_key = key
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        key, self._shield_key = self._shield_key, None
        if key is not None:
            left = self.shield_connections.get(key, 1) - 1
            if left > 0:
                self.shield_connections[key] = left
            else:
                self.shield_connections.pop(key, None)
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        self._disarm_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Waiting for the next head again, unless a pipelined request (head complete) started.
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.shield_limits.header_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        self._shield_refuse("header_timeout", self._shield_key or "-")
        status, body = 408, b"Request header timeout\n"
        self.transport.write(
            b"HTTP/1.1 %d Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (status, len(body), body)
        )
        self.transport.close()

    def _shield_refuse(self, reason: str, key: str) -> None:
        self.shield_refusals[reason] += 1
        count = self.shield_refusals[reason]
        if count & (count - 1) == 0:
            logger.warning("shield closed a connection: %s from %s (%d so far)", reason, key, count)


def server_limits(limits: ShieldLimits | None = None) -> dict[str, Any]:
    """``uvicorn.Config`` keyword arguments enforcing the server half of ``limits``.

    * ``http``: a ``ShieldHttpToolsProtocol`` subclass bound to ``limits`` (header read timeout
      -> 408 and close; connections per client beyond the cap are closed at accept; request
      head capped by ``BoundedHttpToolsProtocol``); its ``shield_refusals`` counts both.
    * ``timeout_keep_alive``: idle keep-alive connections closed after this many seconds.
    * ``limit_concurrency``: beyond this many connections or in-flight requests uvicorn answers
      503 instead of queueing (the process-wide bound behind the per-client ones).
    * ``h11_max_incomplete_event_size``: the head cap, should the h11 implementation be used.
    * ``backlog``: the accept queue; SYN floods are the kernel's (syncookies), not ours.
    """
    limits = limits or ShieldLimits()
    protocol = type(
        "ShieldHttpToolsProtocol",
        (ShieldHttpToolsProtocol,),
        {"shield_limits": limits, "shield_connections": {}, "shield_refusals": Counter()},
    )
    return {
        "http": protocol,
        "timeout_keep_alive": max(1, int(limits.keep_alive_timeout)),
        "limit_concurrency": limits.max_connections,
        "h11_max_incomplete_event_size": limits.max_header_bytes,
        "backlog": 2048,
    }


# --- Automatic flood mitigation ------------------------------------------------------------------
# (Belongs in a module of its own, asgi/flood.py; kept here until that file has an owner.)


@dataclass(frozen=True, slots=True)
class FloodSettings:
    """When traffic counts as a flood, who is offending, and what the derived rules look like.

    A second is a flood when its requests exceed ``flood_factor`` x the learned baseline (EWMA of
    requests per second outside floods) and ``min_flood_rps``. In a flood, a key (client IP, or
    header signature) is offending when its requests that second reach ``min_source_rps`` and
    exceed ``source_factor`` x the busiest single key of its kind in the recent baseline.
    """

    flood_factor: float = 5.0
    min_flood_rps: int = 50
    source_factor: float = 5.0
    min_source_rps: int = 10
    baseline_seconds: int = 60
    warmup_seconds: int = 10
    count_seconds: float = 2.0
    window_seconds: int = 5
    margin: float = 2.0
    max_collateral: float = 0.001
    ttl_seconds: float = 300.0
    max_rules: int = 1000
    max_keys_per_second: int = 50_000


@dataclass(slots=True)
class FloodRule:
    """A temporary rate-based rule for one offending key: Count mode until ``enforce_at``, then
    Block while the key's requests (refused ones included, like AWS rate-based rules) in the last
    ``window_seconds`` exceed ``limit``; gone at ``expires_at``."""

    kind: str  # "ip" or "signature"
    key: str
    limit: int
    window_seconds: int
    enforce_at: float
    expires_at: float
    seconds: dict[int, int] = field(default_factory=dict)
    counted: int = 0  # would have refused, in Count mode
    refused: int = 0

    def observe(self, now: float) -> bool:
        second = int(now)
        self.seconds[second] = self.seconds.get(second, 0) + 1
        for old in [s for s in self.seconds if s <= second - self.window_seconds]:
            del self.seconds[old]
        if sum(self.seconds.values()) <= self.limit:
            return False
        if now < self.enforce_at:
            self.counted += 1
            return False
        self.refused += 1
        if self.refused == 1:
            logger.warning(
                "flood rule enforcing: %s %s limit %d/%ds (counted %d in Count mode)",
                self.kind,
                self.key,
                self.limit,
                self.window_seconds,
                self.counted,
            )
        return True


def header_signature(scope: Scope) -> str:
    """What a flood tool keeps while rotating addresses: header names in order and User-Agent."""
    digest = hashlib.blake2b(digest_size=8)
    for name, value in scope.get("headers", ()):
        digest.update(name + b"\n")
        if name == b"user-agent":
            digest.update(value + b"\n")
    return digest.hexdigest()


HISTORY_KEYS = 1000
"""Heaviest keys kept per baseline second for replaying candidate rules (Count mode on history)."""


@dataclass(frozen=True, slots=True)
class _Second:
    """One baseline second: its total, the busiest key of each kind, and the heavy keys."""

    second: int
    total: int
    ceiling_ip: int
    ceiling_signature: int
    heavy: dict[tuple[str, str], int]


class FloodGuard:
    """Learns a per-second baseline; in a flood, derives ``FloodRule``s for offending keys,
    checks each against the recent benign traffic (it must refuse at most ``max_collateral``
    of it), counts, then enforces until its TTL. Signature rules spare sources seen before the
    flood, and are derived only when offending IPs do not explain most of the excess.
    ``events`` counts what happened; every rule is logged when counting, enforcing and expiring.
    """

    def __init__(self, settings: FloodSettings | None = None) -> None:
        self.settings = settings or FloodSettings()
        self.rules: dict[tuple[str, str], FloodRule] = {}
        self.events: Counter[str] = Counter()
        self._second: int | None = None
        self._counts: Counter[tuple[str, str]] = Counter()
        self._history: deque[_Second] = deque(maxlen=self.settings.baseline_seconds)
        self._baseline: float | None = None
        self._known: dict[str, int] = {}  # client keys seen outside floods (capped)

    def check(self, ip: str, signature: str, now: float) -> FloodRule | None:
        """Count one request; the rule refusing it, if any."""
        second = int(now)
        if self._second is None:
            self._second = second
        elif second > self._second:
            self._close(second, now)
        refusing = None
        for kind, key in (("ip", ip), ("signature", signature)):
            rule = self.rules.get((kind, key))
            if rule is None or (kind == "signature" and ip in self._known):
                continue
            if rule.observe(now) and refusing is None:
                refusing = rule
        if refusing is None and (
            len(self._counts) < self.settings.max_keys_per_second or ("ip", ip) in self._counts
        ):
            self._counts["ip", ip] += 1
            self._counts["signature", signature] += 1
        return refusing

    def _close(self, second: int, now: float) -> None:
        s, counts, closing = self.settings, self._counts, self._second
        assert closing is not None
        self._counts, self._second = Counter(), second
        for key, rule in list(self.rules.items()):
            if rule.expires_at <= now:
                del self.rules[key]
                self.events["rule_expired"] += 1
                logger.warning("flood rule expired: %s %s (refused %d)", rule.kind, rule.key, rule.refused)
        total = sum(c for (kind, _), c in counts.items() if kind == "ip")
        baseline = self._baseline
        warm = baseline is not None and len(self._history) >= s.warmup_seconds
        if warm and total >= s.min_flood_rps and total > s.flood_factor * (baseline or 0.0):
            self.events["flood_seconds"] += 1
            self._derive(counts, total - (baseline or 0.0), now)
            return
        self._learn(closing, counts, total)
        for empty in range(max(closing + 1, second - s.baseline_seconds), second):
            self._learn(empty, Counter(), 0)  # quiet seconds are part of the baseline too

    def _learn(self, second: int, counts: Counter[tuple[str, str]], total: int) -> None:
        s = self.settings
        ceiling = {"ip": 0, "signature": 0}
        for (kind, key), c in counts.items():
            ceiling[kind] = max(ceiling[kind], c)
            if kind == "ip":
                self._known.pop(key, None)
                self._known[key] = second
        while len(self._known) > s.max_keys_per_second:
            del self._known[next(iter(self._known))]
        # Keep only keys a derived rule could ever refuse (a rule's limit is >= min_source_rps per
        # window), and at most the heaviest HISTORY_KEYS: the history stays bounded.
        floor = math.ceil(s.min_source_rps / s.window_seconds)
        heavy = dict(counts.most_common(HISTORY_KEYS))
        heavy = {k: c for k, c in heavy.items() if c >= floor}
        self._history.append(_Second(second, total, ceiling["ip"], ceiling["signature"], heavy))
        self._baseline = total if self._baseline is None else 0.9 * self._baseline + 0.1 * total

    def _derive(self, counts: Counter[tuple[str, str]], excess: float, now: float) -> None:
        s = self.settings
        ceiling = {
            "ip": max([1, *(past.ceiling_ip for past in self._history)]),
            "signature": max([1, *(past.ceiling_signature for past in self._history)]),
        }
        explained = 0.0
        for kind in ("ip", "signature"):
            if kind == "signature" and explained >= excess / 2:
                break  # offending addresses explain the flood: leave shared signatures alone
            for (k, key), c in counts.items():
                if k == kind and c >= s.min_source_rps and c > s.source_factor * ceiling[kind]:
                    explained += c - ceiling[kind]
                    if (kind, key) not in self.rules:
                        self._propose(kind, key, ceiling[kind], now)

    def _propose(self, kind: str, key: str, ceiling: int, now: float) -> None:
        s = self.settings
        if len(self.rules) >= s.max_rules:
            self.events["rule_table_full"] += 1
            return
        limit = max(s.min_source_rps, math.ceil(s.margin * ceiling * s.window_seconds))
        collateral = self._replay(kind, key, limit)
        if collateral > s.max_collateral:
            self.events["rule_rejected"] += 1
            logger.warning(
                "flood rule rejected: %s %s would refuse %.3f%% of recent benign traffic",
                kind,
                key,
                100 * collateral,
            )
            return
        self.rules[kind, key] = FloodRule(
            kind, key, limit, s.window_seconds, now + s.count_seconds, now + s.ttl_seconds
        )
        self.events["rule_counting"] += 1
        logger.warning(
            "flood rule counting: %s %s limit %d/%ds, enforcing in %.0fs, TTL %.0fs",
            kind,
            key,
            limit,
            s.window_seconds,
            s.count_seconds,
            s.ttl_seconds,
        )

    def _replay(self, kind: str, key: str, limit: int) -> float:
        """Share of the recent benign requests the rule would have refused (Count mode on history)."""
        window: deque[tuple[int, int]] = deque()
        in_window = refused = total = 0
        for past in self._history:
            total += past.total
            second = past.second
            while window and window[0][0] <= second - self.settings.window_seconds:
                in_window -= window.popleft()[1]
            x = past.heavy.get((kind, key), 0)
            refused += max(0, min(x, in_window + x - limit))
            in_window += x
            window.append((second, x))
        return refused / total if total else 0.0
