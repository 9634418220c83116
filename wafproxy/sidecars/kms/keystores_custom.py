"""Custom key stores: this KMS keeps every key in its own keystore (``keystore.py``), so no custom
key store exists or can be made, and each operation answers what AWS KMS answers in that case.

DescribeCustomKeyStores lists none (CustomKeyStoreNotFoundException when one is named);
CreateCustomKeyStore of an AWS CloudHSM store names a cluster that cannot be found from here
(CloudHsmClusterNotFoundException), of an external key store a proxy it will not reach
(XksProxyUriUnreachableException: it connects to no external proxy, by design — no outbound calls
from the admin API); Connect, Disconnect, Update and Delete name a store that does not exist
(CustomKeyStoreNotFoundException). Each is authorized as ``kms:<Operation>`` on ``*``, as IAM scopes
these account-level operations, before it is answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wafproxy.awsapi.errors import AwsError, validation
from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.kms.core import KmsCore

TYPES = ("AWS_CLOUDHSM", "EXTERNAL_KEY_STORE")


def _not_found(what: str) -> AwsError:
    return AwsError("CustomKeyStoreNotFoundException",
                    f"Custom key store {what[:128]} does not exist in this KMS")


def describe(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    kms.authorize(ctx, "DescribeCustomKeyStores", None)
    p.int("Limit", required=False, lo=1, hi=1000)
    if p.has("Marker"):
        raise AwsError("InvalidMarkerException",
                       "The marker does not continue a listing of custom key stores")
    named = p.str("CustomKeyStoreId", required=False, max_len=64) or p.str(
        "CustomKeyStoreName", required=False, max_len=256)
    if named is not None:
        raise _not_found(named)
    return {"CustomKeyStores": [], "Truncated": False}


def create(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
    kms.authorize(ctx, "CreateCustomKeyStore", None)
    p.str("CustomKeyStoreName", max_len=256)
    kind = p.str("CustomKeyStoreType", required=False, default="AWS_CLOUDHSM", max_len=32)
    if kind not in TYPES:
        raise validation(f"CustomKeyStoreType must be one of {', '.join(TYPES)}", path="CustomKeyStoreType")
    if kind == "AWS_CLOUDHSM":
        cluster = p.str("CloudHsmClusterId", max_len=24)
        raise AwsError("CloudHsmClusterNotFoundException",
                       f"AWS CloudHSM cluster {cluster} cannot be found from this KMS (it uses no CloudHSM)")
    uri = p.str("XksProxyUriEndpoint", max_len=128)
    raise AwsError("XksProxyUriUnreachableException",
                   f"External key store proxy {uri} is not reachable: this KMS connects to no external proxy")


def _by_id(operation: str) -> Any:
    def handler(kms: KmsCore, ctx: CallContext, p: Params) -> Mapping[str, Any]:
        kms.authorize(ctx, operation, None)
        raise _not_found(p.str("CustomKeyStoreId", max_len=64))
    return handler


OPERATIONS = {
    "DescribeCustomKeyStores": describe,
    "CreateCustomKeyStore": create,
    **{op: _by_id(op) for op in ("ConnectCustomKeyStore", "DisconnectCustomKeyStore", "DeleteCustomKeyStore",
                                 "UpdateCustomKeyStore")},
}
