"""GuardDuty filters (suppression rules: action ARCHIVE) and threat-intel / trusted IP sets.

``Location`` is a local path or a ``file://`` URL (never fetched over the network). Creating or
updating an active set parses it first: a list that does not parse fails the call with the file
and line, and the lists in force stay as they were.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.detector.criteria import bad_request, matches, validate
from wafproxy.sidecars.detector.findings import Finding
from wafproxy.sidecars.detector.intel import IntelError
from wafproxy.sidecars.detector.resources import MAX_FILTERS, MAX_SETS, SET_KINDS, FilterRecord, ListRecord

if TYPE_CHECKING:
    from wafproxy.sidecars.detector.api import GuardDutyApi

_FORMATS = ("TXT", "STIX", "OTX_CSV")


def auto_archiver(api: GuardDutyApi) -> Callable[[Finding], bool]:
    """Suppression rules: a new finding matching an ARCHIVE filter is archived as it is created."""
    def archive(finding: Finding) -> bool:
        rules = [f for f in api.resources.filters.values() if f.action == "ARCHIVE"]
        if not rules:
            return False
        wire = finding.to_wire(api.detector.info)
        return any(matches(wire, r.criterion) for r in sorted(rules, key=lambda r: r.rank))
    return archive


def routes(api: GuardDutyApi) -> dict[str, tuple[str, str, Callable[..., Any]]]:
    res = api.resources

    def name_of(p: Params, member: str = "name") -> str:
        """A filter's name: 3-64 of [A-Za-z0-9-_.] (FilterName in the model and API reference)."""
        name = p.str(member, max_len=64)
        if len(name) < 3 or not all(c.isascii() and (c.isalnum() or c in "-_.") for c in name):
            raise bad_request(f"{member} must be 3-64 characters of [A-Za-z0-9-_.]")
        return name

    def set_name_of(p: Params) -> str:
        """A list's name (IP set, threat list, entity sets): 1-300 characters (Name in the model),
        "alphanumeric, whitespace, dash (-), and underscores (_)" (the API reference); '.' kept,
        as this API always took it."""
        name = p.str("name", max_len=300)
        if not all(c.isascii() and (c.isalnum() or c in " -_.") for c in name):
            raise bad_request("name must be characters of [A-Za-z0-9 -_.]")
        return name

    def create_filter(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        name = name_of(p)
        if name in res.filters:
            raise bad_request(f"The request is rejected because a filter named {name} already exists.")
        if len(res.filters) >= MAX_FILTERS:
            raise bad_request(f"at most {MAX_FILTERS} filters")
        action = p.str("action", required=False, default="NOOP")
        if action not in ("NOOP", "ARCHIVE"):
            raise bad_request("action must be NOOP or ARCHIVE")
        criterion = validate(p.raw("findingCriteria"))
        res.filters[name] = FilterRecord(name, action, p.int("rank", required=False, default=1, lo=1, hi=100),
                                         criterion, p.str("description", required=False, default="",
                                                          max_len=512), tags=p.str_map("tags"))
        res.changed()
        return {"name": name}

    def get_filter(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        f = _filter(p)
        out = {"name": f.name, "action": f.action, "rank": f.rank,
               "findingCriteria": {"criterion": f.criterion}, "createdAt": f.created_at,
               "updatedAt": f.updated_at, "tags": f.tags}
        if f.description:
            out["description"] = f.description
        return out

    def _filter(p: Params) -> FilterRecord:
        name = p.str("FilterName", max_len=64)
        if name not in res.filters:
            raise bad_request(f"The request is rejected because the filter {name} does not exist.")
        return res.filters[name]

    def update_filter(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        f = _filter(p)
        if p.has("findingCriteria"):
            f.criterion = validate(p.raw("findingCriteria"))
        if p.has("action"):
            action = p.str("action")
            if action not in ("NOOP", "ARCHIVE"):
                raise bad_request("action must be NOOP or ARCHIVE")
            f.action = action
        if p.has("rank"):
            f.rank = p.int("rank", lo=1, hi=100)
        if p.has("description"):
            f.description = p.str("description", max_len=512)
        f.updated_at = time.time()
        res.changed()
        return {"name": f.name}

    def list_filters(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        chunk, token = api.page(sorted(res.filters), p, ctx)
        return {"filterNames": chunk, **({"nextToken": token} if token else {})}

    def delete_filter(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        api.check(ctx, p)
        del res.filters[_filter(p).name]
        res.changed()
        return {}

    def list_ops(kind: str) -> dict[str, tuple[str, str, Callable[..., Any]]]:
        segment, id_member, out_id, plural, op = SET_KINDS[kind]
        base = f"/detector/{{DetectorId}}/{segment}"
        entities = kind.endswith("_entity")

        def apply(candidate: dict[str, ListRecord]) -> None:
            try:
                res.reload(candidate)
            except IntelError as exc:
                raise bad_request(f"The list could not be parsed: {exc}") from None
            res.changed()

        def record(p: Params) -> ListRecord:
            rid = p.str(id_member, max_len=64)
            rec = res.sets.get(rid)
            if rec is None or rec.kind != kind:
                raise bad_request(f"The request is rejected because {id_member} {rid} does not exist.")
            return rec

        def create(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.check(ctx, p)
            fmt = p.str("format", max_len=32)
            if fmt not in _FORMATS:
                raise bad_request(f"format {fmt} is not supported here ({', '.join(_FORMATS)})")
            if len(res.sets) >= MAX_SETS:
                raise bad_request(f"at most {MAX_SETS} sets")
            rec = ListRecord(res.new_id(), kind, set_name_of(p), fmt, p.str("location", max_len=1024),
                             p.bool("activate"), tags=p.str_map("tags"), created_at=time.time())
            rec.updated_at = rec.created_at
            apply({**copy.deepcopy(res.sets), rec.id: rec})
            return {out_id: rec.id}

        def get(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.check(ctx, p)
            rec = record(p)
            out: dict[str, Any] = {"name": rec.name, "format": rec.format, "location": rec.location,
                                   "status": rec.status, "tags": rec.tags}
            if entities:  # the entity sets' model adds their times
                out |= {"createdAt": rec.created_at, "updatedAt": rec.updated_at}
            return out

        def update(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.check(ctx, p)
            candidate = copy.deepcopy(res.sets)
            rec = candidate[record(p).id]
            if p.has("name"):
                rec.name = set_name_of(p)
            if p.has("location"):
                rec.location = p.str("location", max_len=1024)
            if p.has("activate"):
                rec.active = p.bool("activate")
            rec.updated_at = time.time()
            apply(candidate)
            return {}

        def listing(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.check(ctx, p)
            ids = sorted(r.id for r in res.sets.values() if r.kind == kind)
            chunk, token = api.page(ids, p, ctx, hi=50)
            return {plural: chunk, **({"nextToken": token} if token else {})}

        def delete(ctx: CallContext, p: Params) -> Mapping[str, Any]:
            api.check(ctx, p)
            candidate = copy.deepcopy(res.sets)
            del candidate[record(p).id]
            apply(candidate)
            return {}

        return {f"Create{op}": ("POST", base, create), f"Get{op}": ("GET", f"{base}/{{{id_member}}}", get),
                f"Update{op}": ("POST", f"{base}/{{{id_member}}}", update),
                f"List{op}s": ("GET", base, listing),
                f"Delete{op}": ("DELETE", f"{base}/{{{id_member}}}", delete)}

    return {
        "CreateFilter": ("POST", "/detector/{DetectorId}/filter", create_filter),
        "GetFilter": ("GET", "/detector/{DetectorId}/filter/{FilterName}", get_filter),
        "UpdateFilter": ("POST", "/detector/{DetectorId}/filter/{FilterName}", update_filter),
        "ListFilters": ("GET", "/detector/{DetectorId}/filter", list_filters),
        "DeleteFilter": ("DELETE", "/detector/{DetectorId}/filter/{FilterName}", delete_filter),
        **{op: route for kind in SET_KINDS for op, route in list_ops(kind).items()},
    }
