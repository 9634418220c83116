"""The WAFv2 wire protocol (AWS JSON 1.1, ``X-Amz-Target: AWSWAF_20190729.<Operation>``).

``awsapi.jsonproto.JsonService`` does the protocol (SigV4, dispatch, async handlers, audit
records); this module only adds what WAFv2 answers differently: a generic ``ValidationException``
from ``Params`` becomes ``WAFInvalidParameterException`` naming the member, an oversize body
``WAFLimitsExceededException``, and a handler bug ``WAFInternalErrorException`` (500).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.jsonproto import CallContext, CallRecord, JsonService
from wafproxy.awsapi.params import Params
from wafproxy.control.errors import WafError

AsyncHandler = Callable[[CallContext, Params], Awaitable[Mapping[str, Any]]]

TARGET_PREFIX = "AWSWAF_20190729"
SIGNING_NAME = "wafv2"
MAX_BODY_BYTES = 8 << 20  # an UpdateIPSet with 10,000 IPv6 CIDRs is ~0.5 MB; 8 MiB bounds memory


@dataclass(frozen=True, slots=True)
class _Clock:
    read: Callable[[], float]

    def now(self) -> float:
        return self.read()


def _as_waf(exc: AwsError) -> AwsError:
    if exc.code != "ValidationException" or isinstance(exc, WafError):
        return exc
    if exc.status == 413:  # the request body is over MAX_BODY_BYTES
        return WafError("WAFLimitsExceededException", exc.message, status=413)
    return WafError(
        "WAFInvalidParameterException",
        exc.message,
        field="ENTITY_LIMIT" if "length" in exc.message else None,
        parameter=exc.path,
    )


def _internal_error() -> AwsError:
    return WafError(
        "WAFInternalErrorException",
        "Your request is valid, but WAF couldn't perform the operation because of a system problem.",
        status=500,
    )


def waf_json_service(
    *,
    credentials: CredentialStore,
    operations: Mapping[str, AsyncHandler],
    on_call: Callable[[CallRecord], None] | None = None,
    default_region: str = "us-east-1",
    clock: Callable[[], float] = time.time,
    max_body: int = MAX_BODY_BYTES,
    precheck: Callable[[CallContext], None] | None = None,
) -> JsonService:
    """The ASGI app of the WAFv2 API: verify SigV4, dispatch, answer JSON or a WAFv2 error."""
    return JsonService(
        target_prefix=TARGET_PREFIX,
        signing_name=SIGNING_NAME,
        credentials=credentials,
        operations=operations,
        on_call=on_call,
        clock=_Clock(clock),
        default_region=default_region,
        max_body=max_body,
        map_error=_as_waf,
        internal_error=_internal_error,
        precheck=precheck,
    )
