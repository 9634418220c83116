"""The KMS audit log: one CloudTrail-shaped JSON line per call, hash-chained.

Each record carries ``prevHash`` and ``hash`` = SHA-256(prevHash ‖ canonical JSON of the record
without ``hash``), so editing, inserting, reordering or deleting any line breaks the chain from that
point; ``verify_audit`` names the first bad line. The count and head hash are also kept next to the
log (``audit.head``: one fixed-width line rewritten in place with ``pwrite``, cheap per call)
so a truncated tail is detected too. The head is written after the record, so after a crash the log
may be one record ahead of the head — accepted; the log being *behind* the head is truncation.
Records never hold plaintext, key material or the caller's secret key — only names and ARNs.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wafproxy.awsapi.jsonproto import CallRecord

GENESIS = "0" * 64
_READ_ONLY = ("Describe", "List", "Get")


def _canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _digest(prev: str, body: dict[str, Any], canonical: str | None = None) -> str:
    text = _canonical(body) if canonical is None else canonical
    return hashlib.sha256((prev + text).encode()).hexdigest()


class AuditLog:
    """Append-only, flushed per record; the head file is rewritten with write-then-rename."""

    def __init__(self, data_dir: str | Path, *, region: str = "us-east-1") -> None:
        self.path = Path(data_dir) / "audit.jsonl"
        self.head_path = Path(data_dir) / "audit.head"
        self._region = region
        self._lock = threading.Lock()
        self._prev, self._count = GENESIS, 0
        if self.path.exists():
            result = verify_audit(self.path.parent)
            if not result.ok:
                raise ValueError(
                    f"{self.path}: audit chain broken at line {result.bad_line}: {result.reason}"
                )
            self._prev, self._count = result.head, result.count
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._fh = os.fdopen(fd, "a", encoding="utf-8")
        self._head_fd = os.open(self.head_path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.pwrite(self._head_fd, _head_line(self._count, self._prev), 0)

    def record(self, call: CallRecord, service_event: dict[str, Any] | None = None) -> None:
        body: dict[str, Any] = {
            "eventVersion": "1.08",
            "eventTime": datetime.fromtimestamp(call.time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "kms.amazonaws.com",
            "eventName": call.operation,
            "awsRegion": self._region,
            "sourceIPAddress": call.source_ip,
            "userIdentity": {
                "type": "IAMUser" if call.principal_arn else "Unknown",
                "arn": call.principal_arn,
                "accessKeyId": call.access_key_id,
            },
            "requestID": call.request_id,
            "eventID": str(uuid.uuid4()),
            "readOnly": call.operation.startswith(_READ_ONLY),
            "resources": [{"ARN": arn, "type": "AWS::KMS::Key"} for arn in call.resources],
            "eventType": "AwsApiCall",
            "result": "Denied" if call.error_code else "Success",
        }
        if call.error_code:
            body["errorCode"] = call.error_code
            body["errorMessage"] = call.error_message
        with self._lock:
            body["prevHash"] = self._prev
            canonical = _canonical(body)
            digest = _digest(self._prev, body, canonical)
            # The line is the canonical body plus "hash" as the last member (one dumps per record;
            # verification re-canonicalizes, so member order in the file does not matter).
            self._fh.write(canonical[:-1] + ',"hash":"' + digest + '"}\n')
            self._fh.flush()
            self._prev = digest
            self._count += 1
            os.pwrite(self._head_fd, _head_line(self._count, digest), 0)

    def close(self) -> None:
        with self._lock:
            self._fh.close()
            os.close(self._head_fd)


def _head_line(count: int, digest: str) -> bytes:
    return f"{count:020d} {digest}\n".encode("ascii")  # fixed width: in-place rewrites never leave debris


@dataclass(frozen=True, slots=True)
class AuditCheck:
    ok: bool
    count: int
    head: str
    bad_line: int | None = None
    reason: str = ""


def verify_audit(data_dir: str | Path) -> AuditCheck:
    """Walk the chain; the first line whose hash or link is wrong is reported (1-based)."""
    path = Path(data_dir) / "audit.jsonl"
    prev, count = GENESIS, 0
    head = Path(data_dir) / "audit.head"
    want_count, want_hash = 0, GENESIS
    if head.exists():
        raw_count, _, want_hash = head.read_text(encoding="ascii").strip().partition(" ")
        want_count = int(raw_count or 0)
    hash_at_head = GENESIS
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            for count, line in enumerate(fh, start=1):  # noqa: B007 (count is used after the loop)
                try:
                    body = json.loads(line)
                    claimed = body.pop("hash")
                except (ValueError, KeyError, AttributeError, TypeError):
                    return AuditCheck(False, count - 1, prev, count, "not a JSON audit record")
                if body.get("prevHash") != prev:
                    return AuditCheck(
                        False, count - 1, prev, count, "prevHash does not link to the previous record"
                    )
                if _digest(prev, body) != claimed:
                    return AuditCheck(False, count - 1, prev, count, "hash does not match the record")
                prev = claimed
                if count == want_count:
                    hash_at_head = claimed
    if count < want_count:
        reason = f"log ends at record {count}, head says {want_count}"
        return AuditCheck(False, count, prev, count + 1, reason)
    if want_count and hash_at_head != want_hash:
        return AuditCheck(False, count, prev, want_count, "record does not match the head hash")
    return AuditCheck(True, count, prev)
