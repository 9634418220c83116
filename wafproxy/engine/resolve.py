"""Resolving references (ARN or name) to the documents a web ACL uses.

The engine does no I/O: ``aclfiles`` reads the files and hands the parsed documents to a
``DocumentIndex``; compilation asks it by ARN, or by the name inside the ARN
(``arn:aws:wafv2:…:regional/ipset/<name>/<id>``), or by bare name. Managed rule groups are
found by (vendor, name).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from wafproxy.engine.doc import Node
from wafproxy.engine.errors import WebAclError
from wafproxy.engine.model import (
    IPSet,
    RegexPatternSet,
    RuleGroup,
    classify,
    parse_ip_set,
    parse_regex_pattern_set,
    parse_rule_group,
)


class Resolver(Protocol):
    def ip_set(self, ref: str) -> IPSet | None: ...

    def regex_pattern_set(self, ref: str) -> RegexPatternSet | None: ...

    def rule_group(self, ref: str) -> RuleGroup | None: ...

    def managed_rule_group(self, vendor: str, name: str, version: str) -> RuleGroup | None: ...


def arn_name(ref: str) -> str:
    """``arn:aws:wafv2:us-east-1:123:regional/ipset/blocked/abc-123`` -> ``blocked``."""
    if ref.startswith("arn:"):
        parts = ref.split(":", 5)[-1].split("/")
        if len(parts) >= 3:
            return parts[2]
        return parts[-1]
    return ref


_arn_name = arn_name


@dataclass(slots=True)
class DocumentIndex:
    """IP sets, regex pattern sets and rule groups by ARN and by name (built at load time)."""

    ip_sets: dict[str, IPSet] = field(default_factory=dict)
    regex_sets: dict[str, RegexPatternSet] = field(default_factory=dict)
    rule_groups: dict[str, RuleGroup] = field(default_factory=dict)
    managed: dict[tuple[str, str], RuleGroup] = field(default_factory=dict)

    def add_document(self, document: object, source: str = "", *, managed: bool = False) -> str:
        """Index one parsed file; returns its kind. WebACL documents are ignored here."""
        try:
            kind, node = classify(document)
            if kind == "IPSet":
                self._put(self.ip_sets, parse_ip_set(node))
            elif kind == "RegexPatternSet":
                self._put(self.regex_sets, parse_regex_pattern_set(node))
            elif kind == "RuleGroup":
                group = replace(parse_rule_group(node), source=source)
                self._put(self.rule_groups, group)
                if managed:
                    self.managed[(group.vendor or "AWS", group.name)] = group
            return kind
        except WebAclError as exc:
            raise exc.with_source(source) from None

    @staticmethod
    def _put(table: dict[str, Any], doc: IPSet | RegexPatternSet | RuleGroup) -> None:
        table.setdefault(doc.name, doc)
        if doc.arn:
            table[doc.arn] = doc

    def ip_set(self, ref: str) -> IPSet | None:
        return self.ip_sets.get(ref) or self.ip_sets.get(_arn_name(ref))

    def regex_pattern_set(self, ref: str) -> RegexPatternSet | None:
        return self.regex_sets.get(ref) or self.regex_sets.get(_arn_name(ref))

    def rule_group(self, ref: str) -> RuleGroup | None:
        return self.rule_groups.get(ref) or self.rule_groups.get(_arn_name(ref))

    def managed_rule_group(self, vendor: str, name: str, version: str) -> RuleGroup | None:
        return self.managed.get((vendor, name))


def index_of(documents: Iterable[tuple[str, object]]) -> DocumentIndex:
    """A ``DocumentIndex`` over (source, document) pairs, e.g. for tests."""
    index = DocumentIndex()
    for source, doc in documents:
        index.add_document(doc, source)
    return index


EMPTY = DocumentIndex()
__all__ = ["DocumentIndex", "Node", "Resolver", "arn_name", "index_of", "EMPTY"]
