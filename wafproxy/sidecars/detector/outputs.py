"""Where findings go: JSON lines (file or stdout), an EventBridge-shaped webhook, a ``FindingSink``,
and Prometheus series.

Outputs are fed from the request path, so they never do I/O there: ``FindingOutbox.publish`` puts
the finding's document on a bounded queue (full: dropped and counted) and one daemon thread writes
the JSON lines and POSTs the webhook; a ``ports.FindingSink`` (async) gets batches on the event
loop. The webhook body is EventBridge's GuardDuty event (``source: aws.guardduty``,
``detail-type: GuardDuty Finding``, ``detail`` the finding in the API's JSON names).
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import sys
import threading
import time
import uuid
from typing import Any

from wafproxy.ports import FindingSink
from wafproxy.sidecars.detector.findings import DetectorInfo, Finding, iso

log = logging.getLogger("wafproxy.detector")
QUEUE_MAX = 10000
FILE_MAX_BYTES = 100 * 1024 * 1024
FILE_BACKUPS = 5
_SEVERITIES = ((7.0, "high"), (4.0, "medium"), (0.0, "low"))


def severity_label(severity: float) -> str:
    return next(name for bound, name in _SEVERITIES if severity >= bound)


def eventbridge_event(finding: dict[str, Any], wire: dict[str, Any], info: DetectorInfo) -> dict[str, Any]:
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "GuardDuty Finding",
            "source": "aws.guardduty", "account": info.account, "time": iso(time.time())[:19] + "Z",
            "region": info.region, "resources": [], "detail": wire}


class FindingOutbox:
    """``publish(finding, new)`` from the request path; ``close()`` drains and stops the thread."""

    def __init__(self, info: DetectorInfo, *, jsonl: str | None = None, webhook: str | None = None,
                 sinks: tuple[FindingSink, ...] = (), loop: asyncio.AbstractEventLoop | None = None,
                 framing: Any = None, wire: bool = False) -> None:
        self.info = info
        self.wire = wire  # the API's JSON names (GuardDuty's export form), not the PascalCase record
        self.jsonl = jsonl
        self.framing = framing  # --findings-kms-key: KmsFraming, one data key per file
        self.webhook = webhook
        self.sinks = sinks
        self.loop = loop
        self.dropped = 0
        self.failed = 0
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(QUEUE_MAX)
        self._thread: threading.Thread | None = None
        if jsonl or webhook:
            self._thread = threading.Thread(target=self._run, name="wafproxy-detector-out", daemon=True)
            self._thread.start()

    def publish(self, finding: Finding, new: bool) -> None:
        doc = finding.to_wire(self.info) if self.wire else finding.to_dict(self.info)
        if self._thread is not None:
            try:
                self._queue.put_nowait(doc)
            except queue.Full:
                self.dropped += 1
        if self.sinks:
            loop = self.loop
            if loop is None:
                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:
                    return
            for sink in self.sinks:
                loop.create_task(self._to_sink(sink, doc))

    async def _to_sink(self, sink: FindingSink, doc: dict[str, Any]) -> None:
        try:
            await sink.put_findings([doc])
        except Exception:  # noqa: BLE001 — counted and logged; the finding is still in the store
            self.failed += 1
            log.warning("finding sink %s failed", type(sink).__name__, exc_info=True)

    def _run(self) -> None:
        import httpx

        from wafproxy.observability.sinks import open_sink

        client = httpx.Client(timeout=5.0) if self.webhook else None
        out = None
        if self.jsonl and self.jsonl != "-":
            # Rotating, and encrypted line by line with --findings-kms-key (kms/logcrypt.py format).
            out = open_sink(self.jsonl, max_bytes=FILE_MAX_BYTES, backups=FILE_BACKUPS, framing=self.framing)
        try:
            while (doc := self._queue.get()) is not None:
                line = json.dumps(doc, separators=(",", ":"), sort_keys=True)
                if self.jsonl == "-":
                    sys.stdout.write(line + "\n")
                    sys.stdout.flush()
                elif out is not None:
                    try:
                        out.write_lines([line.encode() + b"\n"])
                    except Exception as exc:  # noqa: BLE001 — a full disk must not end the webhook too
                        self.failed += 1
                        log.warning("detector findings file write failed: %s", type(exc).__name__)
                if client is not None and self.webhook:
                    from wafproxy.sidecars.detector.findings import wire_names

                    event = eventbridge_event(doc, wire_names(doc), self.info)
                    try:
                        client.post(self.webhook, json=event).raise_for_status()
                    except httpx.HTTPError as exc:
                        self.failed += 1
                        log.warning("detector webhook failed: %s", type(exc).__name__)
        finally:
            if out is not None:
                out.close()
            if client is not None:
                client.close()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None


class DetectorMetrics:
    """``wafproxy_findings_total{type,severity}`` (new findings) and
    ``wafproxy_detector_actors_blocked`` (actors banned now, this process), plus requests the gate
    refused. Types are the closed set of scenario types; severities low/medium/high."""

    def __init__(self, registry: Any, detector: Any) -> None:
        from prometheus_client import Counter, Gauge

        self.findings = Counter("wafproxy_findings", "New threat-detector findings, by type and severity.",
                                ["type", "severity"], registry=registry)
        self.blocked = Gauge("wafproxy_detector_actors_blocked", "Actors the detector bans right now.",
                             registry=registry, multiprocess_mode="livesum")
        self.refused = Counter("wafproxy_detector_requests_refused",
                               "Requests refused by the detector's gate.", registry=registry)
        self._refused_seen = 0
        self.detector = detector

    def publish(self, finding: Finding, new: bool) -> None:
        if new:
            self.findings.labels(finding.type, severity_label(finding.severity)).inc()

    def sync(self) -> None:
        """Called before each scrape / every few seconds, never per request."""
        now = time.time()
        self.blocked.set(self.detector.gate.count(now))
        refused = self.detector.gate.refused
        if refused > self._refused_seen:
            self.refused.inc(refused - self._refused_seen)
            self._refused_seen = refused
