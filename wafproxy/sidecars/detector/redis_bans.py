"""Bans (and findings) shared by every worker and host through Redis.

A ban is one key with the ban's TTL (``wafproxy:detector:ban:<actor>``, so a process that starts
later loads the bans in force with one SCAN) and one message on a pub/sub channel, so every
subscribed process puts it in its own gate at once — typically a millisecond after the deciding
request, well within the 1 s the issue allows. Findings travel on a second channel, so the process
serving the GuardDuty API (the admin) lists the findings its workers raised. Messages carry the
sender's id; a process ignores its own. Redis down: each process keeps its local bans (counted,
logged once a minute), and reconnects.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from wafproxy.ports import GateBlock
from wafproxy.sidecars.detector.gate import Ban

log = logging.getLogger("wafproxy.detector")
PREFIX = "wafproxy:detector:ban:"
BAN_CHANNEL = "wafproxy:detector:bans"
FINDING_CHANNEL = "wafproxy:detector:findings"
_RETRY_SECONDS = 1.0


def ban_message(ban: Ban, origin: str) -> str:
    return json.dumps({"key": ban.key, "ip": ban.ip, "until": ban.until, "status": ban.block.status,
                       "reason": ban.block.reason, "retry": ban.block.retry_after, "type": ban.finding_type,
                       "origin": origin})


def ban_from(text: str | bytes) -> tuple[Ban, str]:
    doc = json.loads(text)
    block = GateBlock(int(doc["status"]), str(doc["reason"]), int(doc.get("retry", 0)))
    ban = Ban(str(doc["key"]), float(doc["until"]), block, str(doc["type"]), str(doc["ip"]))
    return ban, str(doc["origin"])


class RedisBanBus:
    def __init__(self, url: str, on_ban: Callable[[Ban], None],
                 on_finding: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.url = url
        self.origin = f"{os.uname().nodename}:{os.getpid()}:{os.urandom(4).hex()}"
        self.on_ban = on_ban
        self.on_finding = on_finding
        self.failures = 0
        self.received = 0
        self._redis: Any = None
        self._task: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._subscribed = asyncio.Event()
        self._last_log = float("-inf")

    async def start(self) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(self.url)
        self._task = asyncio.create_task(self._listen(), name="wafproxy-detector-redis")
        try:
            await asyncio.wait_for(self._subscribed.wait(), 5.0)
        except TimeoutError:
            log.warning("detector: redis not reachable yet; bans stay local until it is")
        else:
            await self._load()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def _load(self) -> None:
        now = time.time()
        async for key in self._redis.scan_iter(match=PREFIX + "*", count=1000):
            raw = await self._redis.get(key)
            if raw is None:
                continue
            ban, _ = ban_from(raw)
            if ban.until > now:
                self.on_ban(ban)

    async def _listen(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.subscribe(BAN_CHANNEL, FINDING_CHANNEL)
                self._subscribed.set()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    self._deliver(message["channel"], message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 — reconnect, keep serving with local bans
                self._failed(exc)
                await asyncio.sleep(_RETRY_SECONDS)

    def _deliver(self, channel: bytes | str, data: bytes | str) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        try:
            if name == BAN_CHANNEL:
                ban, origin = ban_from(data)
                if origin != self.origin:
                    self.received += 1
                    self.on_ban(ban)
            elif self.on_finding is not None:
                doc = json.loads(data)
                if doc.get("origin") != self.origin:
                    self.on_finding(doc["finding"])
        except (ValueError, KeyError, TypeError):
            log.warning("detector: malformed message on %s ignored", name)

    def publish_ban(self, ban: Ban) -> None:
        """From the request path: a task does the I/O (a ban is local first, shared next)."""
        if self._redis is None:
            return
        self._spawn(self._send_ban(ban))

    def publish_finding(self, doc: dict[str, Any]) -> None:
        if self._redis is None:
            return
        self._spawn(self._redis_publish(FINDING_CHANNEL, json.dumps({"origin": self.origin, "finding": doc})))

    def _spawn(self, coro: Any) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:
            coro.close()
            return
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _send_ban(self, ban: Ban) -> None:
        ttl_ms = max(1, int((ban.until - time.time()) * 1000))
        message = ban_message(ban, self.origin)
        try:
            await self._redis.set(PREFIX + ban.key, message, px=ttl_ms)
            await self._redis.publish(BAN_CHANNEL, message)
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)

    async def _redis_publish(self, channel: str, message: str) -> None:
        try:
            await self._redis.publish(channel, message)
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        self.failures += 1
        now = time.monotonic()
        if now - self._last_log >= 60.0:
            self._last_log = now
            log.warning("detector: redis failed (%s); bans stay local meanwhile (%d failures)",
                        type(exc).__name__, self.failures)
