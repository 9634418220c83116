"""From the store's documents to a ``CompiledWebACL``, without touching the files.

The control plane validates a change by compiling the candidate set of documents *before* it
persists anything: an ``UpdateIPSet`` that would break the ACL is refused with the compile error,
and the old ACL keeps serving. Temporary IP-set entries that have not expired are merged into their
IP set here, so an expiry is just a recompile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wafproxy.aclfiles import MANAGED_DIR, read_document
from wafproxy.control.resources import Resource
from wafproxy.control.store import _walk
from wafproxy.control.ttl import TempEntries
from wafproxy.engine.compiler import CompiledWebACL, compile_web_acl
from wafproxy.engine.errors import WebAclError
from wafproxy.engine.model import RuleGroup, classify, parse_rule_group
from wafproxy.engine.patterngroups import PatternSetCache
from wafproxy.engine.resolve import DocumentIndex


@dataclass(frozen=True, slots=True)
class ManagedGroup:
    """One shipped managed rule group (``rules/managed/``), for List/DescribeManagedRuleGroup."""

    vendor: str
    name: str
    description: str
    group: RuleGroup
    document: Mapping[str, Any]


def load_managed(managed_dir: Path | None) -> tuple[ManagedGroup, ...]:
    if managed_dir is None or not managed_dir.is_dir():
        return ()
    out: list[ManagedGroup] = []
    for path in _walk(managed_dir):
        raw = read_document(path)
        try:
            kind, node = classify(raw)
        except WebAclError:
            continue
        if kind != "RuleGroup" or not isinstance(node.value, dict):
            continue
        try:
            group = parse_rule_group(node)
        except WebAclError as exc:
            raise exc.with_source(str(path)) from None
        out.append(
            ManagedGroup(
                group.vendor or "AWS", group.name, str(node.value.get("Description", "")), group, node.value
            )
        )
    return tuple(sorted(out, key=lambda g: (g.vendor, g.name)))


@dataclass(slots=True)
class Compiler:
    """Compiles candidate document sets; holds what is loaded once (managed groups, GeoIP)."""

    account: str = "123456789012"
    managed_dir: Path | None = MANAGED_DIR
    geo_database: Path | None = None
    asn_database: Path | None = None
    _managed: tuple[ManagedGroup, ...] | None = field(default=None, repr=False)
    _geo: Any = field(default=None, repr=False)
    _asn: Any = field(default=None, repr=False)
    _opened: bool = field(default=False, repr=False)
    # Reloads reuse compiled pattern sets (a changed IP set must not rebuild every automaton).
    _patterns: PatternSetCache = field(default_factory=PatternSetCache, repr=False)

    @property
    def managed(self) -> tuple[ManagedGroup, ...]:
        if self._managed is None:
            self._managed = load_managed(self.managed_dir)
        return self._managed

    def _databases(self) -> tuple[Any, Any]:
        if not self._opened:
            from wafproxy.aclfiles import open_mmdb

            self._geo = open_mmdb(self.geo_database)
            self._asn = open_mmdb(self.asn_database) if self.asn_database is not None else None
            self._opened = True
        return self._geo, self._asn

    def index(self, resources: Iterable[Resource], temp: TempEntries, now: float) -> DocumentIndex:
        index = DocumentIndex()
        for g in self.managed:
            index.managed[(g.vendor, g.name)] = g.group
        for res in resources:
            if res.kind == "webacl":
                continue
            doc = dict(res.document)
            if res.kind == "ipset":
                extra = [c for c in temp.active(res.name, now) if c not in doc.get("Addresses", [])]
                if extra:
                    doc["Addresses"] = [*doc.get("Addresses", []), *extra]
            index.add_document(doc, res.path)
        return index

    def compile(
        self,
        acl: Resource,
        resources: Iterable[Resource],
        temp: TempEntries,
        now: float,
        *,
        max_capacity: int | None = None,
    ) -> CompiledWebACL:
        """Raises ``WebAclError`` naming the file and JSON path of the first problem."""
        geo, asn = self._databases()
        return compile_web_acl(
            dict(acl.document),
            resolver=self.index(resources, temp, now),
            source=acl.path,
            account=self.account,
            geo=geo,
            asn=asn,
            max_capacity=max_capacity,
            pattern_cache=self._patterns,
        )
