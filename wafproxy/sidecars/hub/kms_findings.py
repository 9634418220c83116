"""KMS as a finding producer: what its key records and its audit log show.

* a key scheduled for deletion (``PendingDeletion``) → HIGH, archived again if the deletion is
  cancelled;
* a burst of failed ``Decrypt`` calls by one principal in 5 minutes → MEDIUM (someone probing
  ciphertexts, or a client with the wrong encryption context);
* calls refused because the key is disabled (``DisabledException``) or pending deletion → "disabled
  key still in use" per key, with the count: something still depends on a key being retired.

The audit log (``audit.jsonl``, CloudTrail-shaped, hash-chained by the KMS) is read incrementally
from the last offset; key records come from ``records()`` (the in-process ``KmsCore``). Bounded:
lines over 64 KiB are skipped, at most ``MAX_COUNTERS`` principal/key counters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from wafproxy.sidecars.hub.asff import iso
from wafproxy.sidecars.hub.builder import new_finding, remediation

PRODUCT = "kms"
PRODUCT_NAME = "KMS"
WINDOW_SECONDS = 300
MAX_LINE = 64 * 1024
MAX_COUNTERS = 4096
IN_USE_ERRORS = ("DisabledException", "KMSInvalidStateException")


def _event_time(body: dict[str, Any]) -> float:
    try:
        return datetime.fromisoformat(str(body.get("eventTime", "")).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def _key_arn(body: dict[str, Any]) -> str:
    for res in body.get("resources") or []:
        if isinstance(res, dict) and isinstance(res.get("ARN"), str):
            return str(res["ARN"])
    words = str(body.get("errorMessage", "")).split()
    return next((w.rstrip(".") for w in words if w.startswith("arn:aws:kms:")), "unknown-key")


class KmsFindingProducer:
    """``poll(now)`` → findings; call it from the hub's periodic job (blocking file I/O: a thread)."""

    def __init__(
        self,
        *,
        account: str,
        region: str,
        audit_path: Path,
        records: Callable[[], Iterable[Any]],
        failed_decrypt_threshold: int = 10,
    ) -> None:
        self.account = account
        self.region = region
        self.audit_path = audit_path
        self.records = records
        self.threshold = failed_decrypt_threshold
        self._offset = 0
        self._failed: dict[tuple[str, int], list[float]] = {}  # (principal, window) → [count, first, last]
        self._in_use: dict[str, list[Any]] = {}  # key arn → [count, first, last, error, changed]
        self._pending: set[str] = set()

    def _finding(
        self,
        fid: str,
        label: str,
        title: str,
        description: str,
        resource: dict[str, Any],
        now: float,
        **extra: Any,
    ) -> dict[str, Any]:
        return new_finding(
            region=self.region,
            account=self.account,
            product=PRODUCT,
            product_name=PRODUCT_NAME,
            finding_id=fid,
            generator=fid.rsplit("/", 1)[0],
            label=label,
            title=title,
            description=description,
            resources=[resource],
            now=now,
            types=extra.pop("types", ["Effects/Data Exposure/KMS key misuse"]),
            **extra,
        )

    def poll(self, now: float) -> list[dict[str, Any]]:
        out = self._key_states(now)
        for body in self._new_audit_records():
            self._count(body)
        out.extend(self._failed_findings(now))
        out.extend(self._in_use_findings(now))
        return out

    def _key_states(self, now: float) -> list[dict[str, Any]]:
        out = []
        pending_now = set()
        for rec in self.records():
            if getattr(rec.state, "value", rec.state) != "PendingDeletion":
                continue
            pending_now.add(rec.arn)
            when = iso(rec.deletion_date) if rec.deletion_date else "soon"
            out.append(
                self._finding(
                    f"wafproxy/kms/pending-deletion/{rec.key_id}",
                    "HIGH",
                    f"KMS key {rec.key_id} is scheduled for deletion",
                    f"Key {rec.arn} will be deleted on {when}; data encrypted under it (WAF logs, findings, "
                    "application data) becomes unreadable for good.",
                    {"Type": "AwsKmsKey", "Id": rec.arn},
                    now,
                    Remediation=remediation(
                        "Cancel the deletion (CancelKeyDeletion) unless nothing uses the key."
                    ),
                )
            )
        for arn in self._pending - pending_now:  # deletion cancelled (or done): archive the finding
            key_id = arn.rsplit("/", 1)[-1]
            out.append(
                self._finding(
                    f"wafproxy/kms/pending-deletion/{key_id}",
                    "INFORMATIONAL",
                    f"KMS key {key_id} is no longer pending deletion",
                    f"Key {arn} is no longer scheduled for deletion.",
                    {"Type": "AwsKmsKey", "Id": arn},
                    now,
                    RecordState="ARCHIVED",
                )
            )
        self._pending = pending_now
        return out

    def _new_audit_records(self) -> list[dict[str, Any]]:
        try:
            size = self.audit_path.stat().st_size
        except FileNotFoundError:
            return []
        if size < self._offset:  # truncated or replaced: start over
            self._offset = 0
        out = []
        with self.audit_path.open("rb") as fh:
            fh.seek(self._offset)
            for line in fh:
                if not line.endswith(b"\n"):
                    break  # a record still being written: read it next time
                self._offset += len(line)
                if len(line) > MAX_LINE:
                    continue
                try:
                    body = json.loads(line)
                except ValueError:
                    continue
                if isinstance(body, dict) and body.get("errorCode"):
                    out.append(body)
        return out

    def _count(self, body: dict[str, Any]) -> None:
        t = _event_time(body)
        code = str(body.get("errorCode"))
        if code in IN_USE_ERRORS:
            arn = _key_arn(body)
            entry = self._in_use.get(arn)
            if entry is None and len(self._in_use) < MAX_COUNTERS:
                self._in_use[arn] = [1, t, t, code, True]
            elif entry is not None:
                entry[0] += 1
                entry[2], entry[3], entry[4] = t, code, True
        elif body.get("eventName") == "Decrypt":
            principal = str((body.get("userIdentity") or {}).get("arn") or "anonymous")
            key = (principal, int(t // WINDOW_SECONDS) * WINDOW_SECONDS)
            entry2 = self._failed.get(key)
            if entry2 is None and len(self._failed) < MAX_COUNTERS:
                self._failed[key] = [1, t, t]
            elif entry2 is not None:
                entry2[0] += 1
                entry2[2] = t

    def _failed_findings(self, now: float) -> list[dict[str, Any]]:
        out = []
        for (principal, window), (count, first, last) in list(self._failed.items()):
            if count >= self.threshold:
                out.append(
                    self._finding(
                        f"wafproxy/kms/failed-decrypts/{principal}/{window}",
                        "MEDIUM",
                        f"{int(count)} failed Decrypt calls by {principal} in 5 min",
                        f"{principal} made {int(count)} Decrypt calls that failed between {iso(first)} and "
                        f"{iso(last)}: ciphertexts being probed, or a client using the wrong key or context.",
                        {"Type": "AwsIamUser", "Id": principal},
                        now,
                        first_seen=first,
                        last_seen=last,
                    )
                )
            if now >= window + WINDOW_SECONDS:
                del self._failed[(principal, window)]
        return out

    def _in_use_findings(self, now: float) -> list[dict[str, Any]]:
        out = []
        for arn, entry in self._in_use.items():
            if not entry[4]:
                continue
            entry[4] = False
            count, first, last, code = entry[0], entry[1], entry[2], entry[3]
            out.append(
                self._finding(
                    f"wafproxy/kms/disabled-key-in-use/{arn.rsplit('/', 1)[-1]}",
                    "MEDIUM" if count >= 10 else "LOW",
                    f"Disabled KMS key still in use ({count} refused calls)",
                    f"{count} calls on {arn} were refused with {code} since {iso(first)} (last {iso(last)}): "
                    "something still depends on a key that is disabled or scheduled for deletion.",
                    {"Type": "AwsKmsKey", "Id": arn},
                    now,
                    first_seen=first,
                    last_seen=last,
                    Remediation=remediation(
                        "Find the caller in the KMS audit log and move it to an enabled key, "
                        "or re-enable the key."
                    ),
                )
            )
        return out
