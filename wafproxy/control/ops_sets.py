"""Create/Get/Update/List/Delete for ``IPSet``, ``RegexPatternSet`` and ``RuleGroup``.

One table (``SPECS``) says, per kind, which request members form the document on create and which
ones an update replaces; the handlers are shared. A document is validated by the engine's own
parser before anything else (errors name the JSON path), a rule group additionally by compiling it
in a one-rule web ACL, and then the whole web ACL is recompiled with the candidate (``change``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.control import errors
from wafproxy.control.ops_tags import checked_tags
from wafproxy.control.plane_util import paginate, synthetic_acl
from wafproxy.control.resources import FIELD, SUBDIR, WRAPPER, Kind, Resource, content_token
from wafproxy.control.wireforms import from_wire, qualify_refs, to_wire
from wafproxy.engine.doc import Node
from wafproxy.engine.errors import WebAclError
from wafproxy.engine.model import parse_ip_set, parse_regex_pattern_set, parse_rule_group

if TYPE_CHECKING:
    from wafproxy.control.plane import ControlPlane
    from wafproxy.control.wire import AsyncHandler


@dataclass(frozen=True, slots=True)
class KindSpec:
    kind: Kind
    suffix: str  # "IPSet" → CreateIPSet, GetIPSet, …
    list_key: str  # ListIPSets → "IPSets"
    create: tuple[str, ...]  # request members that form the document
    update: tuple[str, ...]  # members an Update replaces (absent → removed, as AWS does)
    parse: Any


SPECS: tuple[KindSpec, ...] = (
    KindSpec(
        "ipset",
        "IPSet",
        "IPSets",
        ("Description", "IPAddressVersion", "Addresses", "Tags"),
        ("Description", "Addresses"),
        parse_ip_set,
    ),
    KindSpec(
        "regexpatternset",
        "RegexPatternSet",
        "RegexPatternSets",
        ("Description", "RegularExpressionList", "Tags"),
        ("Description", "RegularExpressionList"),
        parse_regex_pattern_set,
    ),
    KindSpec(
        "rulegroup",
        "RuleGroup",
        "RuleGroups",
        ("Capacity", "Description", "Rules", "VisibilityConfig", "CustomResponseBodies", "Tags"),
        ("Description", "Rules", "VisibilityConfig", "CustomResponseBodies"),
        parse_rule_group,
    ),
)
# AWS's default quotas per account and region; here they bound the files and the compile cost.
MAX_PER_KIND = 100
MAX_ADDRESSES = 10_000
_REF_KEYS = {
    "ipset": "IPSetReferenceStatement",
    "regexpatternset": "RegexPatternSetReferenceStatement",
    "rulegroup": "RuleGroupReferenceStatement",
}


def _validate(spec: KindSpec, doc: Mapping[str, Any]) -> None:
    addresses = doc.get("Addresses")
    if isinstance(addresses, list) and len(addresses) > MAX_ADDRESSES:
        raise errors.limits(f"an IP set holds at most {MAX_ADDRESSES} addresses")
    try:
        spec.parse(Node(dict(doc), "$"))
    except WebAclError as exc:
        raise errors.invalid(FIELD[spec.kind], exc.path, exc.reason) from None


def _references(value: Any, key: str) -> Iterator[str]:
    """Every ``ARN`` under a ``key`` reference statement, anywhere in a document."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key and isinstance(v, dict) and isinstance(v.get("ARN"), str):
                yield v["ARN"]
            else:
                yield from _references(v, key)
    elif isinstance(value, list):
        for v in value:
            yield from _references(v, key)


def referenced_by(plane: ControlPlane, res: Resource) -> str | None:
    """The ARN of the web ACL or rule group that references ``res``, if any."""
    for other in plane.store.all():
        for ref in _references(other.document.get("Rules"), _REF_KEYS[res.kind]):
            if ref in (res.arn, res.name) or (ref.startswith("arn:") and ref.split("/")[-2:-1] == [res.name]):
                return other.arn
    return None


async def _check_group(plane: ControlPlane, res: Resource) -> None:
    """Compile a rule group inside a one-rule web ACL, so its rules are validated now, not later."""
    others = [r for r in plane.store.all() if (r.kind, r.name) != ("rulegroup", res.name)] + [res]
    acl = synthetic_acl(
        plane,
        [
            {
                "Name": "check",
                "Priority": 0,
                "OverrideAction": {"None": {}},
                "Statement": {"RuleGroupReferenceStatement": {"ARN": res.arn}},
                "VisibilityConfig": _vis("check"),
            }
        ],
    )
    try:
        await asyncio.to_thread(
            plane.reloader.compiler.compile, acl, others, plane.store.temp, plane.reloader.clock()
        )
    except WebAclError as exc:
        path = exc.path.replace("$.Rules[0].Statement.RuleGroupReferenceStatement", "$")
        raise errors.invalid("RULE_GROUP", path, exc.reason) from None


def _vis(name: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": name}


def _get_shape(plane: ControlPlane, res: Resource) -> dict[str, Any]:
    # Tags live in the document (ops_tags) but are no member of IPSet/RegexPatternSet/RuleGroup.
    shown = {k: v for k, v in res.document.items() if k != "Tags"}
    doc: dict[str, Any] = qualify_refs(to_wire(shown), plane.arn_of)
    if res.kind == "rulegroup":
        doc.setdefault("LabelNamespace", f"awswaf:{plane.reloader.names.account}:rulegroup:{res.name}:")
    return doc


def operations(plane: ControlPlane) -> dict[str, AsyncHandler]:
    from wafproxy.control.plane import check_name, check_scope

    out: dict[str, AsyncHandler] = {}
    for spec in SPECS:

        def make(spec: KindSpec = spec) -> dict[str, AsyncHandler]:
            kind = spec.kind

            async def create(ctx: CallContext, p: Params) -> Mapping[str, Any]:
                check_scope(p)
                name = check_name(p, FIELD[kind])
                plane.authorize(ctx, plane.reloader.names.arn_pattern(kind, name))
                rid = str(uuid.uuid4())  # a re-created set is a new resource, as in AWS
                async with plane.reloader.lock:
                    if plane.store.get(kind, name) is not None:
                        raise errors.duplicate(f"{WRAPPER[kind]} {name}")
                    if len(plane.store.all(kind)) >= MAX_PER_KIND:
                        raise errors.limits(f"at most {MAX_PER_KIND} {spec.list_key}")
                    arn = plane.reloader.names.arn(kind, name, rid)
                    doc: dict[str, Any] = {"Name": name, "Id": rid, "ARN": arn}
                    doc.update({k: from_wire(p.raw(k)) for k in spec.create if p.raw(k) is not None})
                    if "Tags" in doc:  # kept with the document (TagResource, ListTagsForResource)
                        doc["Tags"] = checked_tags(doc["Tags"])
                    _validate(spec, doc)
                    res = Resource(
                        kind, name, rid, arn, content_token(doc), doc, str(plane.store.path_for(kind, name))
                    )
                    if kind == "rulegroup":
                        await _check_group(plane, res)
                    await plane.change(put=[res], reason=f"Create{spec.suffix}")
                ctx.resources[-1] = arn
                return {"Summary": res.summary()}

            async def get(ctx: CallContext, p: Params) -> Mapping[str, Any]:
                res = plane.lookup(kind, p)
                plane.authorize(ctx, res.arn)
                return {WRAPPER[kind]: _get_shape(plane, res), "LockToken": res.lock_token}

            async def update(ctx: CallContext, p: Params) -> Mapping[str, Any]:
                async with plane.reloader.lock:
                    res = plane.lookup(kind, p)
                    plane.authorize(ctx, res.arn)
                    plane.check_token(res, p)
                    doc = {k: v for k, v in res.document.items() if k not in spec.update}
                    doc.update({k: from_wire(p.raw(k)) for k in spec.update if p.raw(k) is not None})
                    _validate(spec, doc)
                    new = plane.new_version(res, doc)
                    if kind == "rulegroup":
                        await _check_group(plane, new)
                    await plane.change(put=[new], reason=f"Update{spec.suffix}")
                return {"NextLockToken": new.lock_token}

            async def delete(ctx: CallContext, p: Params) -> Mapping[str, Any]:
                async with plane.reloader.lock:
                    res = plane.lookup(kind, p)
                    plane.authorize(ctx, res.arn)
                    plane.check_token(res, p)
                    user = referenced_by(plane, res)
                    if user is not None:
                        raise errors.associated(f"{res.arn} is referenced by {user}")
                    await plane.change(delete=[res], reason=f"Delete{spec.suffix}")
                return {}

            async def list_(ctx: CallContext, p: Params) -> Mapping[str, Any]:
                check_scope(p)
                plane.authorize(ctx, plane.reloader.names.arn_pattern(kind))
                items, marker = paginate([r.summary() for r in plane.store.all(kind)], p, ctx.operation)
                return {**({"NextMarker": marker} if marker else {}), spec.list_key: items}

            return {
                f"Create{spec.suffix}": create,
                f"Get{spec.suffix}": get,
                f"Update{spec.suffix}": update,
                f"Delete{spec.suffix}": delete,
                f"List{spec.list_key}": list_,
            }

        out.update(make())
    assert SUBDIR  # new documents go to ``SUBDIR[kind]`` (see ResourceStore.path_for)
    return out
