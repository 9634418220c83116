"""The referenced WAFv2 documents: ``IPSet``, ``RegexPatternSet``, ``RuleGroup``.

Each file holds one document, bare or wrapped as ``aws wafv2 get-…`` prints it
(``{"IPSet": {…}, "LockToken": "…"}``); ``unwrap`` accepts both. Parsing validates the shape as
botocore's wafv2 model defines it; the rules of a ``RuleGroup`` stay a ``Node`` and are compiled in
the context of the web ACL that references the group (labels, bodies, limits).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Literal

from wafproxy.engine.doc import Node

MAX_ADDRESSES = 10_000_000
DocKind = Literal["WebACL", "RuleGroup", "IPSet", "RegexPatternSet"]
_WRAPPERS: tuple[DocKind, ...] = ("WebACL", "RuleGroup", "IPSet", "RegexPatternSet")
# Output-only members of the get-* responses besides the document itself.
_WRAPPER_EXTRAS = frozenset({"LockToken", "ApplicationIntegrationURL"})


@dataclass(frozen=True, slots=True)
class IPSet:
    name: str
    arn: str
    version: Literal["IPV4", "IPV6"]
    addresses: tuple[str, ...]  # CIDRs, normalised (``10.0.0.0/8``)


@dataclass(frozen=True, slots=True)
class RegexPatternSet:
    name: str
    arn: str
    patterns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleGroup:
    """A rule group document; ``rules`` is compiled by the web ACL that references it."""

    name: str
    arn: str
    capacity: int | None
    label_namespace: str
    rules: Node
    custom_response_bodies: Node | None
    vendor: str = ""  # "AWS" etc. for managed groups shipped in ``rules/managed/``
    version: str = ""
    source: str = ""  # the file it came from, for error messages


def classify(document: object) -> tuple[DocKind, Node]:
    """What a file holds and the bare document node (``$.IPSet`` when it was wrapped)."""
    root = Node(document)
    if isinstance(document, dict):
        wrapped = [k for k in _WRAPPERS if k in document]
        if len(wrapped) == 1 and set(document) - {wrapped[0]} <= _WRAPPER_EXTRAS:
            return wrapped[0], root.at(wrapped[0])
        if "Addresses" in document or "IPAddressVersion" in document:
            return "IPSet", root
        if "RegularExpressionList" in document:
            return "RegexPatternSet", root
        if "DefaultAction" in document:
            return "WebACL", root
        if "Rules" in document or "Capacity" in document:
            return "RuleGroup", root
    root.fail("not a WebACL, RuleGroup, IPSet or RegexPatternSet document")


def parse_ip_set(node: Node) -> IPSet:
    d = node.obj(
        required=("Name", "IPAddressVersion", "Addresses"),
        optional=("Id", "ARN", "Description", "Scope", "Tags"),
    )
    name = node.at("Name").name()
    version = node.at("IPAddressVersion").enum(("IPV4", "IPV6"))
    addresses = node.at("Addresses")
    if not isinstance(addresses.value, list):
        addresses.fail("expected a list of CIDRs")
    if len(addresses.value) > MAX_ADDRESSES:
        addresses.fail(f"more than {MAX_ADDRESSES} addresses")
    family = socket.AF_INET if version == "IPV4" else socket.AF_INET6
    cidrs: list[str] = []
    for i, text in enumerate(addresses.value):
        # The fast path (inet_pton, no objects per entry) keeps a million-entry set loading in seconds.
        cidr = normalize_cidr(text, family) if isinstance(text, str) else None
        if cidr is None:
            item = Node(text, f"{addresses.path}[{i}]")
            item.str_(1, 50)
            item.fail(f"{text!r} is not an {version} address or CIDR")
        cidrs.append(cidr)
    return IPSet(name, _str(d.get("ARN")), version, tuple(cidrs))  # type: ignore[arg-type]


def normalize_cidr(text: str, family: int) -> str | None:
    """``10.1.2.3/8`` -> ``10.0.0.0/8`` (host bits cleared, as AWS stores it); None when invalid."""
    addr, slash, plen = text.partition("/")
    bits = 32 if family == socket.AF_INET else 128
    if slash:
        if not plen.isdigit() or len(plen) > 3 or int(plen) > bits:
            return None
        prefix = int(plen)
    else:
        prefix = bits
    try:
        packed = socket.inet_pton(family, addr)
    except (OSError, ValueError):
        return None
    if prefix < bits:
        value = int.from_bytes(packed, "big") & ~((1 << (bits - prefix)) - 1)
        packed = value.to_bytes(bits // 8, "big")
    return f"{socket.inet_ntop(family, packed)}/{prefix}"


def parse_regex_pattern_set(node: Node) -> RegexPatternSet:
    d = node.obj(
        required=("Name", "RegularExpressionList"), optional=("Id", "ARN", "Description", "Scope", "Tags")
    )
    patterns = []
    for item in node.at("RegularExpressionList").items(min_len=1):
        item.obj(required=("RegexString",))
        patterns.append(item.at("RegexString").str_(1, 512))
    return RegexPatternSet(node.at("Name").name(), _str(d.get("ARN")), tuple(patterns))


def parse_rule_group(node: Node) -> RuleGroup:
    d = node.obj(
        required=("Name",),
        optional=(
            "Id",
            "ARN",
            "Capacity",
            "Description",
            "Rules",
            "VisibilityConfig",
            "LabelNamespace",
            "CustomResponseBodies",
            "AvailableLabels",
            "ConsumedLabels",
            "Scope",
            "Tags",
            "VendorName",
            "Version",
        ),
    )
    name = node.at("Name").name()
    cap = node.opt("Capacity")
    ns_node = node.opt("LabelNamespace")
    namespace = ns_node.str_(1, 1024) if ns_node else ""
    if namespace and not namespace.endswith(":"):
        namespace += ":"
    rules = node.opt("Rules") or Node([], f"{node.path}.Rules")
    rules.items()
    return RuleGroup(
        name=name,
        arn=_str(d.get("ARN")),
        capacity=cap.int_(1) if cap else None,
        label_namespace=namespace,
        rules=rules,
        custom_response_bodies=node.opt("CustomResponseBodies"),
        vendor=_str(d.get("VendorName")),
        version=_str(d.get("Version")),
    )


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""
