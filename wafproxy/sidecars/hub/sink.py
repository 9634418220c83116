"""``ports.FindingSink`` for the hub: the detector and the assessor hand their findings here.

``put_findings`` accepts, in one list, ASFF findings, GuardDuty-shaped findings (the detector) and
Inspector2-shaped findings (the assessor), told apart by shape; the two latter are converted. Each
bad finding is counted and remembered (``failures``, the last ``MAX_FAILURES``), never raised: one
malformed finding must not lose the others. Imports run in a worker thread (SQLite).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

from wafproxy.sidecars.hub import convert_guardduty, convert_inspector
from wafproxy.sidecars.hub.asff import SCHEMA_VERSION
from wafproxy.sidecars.hub.convert_common import ConversionError, get
from wafproxy.sidecars.hub.core import Hub, ImportFailure

log = logging.getLogger("wafproxy.hub")
MAX_FAILURES = 100
BATCH = 500


def shape_of(finding: object) -> str:
    """``asff`` | ``guardduty`` | ``inspector2`` | ``unknown``."""
    if not isinstance(finding, dict):
        return "unknown"
    if finding.get("SchemaVersion") == SCHEMA_VERSION and "ProductArn" in finding:
        return "asff"
    if get(finding, "findingArn") is not None:
        return "inspector2"
    if get(finding, "Arn") is not None and get(finding, "Type") is not None:
        return "guardduty"
    return "unknown"


def to_asff(finding: object) -> dict[str, Any]:
    shape = shape_of(finding)
    if shape == "asff":
        return finding  # type: ignore[return-value]
    if shape == "guardduty":
        return convert_guardduty.convert(finding)  # type: ignore[arg-type]
    if shape == "inspector2":
        return convert_inspector.convert(finding)  # type: ignore[arg-type]
    raise ConversionError("Finding", "neither ASFF, a GuardDuty nor an Inspector2 finding")


class HubFindingSink:
    """Implements ``ports.FindingSink``."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.imported = 0
        self.failed = 0
        self.failures: deque[ImportFailure] = deque(maxlen=MAX_FAILURES)

    async def put_findings(self, findings: list[dict[str, object]]) -> None:
        converted: list[Any] = []
        for i, f in enumerate(findings):
            try:
                converted.append(to_asff(f))
            except ConversionError as exc:
                fid = get(f, "Arn") or get(f, "findingArn") or get(f, "Id") or f"#{i}"
                self._fail(ImportFailure(str(fid)[:512], "InvalidInput", str(exc)[:1024]))
        for start in range(0, len(converted), BATCH):
            ok, failed = await asyncio.to_thread(self.hub.import_findings, converted[start : start + BATCH])
            self.imported += ok
            for failure in failed:
                self._fail(failure)

    def _fail(self, failure: ImportFailure) -> None:
        self.failed += 1
        self.failures.append(failure)
        log.warning("finding %s refused: %s", failure.id[:128], failure.message[:256])
