"""Key policy documents: parse (a resource policy names a Principal) and AWS's lockout safety check."""

from __future__ import annotations

from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.policy import PolicyError, RequestContext, parse_policy
from wafproxy.sidecars.kms.core import KmsCore


def check_key_policy(kms: KmsCore, ctx: CallContext, text: str, key_arn: str, bypass: bool) -> str:
    try:
        policy = parse_policy(text, resource_policy=True)
    except PolicyError as exc:
        raise AwsError(
            "MalformedPolicyDocumentException", exc.message, path=f"Policy{exc.path[1:]}"
        ) from None
    if not bypass:
        # AWS's lockout safety check: the caller must still be able to PutKeyPolicy afterwards.
        req = RequestContext("kms:PutKeyPolicy", key_arn, ctx.principal.arn, ctx.principal.account)
        r = policy.evaluate(req)
        if r.denied or not (r.allowed or r.allowed_account):
            raise AwsError(
                "MalformedPolicyDocumentException",
                "The new key policy will not allow you to update the key policy in the future.",
            )
    return text
