"""The AWS rest-json protocol as a raw ASGI app (GuardDuty, Inspector2, Security Hub use it).

Operations are routed by method and URI template (``GET /detector/{DetectorId}``), exactly as the
botocore service model's ``http.requestUri`` writes them; ``{Name}`` captures one path segment and
``{Name+}`` the rest. The handler gets one ``Params`` merging the JSON body, the captured path
members (by member name) and the query string (by wire name; integers and booleans typed as the
model's input shape says, text otherwise). SigV4, ``CallContext``/``CallRecord``, audit hook and
error shapes are shared with ``jsonproto``; rest-json errors carry their own HTTP status
(``AwsError.status``; authentication and authorization failures are 403, as API Gateway fronted AWS
services answer them). Matching is segment by segment — no regex on the request path.
"""

from __future__ import annotations

import inspect
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from wafproxy.awsapi import sigv4
from wafproxy.awsapi.credentials import CredentialStore, Principal
from wafproxy.awsapi.errors import AUTH_ERROR_CODES, AwsError
from wafproxy.awsapi.inputcheck import InputModel
from wafproxy.awsapi.jsonproto import (
    MAX_BODY_BYTES,
    CallContext,
    CallRecord,
    Handler,
    Receive,
    Scope,
    Send,
    WallClock,
    call_record,
    json_default,
    lifespan,
    log,
    read_body,
)
from wafproxy.awsapi.params import Params


@dataclass(frozen=True, slots=True)
class RestRoute:
    """``RestRoute("GetDetector", "GET", "/detector/{DetectorId}", handler)``."""

    operation: str
    method: str
    template: str
    handler: Handler
    status: int = 200

    def segments(self) -> tuple[str, ...]:
        return tuple(self.template.split("?", 1)[0].strip("/").split("/"))

    def fixed_query(self) -> dict[str, str]:
        _, _, q = self.template.partition("?")
        return dict(parse_qsl(q, keep_blank_values=True))


def _match(route: RestRoute, parts: list[str]) -> dict[str, str] | None:
    captured: dict[str, str] = {}
    segs = route.segments()
    for i, seg in enumerate(segs):
        if seg.startswith("{") and seg.endswith("+}"):
            if i >= len(parts):
                return None
            captured[seg[1:-2]] = "/".join(parts[i:])
            return captured
        if i >= len(parts):
            return None
        if seg.startswith("{") and seg.endswith("}"):
            if not parts[i]:
                return None
            captured[seg[1:-1]] = parts[i]
        elif seg != parts[i]:
            return None
    return captured if len(parts) == len(segs) else None


class RestJsonService:
    """ASGI app for one rest-json service: verify SigV4, route, call the handler, answer JSON."""

    def __init__(
        self,
        *,
        signing_name: str,
        credentials: CredentialStore,
        routes: list[RestRoute],
        on_call: Callable[[CallRecord], None] | None = None,
        clock: Any | None = None,
        default_region: str = "us-east-1",
        max_body: int = MAX_BODY_BYTES,
        map_error: Callable[[AwsError], AwsError] | None = None,
        internal_error: Callable[[], AwsError] | None = None,
        inputs: InputModel | None = None,
    ) -> None:
        self._signing_name = signing_name
        # The service model's input shapes (by signing name), checked before any handler runs.
        self._inputs = inputs or InputModel.shipped(signing_name)
        self._credentials = credentials
        self._routes = list(routes)
        self._on_call = on_call
        self._clock = clock or WallClock()
        self._default_region = default_region
        self._max_body = max_body
        # The service's own error vocabulary: GuardDuty says BadRequestException where our shared
        # validation says ValidationException, Security Hub InvalidInputException…
        self._map_error = map_error
        # A handler bug is logged and answered in the service's 500 shape, never a bare 500.
        self._internal_error = internal_error or (
            lambda: AwsError("InternalServerException", "Internal server error", status=500)
        )

    def _route(
        self, method: str, path: str, query: dict[str, Any]
    ) -> tuple[RestRoute, dict[str, str]] | None:
        parts = [unquote(p) for p in path.split("?", 1)[0].strip("/").split("/")]
        for route in self._routes:
            if route.method != method:
                continue
            captured = _match(route, parts)
            if captured is not None and all(query.get(k) == v for k, v in route.fixed_query().items()):
                return route, captured
        return None

    def claims(self, scope: Scope) -> bool:
        """Whether a call on the shared admin listener is this service's: signed for it (whatever
        the path: an operation we do not serve gets its error shape), or unsigned and naming one
        of its routes, so it is refused as AWS refuses it (403 MissingAuthenticationToken), not with
        the admin app's plain 404. A call signed for another service is never claimed by path:
        GuardDuty, Inspector2 and Security Hub share ``/tags/{arn}``."""
        if scope.get("type") != "http":
            return False
        signed = sigv4.signed_service(scope["headers"])
        if signed is not None:
            return signed == self._signing_name
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        query = query_members(scope.get("query_string", b"").decode("latin-1"))
        return self._route(scope["method"], _below(raw_path, scope.get("root_path", "")), query) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request_id = str(uuid.uuid4())
        status, payload, error_type = await self._handle(scope, receive, request_id)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"x-amzn-requestid", request_id.encode()),
        ]
        if error_type:
            headers.append((b"x-amzn-errortype", error_type.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _handle(self, scope: Scope, receive: Receive, request_id: str) -> tuple[int, bytes, str | None]:
        source_ip = str((scope.get("client") or ("", 0))[0])
        operation, principal, ctx = "", None, None
        try:
            body = await read_body(receive, self._max_body)
            headers = tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"])
            raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
            query_string = scope.get("query_string", b"").decode("latin-1")
            view = sigv4.HttpRequestView(scope["method"], raw_path, query_string, headers, body)
            query = query_members(query_string)
            # Route on the raw path below any mount prefix (SigV4 signs the full raw path): a label
            # such as {ResourceArn} arrives percent-encoded, its '/' as %2F, and must stay one segment.
            path = _below(raw_path, scope.get("root_path", ""))
            found = self._route(scope["method"], path, query)
            operation = found[0].operation if found else ""  # named in the audit even if unsigned
            # Authenticate before saying the route is unknown, as AWS does: an unsigned call learns
            # nothing about which operations exist (403 MissingAuthenticationToken, not 404).
            principal = sigv4.verify(
                view, self._credentials, now=self._clock.now(), service=self._signing_name,
                region=self._default_region,
            )
            if found is None:
                unknown = f"No operation for {scope['method']} {path[:128]}"
                raise AwsError("UnknownOperationException", unknown, status=404)
            route, captured = found
            try:
                raw = json.loads(body) if body else {}
            except (ValueError, UnicodeDecodeError, RecursionError):  # nesting past the C stack
                raise AwsError("SerializationException", "Request body is not valid JSON") from None
            if not isinstance(raw, dict):
                raise AwsError("SerializationException", "Request body must be a JSON object")
            if self._inputs is not None:
                self._inputs.check_rest(operation, raw, query, captured)
                query = self._inputs.typed_query(operation, query)
            merged = {**query, **raw, **captured}  # path members win: they name the resource
            ctx = CallContext(
                principal, operation, request_id, source_ip, sigv4.region_of(view) or self._default_region
            )
            answer = route.handler(ctx, Params(merged))
            result = await answer if inspect.isawaitable(answer) else answer
            # 204 (GuardDuty's TagResource…) has no body (RFC 9110 §15.3.5).
            payload = b"" if route.status == 204 else json.dumps(
                result, default=json_default, separators=(",", ":")).encode()
            self._record(operation, request_id, source_ip, principal, ctx, None)
            return route.status, payload, None
        except AwsError as raised:
            if self._inputs is not None:
                raised = self._inputs.not_found_declared(operation, raised)
            exc = self._map_error(raised) if self._map_error else raised
            if self._inputs is not None:
                exc = self._inputs.in_vocabulary(operation, raised, exc)
        except Exception:
            log.exception("%s failed", operation or "request")
            exc = self._internal_error()
        if exc.code in AUTH_ERROR_CODES:
            exc.status = 403
        self._record(operation, request_id, source_ip, principal, ctx, exc)
        return exc.status, json.dumps(exc.to_body()).encode(), exc.code

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
        self._on_call(call_record(self._clock.now(), operation, request_id, source_ip, principal, ctx, exc))


def _below(raw_path: str, root_path: str) -> str:
    """``raw_path`` without the segments of the mount prefix ``root_path`` (decoded form)."""
    if not root_path.strip("/"):
        return raw_path
    skip = len(root_path.strip("/").split("/"))
    return "/" + "/".join(raw_path.lstrip("/").split("/")[skip:])


def query_members(query_string: str) -> dict[str, Any]:
    """Query members by wire name: one value as a string, a repeated one (``tagKeys=a&tagKeys=b``,
    botocore's form of a list) as the list of its values."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if key in out:
            prior = out[key]
            out[key] = [*prior, value] if isinstance(prior, list) else [prior, value]
        else:
            out[key] = value
    return out


def routes_from(table: Mapping[str, tuple[str, str, Handler]]) -> list[RestRoute]:
    """``{"GetDetector": ("GET", "/detector/{DetectorId}", handler)}`` → routes, literal paths first."""
    routes = [RestRoute(op, method, template, handler) for op, (method, template, handler) in table.items()]
    # A literal segment must beat a capture at the same position (/detector/list vs /detector/{Id}).
    return sorted(routes, key=lambda r: tuple(s.startswith("{") for s in r.segments()))
