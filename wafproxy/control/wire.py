"""The WAFv2 wire protocol (AWS JSON 1.1, ``X-Amz-Target: AWSWAF_20190729.<Operation>``).

Same contract as ``awsapi.jsonproto.JsonService`` (SigV4 via ``awsapi.sigv4``, the same
``CallContext``/``CallRecord``, AWS error bodies) with two differences the control plane needs:
handlers are ``async`` (they persist with fsync and compile off the event loop, and the Redis rate
store answers ``GetRateBasedStatementManagedKeys`` asynchronously), and a generic
``ValidationException`` from ``Params`` is reported the WAF way, as ``WAFInvalidParameterException``
naming the member. (Gap noted for awsapi: JsonService has no async handlers.)
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from wafproxy.awsapi import sigv4
from wafproxy.awsapi.credentials import CredentialStore, Principal
from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.jsonproto import CallContext, CallRecord
from wafproxy.awsapi.params import Params
from wafproxy.control.errors import WafError

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
AsyncHandler = Callable[[CallContext, Params], Awaitable[Mapping[str, Any]]]

log = logging.getLogger("wafproxy.control")

TARGET_PREFIX = "AWSWAF_20190729"
SIGNING_NAME = "wafv2"
MAX_BODY_BYTES = 8 << 20  # an UpdateIPSet with 10,000 IPv6 CIDRs is ~0.5 MB; 8 MiB bounds memory
CONTENT_TYPE = b"application/x-amz-json-1.1"


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _as_waf(exc: AwsError) -> AwsError:
    if exc.code == "ValidationException" and not isinstance(exc, WafError):
        return WafError(
            "WAFInvalidParameterException",
            exc.message,
            field="ENTITY_LIMIT" if "length" in exc.message else None,
            parameter=exc.path,
        )
    return exc


class WafJsonService:
    """ASGI app: verify SigV4, dispatch to an async handler, answer JSON or an AWS error."""

    def __init__(
        self,
        *,
        credentials: CredentialStore,
        operations: Mapping[str, AsyncHandler],
        on_call: Callable[[CallRecord], None] | None = None,
        default_region: str = "us-east-1",
        clock: Callable[[], float] = time.time,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self._credentials = credentials
        self._operations = dict(operations)
        self._on_call = on_call
        self._default_region = default_region
        self._clock = clock
        self._max_body = max_body
        self._prefix = TARGET_PREFIX + "."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request_id = str(uuid.uuid4())
        status, payload, error_type = await self._handle(scope, receive, request_id)
        headers = [
            (b"content-type", CONTENT_TYPE),
            (b"content-length", str(len(payload)).encode()),
            (b"x-amzn-requestid", request_id.encode()),
        ]
        if error_type:
            headers.append((b"x-amzn-errortype", error_type.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _handle(self, scope: Scope, receive: Receive, request_id: str) -> tuple[int, bytes, str | None]:
        source_ip = str((scope.get("client") or ("", 0))[0])
        operation = ""
        principal: Principal | None = None
        ctx: CallContext | None = None
        try:
            body = await _read_body(receive, self._max_body)
            headers = tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"])
            raw_path = scope.get("raw_path") or scope["path"].encode()
            view = sigv4.HttpRequestView(
                scope["method"],
                raw_path.decode("latin-1"),
                scope.get("query_string", b"").decode("latin-1"),
                headers,
                body,
            )
            target = view.header("x-amz-target") or ""
            operation = target[len(self._prefix) :][:64] if target.startswith(self._prefix) else ""
            principal = sigv4.verify(view, self._credentials, now=self._clock(), service=SIGNING_NAME)
            handler = self._operations.get(operation)
            if scope["method"] != "POST" or handler is None:
                raise AwsError("UnknownOperationException", "Unknown operation " + (target[:128] or "(none)"))
            try:
                raw = json.loads(body or b"{}")
            except (ValueError, UnicodeDecodeError):
                raise AwsError("SerializationException", "Request body is not valid JSON") from None
            if not isinstance(raw, dict):
                raise AwsError("SerializationException", "Request body must be a JSON object")
            ctx = CallContext(
                principal, operation, request_id, source_ip, sigv4.region_of(view) or self._default_region
            )
            result = await handler(ctx, Params(raw))
            payload = json.dumps(result, default=_json_default, separators=(",", ":")).encode()
            self._record(operation, request_id, source_ip, principal, ctx, None)
            return 200, payload, None
        except AwsError as exc:
            exc = _as_waf(exc)
            self._record(operation, request_id, source_ip, principal, ctx, exc)
            return exc.status, json.dumps(exc.to_body()).encode(), exc.code
        except Exception:  # a bug must not become a stack trace or a silent 500 without an AWS shape
            log.exception("%s failed", operation or "request")
            err = WafError(
                "WAFInternalErrorException",
                "Your request is valid, but WAF couldn't perform the operation because of a system problem.",
                status=500,
            )
            self._record(operation, request_id, source_ip, principal, ctx, err)
            return err.status, json.dumps(err.to_body()).encode(), err.code

    def _record(
        self,
        operation: str,
        request_id: str,
        source_ip: str,
        principal: Principal | None,
        ctx: CallContext | None,
        exc: AwsError | None,
    ) -> None:
        if self._on_call is None:
            return
        self._on_call(
            CallRecord(
                time=self._clock(),
                operation=operation or "(unknown)",
                request_id=request_id,
                source_ip=source_ip,
                principal_arn=principal.arn if principal else None,
                access_key_id=principal.access_key_id if principal else None,
                resources=tuple(ctx.resources) if ctx else (),
                error_code=exc.code if exc else None,
                error_message=exc.message if exc else None,
            )
        )


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise AwsError("SerializationException", "Client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise WafError("WAFLimitsExceededException", f"Request body exceeds {limit} bytes", status=413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
