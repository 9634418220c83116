"""Logging configuration, and our IP-set TTL extension (for automatic remediation).

``PutLoggingConfiguration``/``GetLoggingConfiguration`` are the AWS operations; the configuration is
parsed by ``observability.logconfig`` (errors name the field), persisted in ``.wafproxy/logging.json``,
replicated like the documents, and applied live by every process's reloader through ``on_logging``
(``WafLogWriter.reconfigure``).

The extension (documented in docs/control-plane.md; not in botocore's model, so callers sign raw
JSON 1.1 requests, or use ``IPSetWriter`` in-process):
``AddIPSetAddresses`` {Name, Scope, Id, Addresses, TtlSeconds?} — without ``TtlSeconds`` the
addresses join the IP set's ``Addresses``; with it they are temporary entries that expire;
``RemoveIPSetAddresses`` {Name, Scope, Id, Addresses} removes them from both;
``ListIPSetTemporaryAddresses`` {Name, Scope, Id} → {Entries: [{Address, ExpiresAt}]}.
No ``LockToken``: adding or removing single addresses commutes, so concurrent remediations do not
need to retry; each still changes the IP set's lock token when it changes ``Addresses``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.control import errors
from wafproxy.control.resources import Resource
from wafproxy.control.ttl import MAX_TTL_SECONDS, TempEntries, TempEntriesFull, normalize_cidr
from wafproxy.observability.errors import LoggingConfigError
from wafproxy.observability.logconfig import parse_logging_configuration

if TYPE_CHECKING:
    from wafproxy.control.plane import ControlPlane
    from wafproxy.control.wire import AsyncHandler

MAX_ADDRESSES_PER_CALL = 1000


def _copy(temp: TempEntries) -> TempEntries:
    return TempEntries.from_json(json.loads(temp.dump()))


def _cidrs(res: Resource, addresses: list[str], member: str = "Addresses") -> list[str]:
    version = str(res.document.get("IPAddressVersion", "IPV4"))
    out = []
    for i, a in enumerate(addresses):
        try:
            out.append(normalize_cidr(a, version))
        except ValueError:
            raise errors.invalid(
                "IP_ADDRESS", f"{member}[{i}]", f"not an {version} address or CIDR"
            ) from None
    return out


async def add_addresses(plane: ControlPlane, res: Resource, cidrs: list[str], ttl: float | None) -> Resource:
    """Caller holds the reloader lock. Returns the IP set as it is afterwards."""
    if ttl is None:
        current = list(res.document.get("Addresses") or [])
        fresh = [c for c in cidrs if c not in current]
        if not fresh:
            return res
        new = plane.new_version(res, {**res.document, "Addresses": current + fresh})
        await plane.change(put=[new], reason="AddIPSetAddresses")
        return new
    temp = _copy(plane.store.temp)
    try:
        temp.add(res.name, cidrs, plane.reloader.clock() + ttl)
    except TempEntriesFull as exc:
        raise errors.limits(str(exc)) from None
    await plane.change(temp=temp, reason="AddIPSetAddresses")
    return res


async def remove_addresses(plane: ControlPlane, res: Resource, cidrs: list[str]) -> Resource:
    current = list(res.document.get("Addresses") or [])
    kept = [c for c in current if c not in set(cidrs)]
    temp = _copy(plane.store.temp)
    removed_temp = temp.remove(res.name, cidrs)
    if len(kept) == len(current) and not removed_temp:
        return res
    new = plane.new_version(res, {**res.document, "Addresses": kept}) if len(kept) != len(current) else res
    await plane.change(
        put=[new] if new is not res else [],
        temp=temp if removed_temp else None,
        reason="RemoveIPSetAddresses",
    )
    return new


class ControlPlaneIPSetWriter:
    """``ports.IPSetWriter`` over the control plane, for sidecars running in-process."""

    def __init__(self, plane: ControlPlane, who: str = "sidecar") -> None:
        self.plane = plane
        self.who = who

    def _res(self, ip_set: str) -> Resource:
        res = self.plane.store.get("ipset", ip_set)
        if res is None:
            raise errors.nonexistent(f"IP_SET {ip_set}")
        return res

    async def add_addresses(self, ip_set: str, cidrs: list[str], ttl_seconds: float | None) -> None:
        async with self.plane.reloader.lock:
            res = self._res(ip_set)
            await add_addresses(self.plane, res, _cidrs(res, cidrs), ttl_seconds)
        self.plane.audit.record(
            self.who, "AddIPSetAddresses", res.arn, "ok", f"{len(cidrs)} addresses, ttl {ttl_seconds}"
        )

    async def remove_addresses(self, ip_set: str, cidrs: list[str]) -> None:
        async with self.plane.reloader.lock:
            res = self._res(ip_set)
            await remove_addresses(self.plane, res, _cidrs(res, cidrs))
        self.plane.audit.record(self.who, "RemoveIPSetAddresses", res.arn, "ok", f"{len(cidrs)} addresses")


def operations(plane: ControlPlane) -> dict[str, AsyncHandler]:
    async def put_logging(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        raw = p.raw("LoggingConfiguration")
        if not isinstance(raw, dict):
            raise errors.invalid("LOGGING_FILTER", "LoggingConfiguration", "must be an object")
        arn = raw.get("ResourceArn")
        acl = plane.store.web_acl
        if arn != acl.arn:
            raise errors.nonexistent(f"RESOURCE_ARN {arn}")
        plane.authorize(ctx, acl.arn)
        try:
            parse_logging_configuration(raw)  # validate before anything is stored
        except LoggingConfigError as exc:
            field = (
                "LOGGING_FILTER"
                if "LoggingFilter" in exc.path
                else "LOG_DESTINATION"
                if "Destination" in exc.path
                else "FILTER_CONDITION"
            )
            raise errors.invalid(field, exc.path, exc.message) from None
        stored = {"LogType": "WAF_LOGS", "LogScope": "CUSTOMER", **raw}
        async with plane.reloader.lock:
            await asyncio.to_thread(plane.store.set_logging, stored)
            plane.reloader.apply_logging()
            plane.reloader.remember_files()
            await plane.reloader.publish()
        return {"LoggingConfiguration": stored}

    async def get_logging(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        arn = p.str("ResourceArn", max_len=2048)
        plane.authorize(ctx, arn)
        config = plane.store.logging_config
        if arn != plane.store.web_acl.arn or config is None:
            raise errors.nonexistent(f"logging configuration for {arn}")
        return {"LoggingConfiguration": config}

    async def add(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        ttl = p.int("TtlSeconds", required=False, lo=1, hi=MAX_TTL_SECONDS)
        addresses = p.str_list("Addresses", required=True, max_items=MAX_ADDRESSES_PER_CALL)
        async with plane.reloader.lock:
            res = plane.lookup("ipset", p)
            plane.authorize(ctx, res.arn)
            res = await add_addresses(plane, res, _cidrs(res, addresses), ttl)
        return {"NextLockToken": res.lock_token}

    async def remove(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        addresses = p.str_list("Addresses", required=True, max_items=MAX_ADDRESSES_PER_CALL)
        async with plane.reloader.lock:
            res = plane.lookup("ipset", p)
            plane.authorize(ctx, res.arn)
            res = await remove_addresses(plane, res, _cidrs(res, addresses))
        return {"NextLockToken": res.lock_token}

    async def list_temp(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        res = plane.lookup("ipset", p)
        plane.authorize(ctx, res.arn)
        now = plane.reloader.clock()
        entries = [
            {"Address": c, "ExpiresAt": t}
            for c, t in sorted(plane.store.temp.entries(res.name).items())
            if t > now
        ]
        return {"Entries": entries}

    return {
        "PutLoggingConfiguration": put_logging,
        "GetLoggingConfiguration": get_logging,
        "AddIPSetAddresses": add,
        "RemoveIPSetAddresses": remove,
        "ListIPSetTemporaryAddresses": list_temp,
    }
