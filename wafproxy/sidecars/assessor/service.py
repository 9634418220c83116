"""The assessor inside ``wafproxy serve``/``demo``: periodic runs (``--assess-interval``), the
findings store in the state directory, and the Inspector2 API mounted on the admin listener.

``attach(app, settings, reloader)`` wraps the admin ASGI app: Inspector2 paths (POST under
``/findings/``, ``/filters/``, ``/coverage/``, ``/wafproxy/findings/``) go to the API when
``--credentials`` is set; the lifespan starts and stops the periodic task. The data listener's
bound address (port 0 is common) is given later through ``set_listener``; the first run waits
for it ``FIRST_RUN_DELAY`` seconds at most. Each run's findings are also offered to a
``ports.FindingSink`` (the findings hub) when one is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wafproxy.control.plane import with_reloader
from wafproxy.ports import FindingSink
from wafproxy.sidecars.assessor.api import InspectorApi
from wafproxy.sidecars.assessor.context import AssessContext, ConfigFacts, Target
from wafproxy.sidecars.assessor.facts import from_settings
from wafproxy.sidecars.assessor.probe import Prober
from wafproxy.sidecars.assessor.runner import Report, assess
from wafproxy.sidecars.assessor.store import MEMORY, FindingStore

log = logging.getLogger("wafproxy.assessor")
FIRST_RUN_DELAY = 3.0
PROBE_INTERVAL = 0.05  # 20 probes/s at most: a periodic run must not compete with traffic
ASGIApp = Callable[[dict[str, Any], Callable[[], Any], Callable[[dict[str, Any]], Any]], Any]


class Assessor:
    def __init__(
        self,
        settings: Any,
        store: FindingStore,
        facts: Callable[[], ConfigFacts],
        *,
        sink: FindingSink | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.facts = facts
        self.sink = sink
        self.listener: str | None = None
        self.last: Report | None = None
        self.runs = 0
        self._task: asyncio.Task[None] | None = None
        self._listener_known = asyncio.Event()

    def set_listener(self, host: str, port: int, tls: bool) -> None:
        host = f"[{host}]" if ":" in host else host
        if host in ("0.0.0.0", "[::]"):
            host = "127.0.0.1"
        self.listener = f"{'https' if tls else 'http'}://{host}:{port}"
        self._listener_known.set()

    async def run_once(self) -> Report:
        targets = [Target(self.listener, "proxy")] if self.listener else []
        targets += [Target(u.url, "upstream") for u in self.settings.upstreams]
        prober = Prober(min_interval=PROBE_INTERVAL, ca_file=self.settings.upstream_ca)
        try:
            facts = await asyncio.to_thread(self.facts)
            ctx = AssessContext(
                targets, prober, facts, self.settings.assess_osv_db, ca_file=self.settings.upstream_ca
            )
            report = await assess(ctx, account=self.settings.account_id, region=self.settings.region)
        finally:
            await prober.close()
        counts = await asyncio.to_thread(
            self.store.record, report.assessed, report.covered, report.assessed_at, report.coverage()
        )
        self.last, self.runs = report, self.runs + 1
        log.info(
            "assessment: %d finding(s) (%s), %d not assessed, %.2f s",
            len(report.assessed),
            counts,
            len(report.errors),
            report.duration,
        )
        if self.sink is not None:
            try:
                # Read on a thread (a query and a JSON document per finding), as ``record`` runs.
                await self.sink.put_findings(await asyncio.to_thread(self.store.findings))
            except Exception:  # the hub's failure is its own: the assessment is stored
                log.exception("finding sink failed")
        return report

    async def _loop(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listener_known.wait(), FIRST_RUN_DELAY)
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("assessment failed")  # the next interval tries again
            await asyncio.sleep(self.settings.assess_interval)

    async def start(self) -> None:
        if self.settings.assess_interval > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="wafproxy-assessor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.store.close()


def store_path(settings: Any, reloader: Any) -> Path | None:
    """Beside the control plane's state; None without a state directory (then in memory)."""
    store = getattr(reloader, "store", None)
    if store is not None:
        return Path(store.root) / ".wafproxy" / "assessor.sqlite3"
    if settings.state_dir is not None:
        return Path(settings.state_dir) / "assessor.sqlite3"
    return None


def _facts_of(settings: Any, reloader: Any) -> Callable[[], ConfigFacts]:
    def read() -> ConfigFacts:
        store = getattr(reloader, "store", None)
        try:
            if store is not None:
                return from_settings(settings, store.web_acl.document, store.logging_config, "serving")
            from wafproxy.aclfiles import read_document

            return from_settings(settings, read_document(settings.acl), None, "serving")  # type: ignore[arg-type]
        except Exception as exc:
            return ConfigFacts(source="serving", error=f"{type(exc).__name__}: {exc}"[:300])

    return read


def attach(app: ASGIApp, settings: Any, reloader: Any, *, sink: FindingSink | None = None) -> ASGIApp:
    """The admin ``app`` with the assessor's API and periodic task; ``wrapped.assessor`` is it."""
    path = store_path(settings, reloader)
    if path is None:
        log.warning("assessor: no --state-dir and no control plane: findings kept in memory only")
    store = FindingStore(path or MEMORY, account=settings.account_id, region=settings.region)
    assessor = Assessor(settings, store, _facts_of(settings, reloader), sink=sink)
    api = None
    if settings.credentials is not None:
        from wafproxy.awsapi.authz import IdentityAuthorizer
        from wafproxy.awsapi.credentials import CredentialStore

        api = InspectorApi(
            store,
            credentials=CredentialStore.load(settings.credentials, account=settings.account_id),
            authorizer=IdentityAuthorizer.from_file(settings.policy_file),
            clock=time.time,
            osv_db=settings.assess_osv_db,
        )

    async def wrapped(
        scope: dict[str, Any], receive: Callable[[], Any], send: Callable[[dict[str, Any]], Any]
    ) -> None:
        # Claimed by signature, not by path prefix: Security Hub shares /members/… and /findings/…,
        # and a call signed for it must not be verified here as an Inspector2 call.
        if api is not None and api.app.claims(scope):
            await api.app(scope, receive, send)
            return
        await app(scope, receive, send)

    # The periodic task starts and stops with the admin server's lifespan, as the reloader does.
    with_lifespan: Any = with_reloader(assessor, wrapped, sighup=False)  # type: ignore[arg-type]
    with_lifespan.assessor = assessor
    return with_lifespan
