"""The AWS JSON 1.1 protocol as a raw ASGI app: SigV4 → ``X-Amz-Target`` dispatch → AWS error shapes.

``POST /`` with ``X-Amz-Target: <TargetPrefix>.<Operation>`` and a JSON body; the response is JSON
(``bytes`` values become base64, ``datetime`` values epoch seconds, as botocore expects). Every
call — authenticated or not, allowed or not — is reported once to ``on_call`` (the audit log), with
the error code when it failed. Raw ASGI rather than a framework: this is the hot path of KMS.
"""

from __future__ import annotations

import base64
import inspect
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wafproxy.awsapi import sigv4
from wafproxy.awsapi.credentials import CredentialStore, Principal
from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.inputcheck import InputModel
from wafproxy.awsapi.params import Params

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

log = logging.getLogger("wafproxy.awsapi")

MAX_BODY_BYTES = 1 << 20  # AWS JSON APIs cap requests far lower; 1 MiB leaves room, bounds memory.
CONTENT_TYPE = b"application/x-amz-json-1.1"


@dataclass(slots=True)
class CallContext:
    """One authenticated call, as a handler sees it. ``resources`` collects ARNs for the audit record."""

    principal: Principal
    operation: str
    request_id: str
    source_ip: str
    region: str
    resources: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What ``on_call`` receives: enough for a CloudTrail-shaped record, never secrets or payloads."""

    time: float
    operation: str
    request_id: str
    source_ip: str
    principal_arn: str | None
    access_key_id: str | None
    resources: tuple[str, ...]
    error_code: str | None
    error_message: str | None


# Handlers may be plain functions (KMS: microseconds of CPU, no I/O worth yielding for) or
# coroutines (the control plane persists with fsync and compiles off the event loop).
Handler = Callable[[CallContext, Params], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]


class WallClock:
    def now(self) -> float:
        return time.time()


def json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _access_key_of(view: sigv4.HttpRequestView) -> str | None:
    auth = view.header("authorization")
    if not auth or "Credential=" not in auth:
        return None
    return auth.split("Credential=", 1)[1].split("/", 1)[0][:128]


class JsonService:
    """An ASGI app serving one AWS JSON 1.1 service (``TrentService`` for KMS, ``AWSWAF_20190729``…)."""

    def __init__(
        self,
        *,
        target_prefix: str,
        signing_name: str,
        credentials: CredentialStore,
        operations: Mapping[str, Handler],
        on_call: Callable[[CallRecord], None] | None = None,
        clock: Any | None = None,
        default_region: str = "us-east-1",
        max_body: int = MAX_BODY_BYTES,
        map_error: Callable[[AwsError], AwsError] | None = None,
        internal_error: Callable[[], AwsError] | None = None,
        precheck: Callable[[CallContext], None] | None = None,
        inputs: InputModel | None = None,
    ) -> None:
        self._prefix = target_prefix + "."
        # The service model's input shapes (by signing name: kms, wafv2), checked before any handler.
        self._inputs = inputs or InputModel.shipped(signing_name)
        # Authorization that needs no lookup (``IdentityAuthorizer.precheck``), before the
        # handler: a caller denied the operation gets AccessDenied, not NotFound / validation.
        self._precheck = precheck
        self._signing_name = signing_name
        self._credentials = credentials
        self._operations = dict(operations)
        self._on_call = on_call
        self._clock = clock or WallClock()
        self._default_region = default_region
        self._max_body = max_body
        self._map_error = map_error  # e.g. WAFv2 reports ValidationException as WAFInvalidParameterException
        # With ``internal_error``, a handler bug is logged and answered in the service's own error
        # shape (e.g. WAFInternalErrorException, 500) instead of escaping as a bare 500.
        self._internal_error = internal_error

    @property
    def operations(self) -> frozenset[str]:
        """The operation names served (every one behind SigV4: tests enumerate them)."""
        return frozenset(self._operations)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
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
        client = scope.get("client") or ("", 0)
        source_ip = str(client[0])
        operation = ""
        principal: Principal | None = None
        ctx: CallContext | None = None
        view: sigv4.HttpRequestView | None = None
        try:
            body = await read_body(receive, self._max_body)
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
            # Bounded: the name goes into audit records before we know it is a real operation.
            operation = target[len(self._prefix) :][:64] if target.startswith(self._prefix) else ""
            principal = sigv4.verify(
                view, self._credentials, now=self._clock.now(), service=self._signing_name,
                region=self._default_region,
            )
            if scope["method"] != "POST":
                raise AwsError("UnknownOperationException", "Only POST is supported")
            handler = self._operations.get(operation)
            if handler is None:
                operation = operation[:64]
                raise AwsError("UnknownOperationException", "Unknown operation " + (target[:128] or "(none)"))
            try:
                raw = json.loads(body or b"{}")
            except (ValueError, UnicodeDecodeError, RecursionError):  # nesting past the C stack
                raise AwsError("SerializationException", "Request body is not valid JSON") from None
            if not isinstance(raw, dict):
                raise AwsError("SerializationException", "Request body must be a JSON object")
            ctx = CallContext(
                principal, operation, request_id, source_ip, sigv4.region_of(view) or self._default_region
            )
            if self._precheck is not None:
                self._precheck(ctx)
            if self._inputs is not None:
                self._inputs.check_json(operation, raw)
            answer = handler(ctx, Params(raw))
            result = await answer if inspect.isawaitable(answer) else answer
            payload = json.dumps(result, default=json_default, separators=(",", ":")).encode()
            self._record(operation, request_id, source_ip, principal, view, ctx, None)
            return 200, payload, None
        except AwsError as raised:
            exc = self._map_error(raised) if self._map_error else raised
        except Exception:
            if self._internal_error is None:
                raise
            log.exception("%s failed", operation or "request")
            exc = self._internal_error()
        self._record(operation, request_id, source_ip, principal, view, ctx, exc)
        return exc.status, json.dumps(exc.to_body()).encode(), exc.code

    def _record(
        self,
        operation: str,
        request_id: str,
        source_ip: str,
        principal: Principal | None,
        view: sigv4.HttpRequestView | None,
        ctx: CallContext | None,
        exc: AwsError | None,
    ) -> None:
        if self._on_call is None:
            return
        claimed = _access_key_of(view) if view is not None and principal is None else None
        self._on_call(
            call_record(self._clock.now(), operation, request_id, source_ip, principal, ctx, exc, claimed)
        )


def call_record(
    now: float,
    operation: str,
    request_id: str,
    source_ip: str,
    principal: Principal | None,
    ctx: CallContext | None,
    exc: AwsError | None,
    claimed_access_key: str | None = None,
) -> CallRecord:
    """The audit record of one call, for every AWS protocol we serve (JSON 1.1, rest-json)."""
    return CallRecord(
        time=now,
        operation=operation or "(unknown)",
        request_id=request_id,
        source_ip=source_ip,
        principal_arn=principal.arn if principal else None,
        access_key_id=principal.access_key_id if principal else claimed_access_key,
        resources=tuple(ctx.resources) if ctx else (),
        error_code=exc.code if exc else None,
        error_message=exc.message if exc else None,
    )


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise AwsError("SerializationException", "Client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise AwsError("ValidationException", f"Request body exceeds {limit} bytes", status=413)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
