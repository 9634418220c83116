"""Assemble the KMS: keystore + state + operations + audit behind the JSON 1.1 dispatcher.

``KmsService.open(...)`` gives an ASGI app (``.app``) that can be served on its own port
(``wafproxy kms serve``) or mounted in-process, and ``close()`` to release the files.
"""

from __future__ import annotations

import inspect
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from wafproxy.awsapi.credentials import CredentialStore, Principal
from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.jsonproto import CallContext, CallRecord, JsonService
from wafproxy.awsapi.params import Params
from wafproxy.awsapi.policy import Policy
from wafproxy.ports import Clock
from wafproxy.sidecars.kms import (
    aliases,
    keystores_custom,
    lastusage,
    ops_agree,
    ops_asym,
    ops_crypto,
    ops_grants,
    ops_import,
    ops_keys,
    ops_regions,
    tags,
)
from wafproxy.sidecars.kms.audit import AuditLog
from wafproxy.sidecars.kms.core import KmsConfig, KmsCore
from wafproxy.sidecars.kms.keystore import KeyStore

TARGET_PREFIX = "TrentService"
SIGNING_NAME = "kms"


def iam_actions(operation: str) -> tuple[str, ...]:
    """The IAM actions an operation needs (ReEncrypt: both halves, as AWS names them)."""
    if operation == "ReEncrypt":
        return ("kms:ReEncryptFrom", "kms:ReEncryptTo")
    return (f"kms:{operation}",)


class SystemClock:
    def now(self) -> float:
        return time.time()


def _operation_modules() -> list[Mapping[str, Any]]:
    """The registry: each module contributes ``OPERATIONS`` (AWS operation name → handler)."""
    return [
        ops_keys.OPERATIONS,
        ops_crypto.OPERATIONS,
        aliases.OPERATIONS,
        tags.OPERATIONS,
        ops_grants.OPERATIONS,
        ops_asym.OPERATIONS,
        keystores_custom.OPERATIONS,
        ops_import.OPERATIONS,
        ops_agree.OPERATIONS,
        ops_regions.OPERATIONS,
    ]


@dataclass
class KmsService:
    core: KmsCore
    audit: AuditLog
    app: JsonService
    operations: Mapping[str, Any]
    usage: lastusage.LastUsage
    on_call: Callable[[CallRecord], None]  # every call, HTTP or in-process: audited, and counted as usage

    async def invoke(self, principal: Principal, operation: str, body: dict[str, Any]) -> Mapping[str, Any]:
        """Call an operation in-process: same authorization and audit as over HTTP, no SigV4.

        ``body`` is the JSON request (blobs base64); raises ``AwsError`` as the wire would report it.
        """
        request_id = str(uuid.uuid4())
        ctx = CallContext(principal, operation, request_id, "in-process", self.core.config.region)
        try:
            handler = self.operations.get(operation)
            if handler is None:
                raise AwsError("UnknownOperationException", f"Unknown operation {operation[:64]}")
            answer = handler(ctx, Params(body))
            result: Mapping[str, Any] = await answer if inspect.isawaitable(answer) else answer
        except AwsError as exc:
            self.on_call(self._record(ctx, exc))
            raise
        self.on_call(self._record(ctx, None))
        return result

    def _record(self, ctx: CallContext, exc: AwsError | None) -> CallRecord:
        return CallRecord(
            time=time.time(),
            operation=ctx.operation,
            request_id=ctx.request_id,
            source_ip=ctx.source_ip,
            principal_arn=ctx.principal.arn,
            access_key_id=ctx.principal.access_key_id,
            resources=tuple(ctx.resources),
            error_code=exc.code if exc else None,
            error_message=exc.message if exc else None,
        )

    @classmethod
    def open(
        cls,
        *,
        data_dir: str | Path,
        root_key: bytes,
        credentials: CredentialStore,
        identity_policies: Mapping[str, Policy] | None = None,
        config: KmsConfig | None = None,
        clock: Clock | None = None,
        auth_clock: Clock | None = None,
    ) -> KmsService:
        """``clock`` drives key state (deletion, rotation dates); ``auth_clock`` the SigV4 skew check."""
        config = config or KmsConfig()
        clock = clock or SystemClock()
        store = KeyStore(data_dir, root_key)
        core = KmsCore(store, config=config, identity_policies=identity_policies, clock=clock)
        audit = AuditLog(data_dir, region=config.region)
        usage = lastusage.LastUsage(store, clock.now, lambda key_id: key_id in core.records)
        operations: dict[str, Any] = {}
        for table in [*_operation_modules(), lastusage.operations(usage)]:
            for name, fn in table.items():
                operations[name] = _bind(fn, core)
        on_call = partial(_record_call, audit, usage)
        app = JsonService(
            target_prefix=TARGET_PREFIX,
            signing_name=SIGNING_NAME,
            credentials=credentials,
            operations=operations,
            on_call=on_call,
            clock=auth_clock or SystemClock(),
            default_region=config.region,
            precheck=lambda ctx: core.identity.precheck(
                ctx.principal, iam_actions(ctx.operation), deny_only=True),
        )
        return cls(core, audit, app, operations, usage, on_call)

    def close(self) -> None:
        self.usage.flush()
        self.audit.close()
        self.core.store.close()


def _record_call(audit: AuditLog, usage: lastusage.LastUsage, record: CallRecord) -> None:
    """Every call is audited; a successful cryptographic one is also its keys' last usage."""
    audit.record(record)
    usage.record(record)


def _bind(fn: Any, core: KmsCore) -> Any:
    """Sync handlers run whole under the state lock; async ones (slow keygen) lock around their
    own checks and saves, so the lock is never held across an ``await``."""
    if inspect.iscoroutinefunction(fn):
        return partial(fn, core)
    return partial(_bound, fn, core)


def _bound(fn: Any, core: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    """Run one operation with the state lock held: handlers read-modify-write key records, and
    in-process callers (``invoke`` from log-writer threads) may run beside the event loop. Handlers
    are CPU-only and short (microseconds; asymmetric key generation is the slow exception), so one
    lock costs nothing measurable and makes every operation atomic."""
    with core.lock:
        result: Mapping[str, Any] = fn(core, ctx, p)
    return result
