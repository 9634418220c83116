"""Hot reload: compile the new ACL, swap it atomically, keep the old one when compilation fails.

Triggers: a control-plane change (``apply``), a changed file (an mtime/inode/size poll of every
file the store reads), ``SIGHUP``, an expired temporary IP-set entry, and — with ``redis_url`` — a
change published by another worker or host. Each is the same path: build the candidate documents,
compile them off the event loop, then call every ``swap`` callback with the new ``CompiledWebACL``
(``WafMiddleware.swap_acl``: one reference assignment, so in-flight requests finish on the old
ACL). A failure counts ``config_reload("failure")``, logs the file and JSON path, and changes
nothing; the API turns it into ``WAFInvalidParameterException``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from wafproxy.control.compiling import Compiler
from wafproxy.control.resources import DEFAULT_NAMES, Names, Resource
from wafproxy.control.store import ResourceStore, StoreError
from wafproxy.control.ttl import TempEntries
from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.engine.errors import WebAclError

log = logging.getLogger("wafproxy.control")

DEFAULT_CHANNEL = "wafproxy:control"
LAST_SUFFIX = ":last"  # Redis key beside the channel: the latest published state
BACKGROUND_REASONS = frozenset({"file", "sighup", "redis", "ttl-expiry"})
MAX_MESSAGE_BYTES = 64 << 20  # a snapshot with every IP set full is ~ a few MB; refuse absurd ones


class ReloadFailed(Exception):
    """The candidate ACL did not compile; ``error`` has the file and JSON path."""

    def __init__(self, error: WebAclError | StoreError) -> None:
        super().__init__(str(error))
        self.error = error


class Reloader:
    """Owns the store and the currently serving ``CompiledWebACL`` of one process."""

    def __init__(
        self,
        acl_path: str | Path,
        *,
        swap: Callable[[CompiledWebACL], None] | Iterable[Callable[[CompiledWebACL], None]] = (),
        state_dir: str | Path | None = None,
        names: Names = DEFAULT_NAMES,
        compiler: Compiler | None = None,
        metrics: Any = None,
        redis_url: str | None = None,
        channel: str = DEFAULT_CHANNEL,
        poll_interval: float = 1.0,
        persist: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.acl_path = Path(acl_path)
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.names = names
        self.compiler = compiler or Compiler(account=names.account)
        self._swaps = [swap] if callable(swap) else list(swap)
        self.metrics = metrics
        self.redis_url = redis_url
        self.channel = channel
        self.poll_interval = poll_interval
        self.clock = clock
        self.instance = uuid.uuid4().hex
        self.lock = asyncio.Lock()  # serializes every change: API calls and background reloads
        # Read before the files, as in reload_from_disk: a --workers follower starting while the
        # admin process writes would otherwise remember the half-seen change as seen, for good
        # (it served the old IP set until restarted; the follower test caught it under load).
        seen = ResourceStore.signature_before_open(self.acl_path, state_dir=self.state_dir)
        self.store = ResourceStore.open(self.acl_path, state_dir=self.state_dir, names=names, persist=persist)
        self.current: CompiledWebACL = self.compiler.compile(
            self.store.web_acl, self.store.all(), self.store.temp, clock()
        )
        self.last_error: str | None = None
        self.reloads = 0
        self.failures = 0
        self._signature = seen or self.store.signature()  # empty: we seeded --state-dir just now
        self._tasks: list[asyncio.Task[None]] = []
        self._redis: Any = None
        self._subscribed = asyncio.Event()
        # ``persist.AuditLog`` (the control plane sets it): reloads not made through the API — a file
        # edit, SIGHUP, a change from another host, an expiry — get an audit line too.
        self.audit: Any = None
        # ``WafLogWriter.reconfigure``: every process applies the replicated logging configuration.
        self.on_logging: Callable[[Any], None] | None = None
        self._applied_logging: dict[str, Any] | None = None

    def add_swap(self, swap: Callable[[CompiledWebACL], None]) -> None:
        self._swaps.append(swap)

    # ---- the one reload path ----------------------------------------------------------------------

    async def compile(
        self, acl: Resource, resources: list[Resource], temp: TempEntries, reason: str = "api"
    ) -> CompiledWebACL:
        """Compile a candidate off the event loop (hyperscan compiles can take a while)."""
        now = self.clock()
        try:
            return await asyncio.to_thread(self.compiler.compile, acl, resources, temp, now)
        except WebAclError as exc:
            self._failed(exc, reason)
            raise ReloadFailed(exc) from None

    def install(
        self,
        compiled: CompiledWebACL,
        reason: str,
        *,
        signature: tuple[tuple[str, int, int, int], ...] | None = None,
    ) -> None:
        """Swap ``compiled`` in everywhere, count it, remember the file signature (``signature``:
        the one read before the files were, when reloading from disk)."""
        self.current = compiled
        for swap in self._swaps:
            swap(compiled)
        self.reloads += 1
        self.last_error = None
        self._signature = signature if signature is not None else self.store.signature()
        if self.metrics is not None:
            self.metrics.config_reload("success", self.clock())
            for name, n in compiled.ip_set_sizes().items():
                self.metrics.ip_set_entries(name, n)
        log.info("web ACL %s reloaded (%s), capacity %d", compiled.name, reason, compiled.capacity)
        self._audit(reason, "ok")
        self.apply_logging()

    def remember_files(self) -> None:
        """Our own write is not an external edit: the file watch must not reload for it."""
        self._signature = self.store.signature()

    def apply_logging(self) -> None:
        """Hand the store's logging configuration to ``on_logging`` when it changed."""
        config = self.store.logging_config
        if self.on_logging is None or config == self._applied_logging:
            return
        from wafproxy.observability.errors import LoggingConfigError
        from wafproxy.observability.logconfig import LoggingSettings, parse_logging_configuration

        try:
            # None (DeleteLoggingConfiguration): back to the defaults, no redaction, no filter.
            self.on_logging(parse_logging_configuration(config) if config is not None else LoggingSettings())
        except LoggingConfigError as exc:
            log.warning("ignoring an invalid logging configuration: %s", exc)
        self._applied_logging = config

    def _failed(self, exc: Exception, reason: str) -> None:
        self.failures += 1
        self.last_error = str(exc)
        if self.metrics is not None:
            self.metrics.config_reload("failure")
        log.warning("reload (%s) failed, the previous web ACL keeps serving: %s", reason, exc)
        self._audit(reason, "ReloadFailed")

    def _audit(self, reason: str, outcome: str) -> None:
        if self.audit is not None and reason in BACKGROUND_REASONS:
            self.audit.record(reason, "Reload", self.store.web_acl.arn, outcome)

    async def recompile(self, reason: str) -> CompiledWebACL:
        """Compile the store as it is now and swap it in (TTL expiry, SIGHUP after a re-read)."""
        compiled = await self.compile(self.store.web_acl, self.store.all(), self.store.temp, reason)
        self.install(compiled, reason)
        return compiled

    async def reload_from_disk(self, reason: str = "file") -> bool:
        """Re-read every file; on success replace the store and swap. False: old ACL kept."""
        async with self.lock:
            # The signature is read BEFORE the files: a write that lands while we read them (the API
            # writes several files) then differs from what we remember, and the next tick reloads
            # again. Taking it afterwards marked such a half-seen change as seen, for good.
            seen = await asyncio.to_thread(self.store.signature)
            if reason == "file" and seen == self._signature:
                return False  # our own write, seen by the watcher while the change was being applied
            try:
                store = await asyncio.to_thread(
                    ResourceStore.open,
                    self.acl_path,
                    state_dir=self.state_dir,
                    names=self.names,
                    persist=self.store.persist,
                )
            except (StoreError, WebAclError, OSError) as exc:
                self._failed(exc, reason)
                self._signature = seen  # do not retry the same broken files forever
                return False
            try:
                compiled = await self.compile(store.web_acl, store.all(), store.temp, reason)
            except ReloadFailed:
                self._signature = seen
                return False
            self.store = store
            self.install(compiled, reason, signature=seen)
            return True

    # ---- background triggers ----------------------------------------------------------------------

    async def start(self) -> None:
        """Start the file watch / TTL tick and, with ``redis_url``, the pub/sub subscriber."""
        self._tasks.append(asyncio.create_task(self._poll(), name="wafproxy-reload-poll"))
        if self.redis_url:
            import redis.asyncio as aioredis

            self._redis = aioredis.from_url(self.redis_url)
            self._tasks.append(asyncio.create_task(self._subscribe(), name="wafproxy-reload-redis"))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._subscribed.wait(), 5.0)

    def install_sighup(self) -> bool:
        """SIGHUP → re-read the files. Only possible on the main thread's loop; False otherwise."""
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(self.reload_from_disk("sighup")))
        except (RuntimeError, ValueError, NotImplementedError):
            return False
        return True

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # a watcher that dies silently is worse than a logged error
                log.exception("reload watcher error")

    async def _tick(self) -> None:
        signature = await asyncio.to_thread(self.store.signature)
        if signature != self._signature:
            await self.reload_from_disk("file")
            return
        nxt = self.store.temp.next_expiry()
        if nxt is not None and nxt <= self.clock():
            async with self.lock:
                if self.store.temp.expire(self.clock()):
                    await asyncio.to_thread(self.store.save_temp)
                    with contextlib.suppress(ReloadFailed):
                        await self.recompile("ttl-expiry")

    # ---- Redis pub/sub ----------------------------------------------------------------------------

    async def publish(self) -> None:
        """Tell every other worker and host: here is the state that now serves."""
        if self._redis is None:
            return
        message = json.dumps({"Origin": self.instance, "Snapshot": self.store.snapshot()})
        try:
            # The latest state is also kept under ``<channel>:last``: a subscriber that was away
            # (Redis restarted, a network blip) missed the message and catches up from it.
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(self.channel + LAST_SUFFIX, message)
                pipe.publish(self.channel, message)
                await pipe.execute()
        except Exception as exc:  # the change is persisted; file watchers still pick it up
            log.warning("could not publish the change to redis: %s", type(exc).__name__)

    async def _subscribe(self) -> None:
        backoff = 0.1
        lost = False
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                backoff = 0.1
                if lost:
                    # Pub/sub does not queue: what was published while we were away is gone. Catch
                    # up on the latest state (a message arriving meanwhile is applied twice: no-op).
                    latest = await self._redis.get(self.channel + LAST_SUFFIX)
                    if latest:
                        await self._on_message(latest)
                    lost = False
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        await self._on_message(message.get("data") or b"")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                lost = True
                log.warning("redis subscription lost (%s), retrying", type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _on_message(self, data: bytes) -> None:
        if len(data) > MAX_MESSAGE_BYTES:
            log.warning("ignoring an oversized control message (%d bytes)", len(data))
            return
        try:
            message = json.loads(data)
            if message.get("Origin") == self.instance:
                return
            snapshot = message["Snapshot"]
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignoring a malformed control message")
            return
        async with self.lock:
            try:
                changed = await asyncio.to_thread(self.store.apply_snapshot, snapshot)
            except (KeyError, TypeError, ValueError, OSError) as exc:
                self._failed(exc, "redis")
                return
            if changed:
                with contextlib.suppress(ReloadFailed):
                    await self.recompile("redis")
