"""GetKeyLastUsage: the last successful cryptographic operation of each key.

Fed by every call's audit record (``CallRecord``: HTTP and in-process alike), so it sees exactly
what the audit log sees: a successful cryptographic operation names its keys (ReEncrypt names both,
and both were used, as AWS records it). Kept in memory and written to the keystore's ``usage``
table in one transaction at most once a second (``FLUSH_SECONDS``) and at close: one fsync per
second rather than one per Encrypt. A crash loses at most that last second of usage updates (the
audit log, flushed per call, still has the calls). ``TrackingStartDate`` is when this keystore
began tracking (stored once), or the key's creation if later, as AWS defines it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from wafproxy.awsapi.jsonproto import CallContext, CallRecord
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.kms.core import KmsCore
from wafproxy.sidecars.kms.keystore import KeyStore

FLUSH_SECONDS = 1.0
CRYPTO_OPERATIONS = frozenset(
    {
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "Sign",
        "Verify",
        "GenerateMac",
        "VerifyMac",
        "DeriveSharedSecret",
        "Encapsulate",
        "Decapsulate",
    }
)


class LastUsage:
    """key id → {Operation, Timestamp, CloudTrailEventId, KmsRequestId}; bounded by the keys that
    exist (``exists``): a deleted key's entry goes at the next flush."""

    def __init__(self, store: KeyStore, now: Callable[[], float], exists: Callable[[str], bool]) -> None:
        self._store, self._now, self._exists = store, now, exists
        self._lock = threading.Lock()
        self._rows: dict[str, dict[str, Any]] = {k: json.loads(v) for k, v in store.load_usage().items()}
        self._dirty: set[str] = set()
        self._next_flush = 0.0
        started = store.get_meta("usage-tracking-start")
        if started is None:
            started = repr(now()).encode()
            store.put_meta("usage-tracking-start", started)
        self.tracking_start = float(started)

    def record(self, call: CallRecord) -> None:
        if call.error_code is not None or call.operation not in CRYPTO_OPERATIONS:
            return
        entry = {
            "Operation": call.operation,
            "Timestamp": call.time,
            "CloudTrailEventId": call.request_id,
            "KmsRequestId": call.request_id,
        }
        with self._lock:
            for arn in set(call.resources):
                key_id = arn.rsplit("/", 1)[-1]
                self._rows[key_id] = entry
                self._dirty.add(key_id)
        if self._now() >= self._next_flush:
            self.flush()

    def get(self, key_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._rows.get(key_id)

    def flush(self) -> None:
        with self._lock:
            gone = [k for k in self._rows if not self._exists(k)]
            for key_id in gone:
                self._rows.pop(key_id, None)
                self._dirty.discard(key_id)
            rows = {k: json.dumps(self._rows[k]) for k in self._dirty}
            self._dirty.clear()
            self._next_flush = self._now() + FLUSH_SECONDS
        if rows:
            self._store.put_usage(rows)


def operations(usage: LastUsage) -> Mapping[str, Any]:
    def get_key_last_usage(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        rec = kms.resolve(p.str("KeyId"), kms.clock.now())
        ctx.resources.append(rec.arn)
        kms.authorize(ctx, "GetKeyLastUsage", rec)
        last = usage.get(rec.key_id)
        return {
            "KeyId": rec.arn,
            "KeyLastUsage": dict(last) if last else {},
            "TrackingStartDate": max(usage.tracking_start, rec.created),
            "KeyCreationDate": rec.created,
        }

    return {"GetKeyLastUsage": get_key_last_usage}
