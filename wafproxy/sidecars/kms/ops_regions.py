"""Multi-Region keys: ReplicateKey and UpdatePrimaryRegion.

``CreateKey(MultiRegion=True)`` makes a primary key whose id is ``mrk-`` and 32 hex digits. This
KMS serves one Region (``KmsConfig.region``), so a replica in another Region is a name kept with
the key (its ``MultiRegionConfiguration``): ReplicateKey records the Region and answers the
replica's metadata (its ARN in that Region, the description, policy and tags given for it),
UpdatePrimaryRegion moves the primary role to a replica's Region, after which the key served here
is a replica and can no longer be replicated from here. The key material is this key's: what it
encrypts here, the replica (in AWS) decrypts. AWS's errors: a single-Region key, or a replica asked
to replicate, is UnsupportedOperationException; a Region that already holds a key of the set is
AlreadyExistsException; a Region with no replica to promote is NotFoundException; a disabled key
DisabledException; a key pending deletion KMSInvalidStateException.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.kms.core import KmsCore, default_key_policy
from wafproxy.sidecars.kms.keypolicy import check_key_policy
from wafproxy.sidecars.kms.model import KeyRecord, KeyState
from wafproxy.sidecars.kms.tags import parse_tags

MAX_REGIONS = 32  # every commercial Region of AWS, with room


def region_name(p: Params, member: str) -> str:
    """``us-west-2``, ``ap-southeast-4``, ``us-gov-west-1``: lowercase words, then a number."""
    name = p.str(member, max_len=32)
    parts = name.split("-")
    if not (
        3 <= len(parts) <= 4 and parts[-1].isdigit() and all(w.isalpha() and w.islower() for w in parts[:-1])
    ):
        raise validation(f"{member} {name!r} is not a Region name", path=member)
    return name


def _multi_region(kms: KmsCore, ctx: CallContext, p: Params, op: str) -> KeyRecord:
    rec = kms.resolve(p.str("KeyId"), kms.clock.now())
    ctx.resources.append(rec.arn)
    kms.authorize(ctx, op, rec)
    if not rec.regions:
        raise AwsError("UnsupportedOperationException", f"{rec.arn} is not a multi-Region key")
    if rec.state is KeyState.DISABLED:
        raise AwsError("DisabledException", f"{rec.arn} is disabled.")
    kms.require_not_pending(rec)
    if dict(rec.regions).get(kms.config.region) is not True:
        raise AwsError(
            "UnsupportedOperationException", f"{rec.arn} is a replica key: call {op} on the primary key"
        )
    return rec


def replicate_key(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    region = region_name(p, "ReplicaRegion")
    tags = tuple(sorted(parse_tags(p).items()))
    description = p.str("Description", required=False, default="", max_len=8192)
    text = p.str("Policy", required=False, max_len=32768)
    rec = _multi_region(kms, ctx, p, "ReplicateKey")
    if region in dict(rec.regions):
        raise AwsError("AlreadyExistsException", f"{rec.key_id} already has a key in {region}")
    if len(rec.regions) >= MAX_REGIONS:
        raise AwsError("LimitExceededException", f"A multi-Region key spans at most {MAX_REGIONS} Regions")
    replica_arn = rec.arn_in(region)
    policy = (
        check_key_policy(kms, ctx, text, replica_arn, p.bool("BypassPolicyLockoutSafetyCheck"))
        if text
        else default_key_policy(kms.config.account)
    )
    regions = (*rec.regions, (region, False))
    kms.save(rec.with_(regions=regions))
    replica = rec.with_(
        arn=replica_arn,
        regions=regions,
        description=description,
        tags=tags,
        policy=policy,
        created=kms.clock.now(),
    )
    return {
        "ReplicaKeyMetadata": replica.metadata(),
        "ReplicaPolicy": policy,
        "ReplicaTags": [{"TagKey": k, "TagValue": v} for k, v in tags],
    }


def update_primary_region(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    region = region_name(p, "PrimaryRegion")
    rec = _multi_region(kms, ctx, p, "UpdatePrimaryRegion")
    if region == kms.config.region:
        return {}  # already the primary
    if region not in dict(rec.regions):
        raise AwsError("NotFoundException", f"{rec.key_id} has no replica key in {region}")
    kms.save(rec.with_(regions=tuple((r, r == region) for r, _ in rec.regions)))
    return {}


OPERATIONS = {"ReplicateKey": replicate_key, "UpdatePrimaryRegion": update_primary_region}
