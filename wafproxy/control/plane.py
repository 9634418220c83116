"""``ControlPlane``: the WAFv2 API of one wafproxy, wired to its store and its reloader.

One object, one ASGI app (``plane.app``) to mount at ``POST /`` of the admin listener. Every call
is SigV4-verified (``--credentials``) and authorized (``--policy-file``: principal name → IAM-style
policy; ``Action`` ``wafv2:<Operation>``, ``Resource`` the ARN; explicit deny wins; without a policy
file every authenticated principal may do everything). Every change goes the same way (``change``):
build the candidate documents, compile them, and only if that succeeds persist them atomically,
swap the new ACL in, write an audit line and publish to the other workers/hosts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from wafproxy.awsapi.authz import IdentityAuthorizer
from wafproxy.awsapi.credentials import CredentialStore
from wafproxy.awsapi.errors import access_denied
from wafproxy.awsapi.jsonproto import CallContext, CallRecord
from wafproxy.awsapi.params import Params
from wafproxy.awsapi.policy import Policy, RequestContext, load_principal_policies
from wafproxy.control import (
    errors,
    ops_absent,
    ops_acl,
    ops_apikeys,
    ops_assoc,
    ops_extra,
    ops_managed,
    ops_policy,
    ops_sets,
    ops_tags,
)
from wafproxy.control.persist import AuditLog
from wafproxy.control.reloader import Reloader, ReloadFailed
from wafproxy.control.resources import FIELD, Kind, Resource, content_token, new_token
from wafproxy.control.sampler import RequestSampler
from wafproxy.control.store import META_DIR, ResourceStore
from wafproxy.control.ttl import TempEntries
from wafproxy.control.wire import AsyncHandler, waf_json_service

log = logging.getLogger("wafproxy.control")
_READ_PREFIXES = ("Get", "List", "Describe", "Check")


class ControlPlane:
    """The WAFv2 control plane over a ``Reloader`` (which owns the store and the serving ACL)."""

    def __init__(
        self,
        reloader: Reloader,
        *,
        credentials: CredentialStore,
        policies: Mapping[str, Policy] | None = None,
        sampler: RequestSampler | None = None,
        rate_store: Any = None,
        on_logging: Callable[[Any], None] | None = None,
        audit_path: str | Path | None = None,
    ) -> None:
        self.reloader = reloader
        self.credentials = credentials
        self.policies = dict(policies) if policies is not None else None
        self.identity = IdentityAuthorizer(self.policies)
        self.sampler = sampler or RequestSampler()
        self.rate_store = rate_store
        root = reloader.store.root
        self.audit = AuditLog(Path(audit_path) if audit_path else root / META_DIR / "audit.log")
        self.unauthenticated = 0
        reloader.audit = self.audit
        if on_logging is not None:
            reloader.on_logging = on_logging
        reloader.apply_logging()  # a restart applies the persisted configuration again
        operations: dict[str, AsyncHandler] = {}
        modules = (ops_acl, ops_sets, ops_extra, ops_tags, ops_assoc, ops_policy, ops_apikeys, ops_managed,
                   ops_absent)
        for module in modules:
            for name, fn in module.operations(self).items():
                operations[name] = fn
        self.app = waf_json_service(
            credentials=credentials,
            operations=operations,
            on_call=self._on_call,
            default_region=reloader.names.region,
            clock=reloader.clock,
            precheck=lambda ctx: self.identity.precheck(ctx.principal, (f"wafv2:{ctx.operation}",)),
        )

    @classmethod
    def from_files(
        cls,
        reloader: Reloader,
        *,
        credentials: str | Path,
        policy_file: str | Path | None = None,
        **kwargs: Any,
    ) -> ControlPlane:
        """Build from ``--credentials`` and ``--policy-file`` (errors name the file)."""
        store = CredentialStore.load(credentials, account=reloader.names.account)
        policies = None
        if policy_file is not None:
            policies = load_principal_policies(
                Path(policy_file).read_text(encoding="utf-8"), source=str(policy_file)
            )
        return cls(reloader, credentials=store, policies=policies, **kwargs)

    @property
    def on_logging(self) -> Callable[[Any], None] | None:
        """Where a logging configuration goes (``WafLogWriter.reconfigure``); the reloader applies it."""
        return self.reloader.on_logging

    @on_logging.setter
    def on_logging(self, fn: Callable[[Any], None] | None) -> None:
        self.reloader.on_logging = fn

    @property
    def store(self) -> ResourceStore:
        return self.reloader.store

    # ---- authorization and audit ------------------------------------------------------------------

    def authorize(self, ctx: CallContext, resource: str) -> None:
        ctx.resources.append(resource)
        if self.policies is None:
            return
        policy = self.policies.get(ctx.principal.name)
        if policy is not None:
            result = policy.evaluate(
                RequestContext(
                    action=f"wafv2:{ctx.operation}",
                    resource=resource,
                    principal_arn=ctx.principal.arn,
                    account=ctx.principal.account,
                    condition_keys={"aws:sourceip": (ctx.source_ip,)},
                )
            )
            if result.allowed and not result.denied:
                return
        raise access_denied(
            f"User: {ctx.principal.arn} is not authorized to perform: wafv2:{ctx.operation} "
            f"on resource: {resource}"
        )

    def _on_call(self, record: CallRecord) -> None:
        if record.operation.startswith(_READ_PREFIXES):
            return  # the audit log is for changes; reads would drown them
        if record.principal_arn is None:
            # Changed nothing, and an fsync'd line per anonymous request would let anyone fill the
            # disk: counted only (the metric/log of the authentication layer says why).
            self.unauthenticated += 1
            return
        self.audit.record(
            record.principal_arn,
            record.operation,
            ",".join(record.resources) or "-",
            record.error_code or "ok",
        )

    # ---- lookups ----------------------------------------------------------------------------------

    def lookup(self, kind: Kind, params: Params) -> Resource:
        """By ``Name`` + ``Id`` (or ``ARN`` where the operation allows it); WAFNonexistentItem else."""
        arn = params.raw("ARN")
        if params.has("Scope") or not arn:  # an ARN names its scope; GetWebACL may omit Scope then
            check_scope(params)
        if isinstance(arn, str) and arn:
            res = self.store.by_arn(arn)
            if res is None or res.kind != kind:
                raise errors.nonexistent(arn)
            return res
        name = params.str("Name", max_len=128)
        rid = params.str("Id", max_len=36)
        res = self.store.get(kind, name)
        if res is None or res.id != rid:
            raise errors.nonexistent(f"{FIELD[kind]} {name}")
        return res

    def arn_of(self, kind: Kind, name: str) -> str | None:
        res = self.store.get(kind, name)
        return res.arn if res is not None else None

    @staticmethod
    def check_token(res: Resource, params: Params) -> None:
        token = params.str("LockToken", max_len=36)
        if token != res.lock_token:
            raise errors.optimistic_lock()

    # ---- the one change path ----------------------------------------------------------------------

    async def change(
        self,
        *,
        put: Iterable[Resource] = (),
        delete: Iterable[Resource] = (),
        temp: TempEntries | None = None,
        reason: str = "api",
    ) -> None:
        """Compile the candidate, then persist, swap and publish. Caller holds ``reloader.lock``."""
        put, delete = list(put), list(delete)
        store = self.store
        candidate = {(r.kind, r.name): r for r in store.all()}
        for r in delete:
            candidate.pop((r.kind, r.name), None)
        for r in put:
            candidate[(r.kind, r.name)] = r
        acl = next(r for (k, _), r in candidate.items() if k == "webacl")
        try:
            compiled = await self.reloader.compile(acl, list(candidate.values()), temp or store.temp)
        except ReloadFailed as exc:
            kind: Kind = next((r.kind for r in put), "webacl")
            raise errors.invalid(
                FIELD[kind],
                exc.error.path if hasattr(exc.error, "path") else "",
                getattr(exc.error, "reason", str(exc.error)),
            ) from None

        def persist() -> None:
            for r in delete:
                store.delete(r)
            for r in put:
                store.put(r)
            if temp is not None:
                store.temp = temp
                store.save_temp()

        try:
            await asyncio.to_thread(persist)
        except OSError as exc:
            # Disk full, read-only mount…: nothing is swapped; the client is told and may retry.
            log.error("could not persist %s: %s", reason, exc)
            raise errors.WafError(
                "WAFInternalErrorException", "The change could not be persisted.", status=500
            ) from None
        self.reloader.install(compiled, reason)
        await self.reloader.publish()

    def new_version(self, res: Resource, document: Mapping[str, Any]) -> Resource:
        """The next version of ``res``: new content, new lock token (never equal to the old one)."""
        token = new_token()
        while token == res.lock_token or token == content_token(document):
            token = new_token()
        return replace(res, document=dict(document), lock_token=token)


def check_scope(params: Params) -> None:
    scope = params.str("Scope", max_len=16)
    if scope != "REGIONAL":
        raise errors.invalid("SCOPE_VALUE", "Scope", "wafproxy serves one REGIONAL scope")


def check_name(params: Params, field: str, member: str = "Name") -> str:
    """Names become file names: AWS's own ``^[\\w\\-]+$`` (ASCII), 1..128, checked without regex."""
    name = params.str(member, max_len=128)
    if not all(c.isascii() and (c.isalnum() or c in "_-") for c in name):
        raise errors.invalid(field, member, "must match ^[\\w\\-]+$")
    return name


ASGIApp = Callable[[dict[str, Any], Callable[[], Any], Callable[[dict[str, Any]], Any]], Any]


def with_reloader(reloader: Reloader, app: ASGIApp, *, sighup: bool = True) -> ASGIApp:
    """``app`` with ``reloader`` started and stopped by its lifespan (file watch, TTL expiry, Redis,
    SIGHUP). A ``--workers N`` worker wraps its data-path app with a follower
    (``Reloader(..., persist=False)``) this way; ``mount`` uses it for the admin app."""

    async def wrapped(
        scope: dict[str, Any], receive: Callable[[], Any], send: Callable[[dict[str, Any]], Any]
    ) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def lifespan_receive() -> Any:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await reloader.start()
                if sighup:
                    reloader.install_sighup()
            elif message["type"] == "lifespan.shutdown":
                await reloader.stop()
            return message

        await app(scope, lifespan_receive, send)

    return wrapped


def mount(plane: ControlPlane, admin_app: ASGIApp, *, sighup: bool = True) -> ASGIApp:
    """The admin app with the WAFv2 API at ``POST /`` and the reloader tied to the lifespan.

    ``admin = mount(plane, create_admin_app(...))``; run it with ``lifespan="on"`` so the file
    watch, TTL expiry, SIGHUP handler and Redis subscriber start with the server and stop with it.
    ``sighup=False`` when the caller already routes SIGHUP (to ``reloader.reload_from_disk``).
    """

    async def app(
        scope: dict[str, Any], receive: Callable[[], Any], send: Callable[[dict[str, Any]], Any]
    ) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope["method"] == "POST":
            await plane.app(scope, receive, send)
        else:
            await admin_app(scope, receive, send)

    return with_reloader(plane.reloader, app, sighup=sighup)
