"""Assemble the hub: store + hub + API (+ console, producers), mounted on the admin listener.

``HubService.open(...)`` builds it; ``mount(service, admin_app)`` routes the Security Hub paths
(``/findings``, ``/insights``, ``/accounts``) and ``/console`` to the hub and everything else to the
admin app, and ties the hub's background work (unlocking the KMS data key, flushing the WAF
producer, watching the KMS, evaluating controls, purging old findings) to the server's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.awsapi.policy import Policy
from wafproxy.control.persist import AuditLog
from wafproxy.ports import Clock, KeyProvider
from wafproxy.sidecars.hub import crypt
from wafproxy.sidecars.hub.api import HubApi
from wafproxy.sidecars.hub.core import Hub
from wafproxy.sidecars.hub.store import DEFAULT_RETENTION_DAYS, FindingStore

log = logging.getLogger("wafproxy.hub")
ASGIApp = Callable[[dict[str, Any], Callable[[], Any], Callable[[dict[str, Any]], Any]], Any]
# Paths only Security Hub uses among the APIs on the admin listener, so an unsigned call to them gets
# Security Hub's MissingAuthenticationToken (a signed call reaches the hub by its signature anyway).
CONSOLE_PREFIX = "/console"


@dataclass
class Periodic:
    """A coroutine run every ``interval`` seconds while the server runs (errors logged, not fatal)."""

    name: str
    interval: float
    run: Callable[[], Awaitable[None]]


@dataclass
class HubService:
    hub: Hub
    api: HubApi
    credentials: CredentialStore
    policies: Mapping[str, Policy] | None
    key_provider: KeyProvider | None = None
    kms_key_id: str | None = None
    periodic: list[Periodic] = field(default_factory=list)
    console: ASGIApp | None = None
    sink: Any = None  # the HubFindingSink (ports.FindingSink) detectors and assessors are given
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        *,
        db_path: str | Path,
        credentials: CredentialStore,
        account: str,
        region: str,
        policies: Mapping[str, Policy] | None = None,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        key_provider: KeyProvider | None = None,
        kms_key_id: str | None = None,
        clock: Clock | None = None,
    ) -> HubService:
        store = FindingStore(db_path, retention_days=retention_days)
        hub = Hub(store, account=account, region=region, clock=clock)
        audit = AuditLog(Path(str(db_path) + ".audit.log") if str(db_path) != ":memory:" else None)
        api = HubApi(hub, credentials=credentials, policies=policies, audit=audit)
        return cls(hub, api, credentials, policies, key_provider, kms_key_id)

    async def start(self) -> None:
        """Unlock the data key (first, so nothing is written in clear), then start periodic work."""
        if self.kms_key_id is not None:
            if self.key_provider is None:
                raise RuntimeError("a hub KMS key needs a key provider")
            cipher, wrapped = await crypt.unlock(
                self.key_provider, self.kms_key_id, self.hub.store.meta("wrapped_data_key")
            )
            self.hub.store.use_cipher(cipher)
            self.hub.store.set_meta("wrapped_data_key", wrapped)
        for job in self.periodic:
            self._tasks.append(asyncio.create_task(self._loop(job), name=f"hub-{job.name}"))

    async def _loop(self, job: Periodic) -> None:
        while True:
            try:
                await job.run()
            except Exception:  # noqa: BLE001 — one failing producer must not stop the others
                log.exception("hub job %s failed", job.name)
            await asyncio.sleep(job.interval)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        for job in self.periodic:  # a last flush, so what was aggregated is not lost
            with contextlib.suppress(Exception):
                await job.run()
        self.hub.store.close()


def mount(service: HubService, admin_app: ASGIApp) -> ASGIApp:
    """``admin_app`` with the Security Hub API and the console in front, and the hub's lifespan."""

    async def app(
        scope: dict[str, Any], receive: Callable[[], Any], send: Callable[[dict[str, Any]], Any]
    ) -> None:
        if scope["type"] == "lifespan":
            await admin_app(scope, _lifespan_receive(service, receive), send)
            return
        path = scope.get("path", "")
        console = path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/")
        # A call signed for securityhub is the API's, whatever its path (an operation we do not
        # serve then gets Security Hub's error shape, not the admin app's plain 404); an unsigned
        # one is if it names a route. Never by path prefix: Inspector2 shares /members/….
        if not console and service.api.app.claims(scope):
            await service.api.app(scope, receive, send)
        elif service.console is not None and console:
            await service.console(scope, receive, send)
        else:
            await admin_app(scope, receive, send)

    return app


def _lifespan_receive(service: HubService, receive: Callable[[], Any]) -> Callable[[], Any]:
    async def wrapped() -> Any:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await service.start()
        elif message["type"] == "lifespan.shutdown":
            await service.stop()
        return message

    return wrapped
