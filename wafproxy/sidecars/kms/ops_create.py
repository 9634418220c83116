"""CreateKey. Asymmetric key generation (RSA up to 4096 bits: up to seconds of CPU) runs in a worker
thread after validation and authorization, so the event loop keeps serving other calls meanwhile
and an unauthorized caller cannot make us burn CPU.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.kms.core import KmsCore, default_key_policy
from wafproxy.sidecars.kms.keypolicy import check_key_policy
from wafproxy.sidecars.kms.material import new_material
from wafproxy.sidecars.kms.model import SPECS, KeyRecord, KeyState, KeyUsage
from wafproxy.sidecars.kms.tags import parse_tags


@dataclass(frozen=True, slots=True)
class NewKey:
    """A validated CreateKey request."""

    spec: str
    usage: KeyUsage
    tags: tuple[tuple[str, str], ...]
    policy: str | None
    bypass_lockout_check: bool
    description: str
    origin: str = "AWS_KMS"
    multi_region: bool = False

    @property
    def slow(self) -> bool:
        return self.spec.startswith(("RSA_", "ECC_"))

    def new_material(self) -> bytes | None:
        """An EXTERNAL key starts without material (ImportKeyMaterial brings it)."""
        return None if self.origin == "EXTERNAL" else new_material(self.spec)


def _unsupported(p: Params, *names: str) -> None:
    for name in names:
        if p.has(name):
            raise AwsError("UnsupportedOperationException", f"{name} is not supported by this KMS", path=name)


def parse_create(p: Params) -> NewKey:
    _unsupported(p, "CustomKeyStoreId", "XksKeyId")
    origin = p.str("Origin", required=False, default="AWS_KMS", max_len=32)
    if origin not in ("AWS_KMS", "EXTERNAL"):  # AWS_CLOUDHSM, EXTERNAL_KEY_STORE: custom key stores
        raise AwsError("UnsupportedOperationException", f"Origin {origin[:32]} needs a custom key store, "
                       "and this KMS has none", path="Origin")
    spec = (
        p.str("KeySpec", required=False)
        or p.str("CustomerMasterKeySpec", required=False)
        or "SYMMETRIC_DEFAULT"
    )
    info = SPECS.get(spec)
    if info is None:
        raise validation(f"KeySpec {spec[:64]!r} is not supported", path="KeySpec")
    try:
        usage = KeyUsage(p.str("KeyUsage", required=False, default=info.usages[0].value))
    except ValueError:
        raise validation("KeyUsage is not a valid value", path="KeyUsage") from None
    if usage not in info.usages:
        raise validation(f"KeyUsage {usage.value} is not compatible with KeySpec {spec}", path="KeyUsage")
    if origin == "EXTERNAL" and not info.importable:
        raise AwsError(
            "UnsupportedOperationException", f"This KMS imports no {spec} key material", path="Origin"
        )
    return NewKey(
        spec=spec,
        usage=usage,
        tags=tuple(sorted(parse_tags(p).items())),
        policy=p.str("Policy", required=False, max_len=32768),
        bypass_lockout_check=p.bool("BypassPolicyLockoutSafetyCheck"),
        description=p.str("Description", required=False, default="", max_len=8192),
        origin=origin,
        multi_region=p.bool("MultiRegion"),
    )


def finish_create(kms: KmsCore, ctx: CallContext, req: NewKey, material: bytes | None) -> Mapping[str, Any]:
    # A multi-Region key has the same id in every Region: "mrk-" and 32 hex digits, as AWS's.
    key_id = f"mrk-{uuid.uuid4().hex}" if req.multi_region else str(uuid.uuid4())
    arn = kms.key_arn(key_id)
    policy = (
        check_key_policy(kms, ctx, req.policy, arn, req.bypass_lockout_check)
        if req.policy
        else default_key_policy(kms.config.account)
    )
    rec = KeyRecord(
        key_id=key_id,
        arn=arn,
        account=kms.config.account,
        spec=req.spec,
        usage=req.usage,
        state=KeyState.ENABLED if material is not None else KeyState.PENDING_IMPORT,
        created=kms.clock.now(),
        policy=policy,
        description=req.description,
        tags=req.tags,
        origin=req.origin,
        regions=((kms.config.region, True),) if req.multi_region else (),
    )
    kms.save(rec, material, 1 if material is not None else None)
    ctx.resources.append(arn)
    return {"KeyMetadata": rec.metadata()}


def create_key(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    """Synchronous CreateKey (in-process callers); generates material inline."""
    req = parse_create(p)
    kms.authorize(ctx, "CreateKey", None)
    return finish_create(kms, ctx, req, req.new_material())


async def create_key_async(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    """The served CreateKey: the state lock is held around the checks and the save, not the keygen."""
    with kms.lock:
        req = parse_create(p)
        kms.authorize(ctx, "CreateKey", None)
    material = await asyncio.to_thread(req.new_material) if req.slow else req.new_material()
    with kms.lock:
        return finish_create(kms, ctx, req, material)
