"""Builds the detector of ``wafproxy serve`` / ``demo`` from ``Settings`` and ties it to the rest.

``build_detector(settings, metrics)`` → ``DetectorService`` (None with ``--detector off``). The
CLI subscribes ``service.detector`` to the event dispatcher, hands ``service.gate`` to the data
path, and — when the control plane runs (``--credentials``) — calls ``attach_plane`` (IP-set
remediation, audit, reversal) and ``mount`` (the GuardDuty API under ``/detector`` on the admin
listener, with the WAFv2 API's credentials and policies).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wafproxy.control.persist import AuditLog
from wafproxy.ports import FindingSink
from wafproxy.sidecars.detector.api import GuardDutyApi
from wafproxy.sidecars.detector.api_detector import apply_settings
from wafproxy.sidecars.detector.api_sets import auto_archiver
from wafproxy.sidecars.detector.detector import Detector
from wafproxy.sidecars.detector.findings import DetectorInfo, detector_id_for
from wafproxy.sidecars.detector.gate import Ban, BanGate
from wafproxy.sidecars.detector.intel import load_list
from wafproxy.sidecars.detector.outputs import DetectorMetrics, FindingOutbox
from wafproxy.sidecars.detector.policy import load_policy
from wafproxy.sidecars.detector.redis_bans import RedisBanBus
from wafproxy.sidecars.detector.resources import DetectorResources, DetectorSettings

ASGIApp = Callable[..., Any]
SAVE_EVERY_SECONDS = 30.0  # findings written to the state directory (and at shutdown)
SETTINGS_POLL_SECONDS = 2.0  # how soon a worker follows UpdateDetector / DeleteDetector
log = logging.getLogger("wafproxy.detector")


class DetectorService:
    def __init__(self, detector: Detector, outbox: FindingOutbox, metrics: DetectorMetrics | None,
                 redis_url: str | None = None) -> None:
        self.detector = detector
        self.outbox = outbox
        self.metrics = metrics
        self.api: GuardDutyApi | None = None
        self.resources = DetectorResources(detector.intel, detector.policy.scenarios.threat_intel)
        self.bus: RedisBanBus | None = None
        self.findings_file: Path | None = None  # set by attach_plane: kept across restarts
        # A worker (no plane attached) follows the detector settings the admin's API writes there.
        self.settings_file: Path | None = None
        self._settings_seen: bytes | None = None
        self._saver: asyncio.Task[None] | None = None
        self._follower: asyncio.Task[None] | None = None
        self._started = False
        if redis_url is not None:
            self.bus = RedisBanBus(redis_url, self._remote_ban, self._remote_finding)
            detector.remediator.on_ban.append(self.bus.publish_ban)
            bus, info = self.bus, detector.info
            detector.publishers.append(lambda finding, _new: bus.publish_finding(finding.to_dict(info)))

    def add_finding_sink(self, sink: FindingSink) -> None:
        """Offer every new or updated finding (GuardDuty's ``to_dict`` shape) to ``sink`` (the
        findings hub), on the event loop, never in the request's time."""
        self.outbox.sinks = (*self.outbox.sinks, sink)

    def _remote_ban(self, ban: Ban) -> None:
        """A ban another worker/host decided: in this gate now; the process holding the control
        plane also records it in the IP set."""
        self.detector.remediator.adopt(ban)

    def _remote_finding(self, doc: dict[str, Any]) -> None:
        if self.detector.enabled:  # a disabled (or deleted) detector keeps no findings, whoever saw them
            found = self.detector.store.merge(doc)
            if found is not None and self.api is not None:  # to the publishing destinations too
                self.api.destinations.publish(found, False)

    async def astart(self) -> None:
        """Start the Redis bus (bans and findings from other processes) and the findings saver.

        Once: ``serve`` starts it with the data path and again at the admin app's lifespan; a
        second bus listener replaced the first, whose task was then garbage-collected while
        pending ("Task was destroyed but it is pending!" at every start, found by the soak)."""
        if self._started:
            return
        self._started = True
        if self.bus is not None:
            await self.bus.start()
        if self.findings_file is not None:
            self._saver = asyncio.create_task(self._save_every(SAVE_EVERY_SECONDS))
        if self.settings_file is not None and self.api is None:
            self._follower = asyncio.create_task(self._follow_settings(SETTINGS_POLL_SECONDS))

    def follow_settings(self) -> None:
        """Apply the settings in ``settings_file`` if it changed since last seen (a worker's view of
        UpdateDetector's Enable and FindingPublishingFrequency, and of DeleteDetector)."""
        path = self.settings_file
        if path is None or self.api is not None:
            return  # the process serving the API applies its settings itself
        try:
            # The content, not the mtime: two writes within one clock tick must not look the same.
            seen: bytes | None = path.read_bytes()
        except FileNotFoundError:
            seen = None
        except OSError as exc:
            log.warning("detector: settings in %s not read: %s", path, exc)
            return
        if seen == self._settings_seen:
            return
        self._settings_seen = seen
        try:
            doc = json.loads(seen) if seen is not None else {}
            settings = DetectorSettings(**doc.get("detector", {}))
        except (ValueError, TypeError, AttributeError) as exc:  # damaged: keep the settings in force
            log.warning("detector: settings in %s not applied: %s", path, exc)
            return
        apply_settings(self.detector, settings)

    async def _follow_settings(self, seconds: float) -> None:
        while True:
            await asyncio.to_thread(self.follow_settings)
            await asyncio.sleep(seconds)

    async def aclose(self) -> None:
        """Stop the bus, flush remediation, save the findings one last time."""
        if self._follower is not None:
            self._follower.cancel()
            await asyncio.gather(self._follower, return_exceptions=True)
        if self.bus is not None:
            await self.bus.stop()
        await self.detector.remediator.flush()
        if self._saver is not None:
            self._saver.cancel()
            await asyncio.gather(self._saver, return_exceptions=True)
        await self.save_findings()

    def with_lifespan(self, app: ASGIApp) -> ASGIApp:
        """``app`` with ``astart`` at its lifespan startup and ``aclose`` at shutdown (ASGI users)."""
        service = self

        async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "lifespan":
                await app(scope, receive, send)
                return

            async def lifespan_receive() -> Any:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await service.astart()
                elif message["type"] == "lifespan.shutdown":
                    await service.aclose()
                return message

            await app(scope, lifespan_receive, send)

        return wrapped

    @property
    def gate(self) -> BanGate:
        return self.detector.gate

    def attach_plane(self, plane: Any) -> None:
        """IP-set remediation through the control plane, the audit log beside its own, the API."""
        from wafproxy.control.ops_extra import ControlPlaneIPSetWriter
        from wafproxy.control.store import META_DIR

        meta = Path(plane.store.root) / META_DIR
        remediator = self.detector.remediator
        audit = AuditLog(meta / "detector-audit.log")
        remediator.audit = audit
        if remediator.policy.write_ip_set:
            names = {r.name for r in plane.store.all() if r.kind == "ipset"}
            wanted = {remediator.policy.ip_set_v4, remediator.policy.ip_set_v6}
            if wanted <= names:
                remediator.writer = ControlPlaneIPSetWriter(plane, "wafproxy-detector")

        def reconcile(_compiled: Any) -> None:
            remediator.reconcile(lambda name: plane.store.temp.entries(name).keys())

        plane.reloader.add_swap(reconcile)
        self.resources = DetectorResources(self.detector.intel, self.detector.policy.scenarios.threat_intel,
                                           meta / "detector.json")
        self.api = GuardDutyApi(self.detector, self.resources, credentials=plane.credentials,
                                policies=plane.policies, audit=audit, started=time.time())
        self.findings_file = meta / "detector-findings.json"
        self.detector.store.load(self.findings_file)
        self.detector.store.auto_archive = auto_archiver(self.api)
        self.resources.on_change.append(self._deleted_findings_gone)

    def _deleted_findings_gone(self) -> None:
        """DeleteDetector: the (now empty) findings file is written at once, not at the next save,
        so a crash in between cannot bring a deleted detector's findings back."""
        if not self.resources.settings.exists and self.findings_file is not None:
            try:
                self.detector.store.save(self.findings_file)
            except OSError as exc:
                log.error("detector: could not save findings to %s: %s", self.findings_file, exc)

    def mount(self, admin_app: ASGIApp) -> ASGIApp:
        """``admin_app`` with the GuardDuty API under ``/detector`` (when attached) and the detector's
        metrics brought up to date before each ``/metrics`` scrape."""
        api = self.api
        metrics = self.metrics

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                # Signed for guardduty: the API's call whatever the path (/tags/…, an operation we
                # do not serve: GuardDuty's error shape, not the admin app's plain 404).
                if api is not None and api.app.claims(scope):
                    await api.app(scope, receive, send)
                    return
                if metrics is not None and scope["path"] == "/metrics":
                    metrics.sync()
            await admin_app(scope, receive, send)

        return self.with_lifespan(app)

    async def save_findings(self) -> None:
        if self.findings_file is not None:
            try:
                await asyncio.to_thread(self.detector.store.save, self.findings_file)
            except OSError as exc:  # disk full…: the findings stay in memory, said once per attempt
                log.error("detector: could not save findings to %s: %s", self.findings_file, exc)

    async def _save_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            await self.save_findings()

    def close(self) -> None:
        self.outbox.close()
        if self.api is not None:
            self.api.destinations.close()


def findings_framing(settings: Any, kms_service: Any) -> Any:
    """``--findings-kms-key``: data keys from the in-process KMS, as principal ``wafproxy-detector``."""
    if getattr(settings, "findings_kms_key", None) is None or kms_service is None:
        return None
    from wafproxy.awsapi.credentials import Principal
    from wafproxy.sidecars.kms.envelope import LocalKeyProvider
    from wafproxy.sidecars.kms.logcrypt import KmsFraming

    principal = Principal("wafproxy-detector", "(in-process)", settings.account_id)
    provider = LocalKeyProvider(kms_service, principal)
    return KmsFraming(provider, settings.findings_kms_key, {"wafproxy:purpose": "detector-findings"})


def build_detector(settings: Any, registry: Any = None, acl_name: str = "web-acl",
                   kms_service: Any = None) -> DetectorService | None:
    """From ``--detector``, ``--detector-policy``, ``--detector-findings``, ``--detector-webhook``."""
    mode = getattr(settings, "detector", "on")
    if mode == "off":
        return None
    policy = load_policy(settings.detector_policy)
    if mode == "dry-run":
        policy = policy.with_dry_run()
    info = DetectorInfo(detector_id_for(settings.account_id, settings.region), settings.account_id,
                        settings.region, acl_name)
    intel = policy.scenarios.threat_intel
    for path in (*intel.lists, *intel.trusted, *((intel.tor_exits,) if intel.tor_exits else ())):
        load_list(path)  # a policy list that does not parse stops startup (IntelError names file:line)
    detector = Detector(policy, info)
    outbox = FindingOutbox(info, jsonl=settings.detector_findings, webhook=settings.detector_webhook,
                           framing=findings_framing(settings, kms_service))
    detector.publishers.append(outbox.publish)  # JSON lines, webhook, FindingSinks (add_finding_sink)
    metrics = DetectorMetrics(registry, detector) if registry is not None else None
    if metrics is not None:
        detector.publishers.append(metrics.publish)
    return DetectorService(detector, outbox, metrics, settings.redis)


def attach_to_data_path(settings: Any, sink: Any, middleware: Any, registry: Any,
                        acl_name: str, kms_service: Any = None) -> DetectorService | None:
    """``--detector on|dry-run``: a detector subscribed to ``sink`` (the event dispatcher), its gate
    consulted by ``middleware`` (``WafMiddleware.gate``) before the engine."""
    service = build_detector(settings, registry, acl_name, kms_service)
    if service is None or sink is None or not hasattr(sink, "subscribe"):
        return None
    sink.subscribe(service.detector)
    middleware.gate = service.gate
    if getattr(settings, "credentials", None) is not None:  # a control plane: its state directory
        from wafproxy.control.store import META_DIR

        root = Path(settings.state_dir) if settings.state_dir else Path(settings.acl).parent
        service.settings_file = root / META_DIR / "detector.json"
    return service
