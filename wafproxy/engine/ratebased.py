"""``RateBasedStatement``: parsed and validated here, keyed at evaluation; counting lives elsewhere.

At evaluation the engine computes the aggregate key of a request (IP, FORWARDED_IP, CUSTOM_KEYS or
CONSTANT) and yields a ``RateCheck``; the driver answers whether the key is over its limit.
IPv6 clients are aggregated by prefix (``ipv6_prefix``, /64 by default): one host usually owns a
whole /64, so per-address keys would let it rotate addresses past any limit.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass

from wafproxy.engine.context import EvalContext
from wafproxy.engine.doc import Node
from wafproxy.engine.fields import FieldSpec
from wafproxy.engine.nodes import Stmt
from wafproxy.engine.slots import Slot
from wafproxy.engine.sourceip import ForwardedIP, parse_forwarded, source_ips
from wafproxy.engine.statements import CompileContext, compile_statement, parse_chain

# AWS accepts Limit >= 10 and windows of 60/120/300/600 s because its counting is approximate.
# Ours is exact from L = 1 (docs/ratelimit.md), so any limit >= 1 and any window of 1..3600 s is
# accepted as a documented extension (issue 5); AWS's values keep their meaning.
AWS_WINDOWS = (60, 120, 300, 600)
MIN_LIMIT, MAX_WINDOW = 1, 3600
KEY_TYPES = ("IP", "FORWARDED_IP", "CUSTOM_KEYS", "CONSTANT")
MAX_KEY_CHARS = 256  # longer composite keys are hashed: attacker-chosen header values stay bounded
_SEP = "\x1f"


@dataclass(frozen=True, slots=True)
class CustomKey:
    kind: str  # IP, ForwardedIP, LabelNamespace, or a field read through ``slot``
    slot: Slot | None = None
    namespace: str = ""


@dataclass(frozen=True, slots=True)
class RateSpec:
    limit: int
    window_seconds: int
    key_type: str
    scope_down: Stmt | None
    forwarded: ForwardedIP | None
    custom_keys: tuple[CustomKey, ...]
    ipv6_prefix: int


def parse_rate_based(node: Node, cc: CompileContext, ipv6_prefix: int) -> tuple[RateSpec, int]:
    node.obj(
        required=("Limit", "AggregateKeyType"),
        optional=("EvaluationWindowSec", "ScopeDownStatement", "ForwardedIPConfig", "CustomKeys"),
    )
    limit = node.at("Limit").int_(MIN_LIMIT, 2_000_000_000)
    win = node.opt("EvaluationWindowSec")
    window = win.int_(1, MAX_WINDOW) if win else 300
    key_type = node.at("AggregateKeyType").enum(KEY_TYPES)
    scope_node = node.opt("ScopeDownStatement")
    scope_down, cost = compile_statement(scope_node, cc) if scope_node else (None, 0)
    fwd_node = node.opt("ForwardedIPConfig")
    forwarded = parse_forwarded(fwd_node, with_position=False) if fwd_node else None
    keys_node = node.opt("CustomKeys")
    if key_type == "FORWARDED_IP" and forwarded is None:
        node.fail("AggregateKeyType FORWARDED_IP requires ForwardedIPConfig")
    if key_type == "CONSTANT" and scope_down is None:
        node.fail("AggregateKeyType CONSTANT requires a ScopeDownStatement")
    if key_type == "CUSTOM_KEYS" and keys_node is None:
        node.fail("AggregateKeyType CUSTOM_KEYS requires CustomKeys")
    if key_type != "CUSTOM_KEYS" and keys_node is not None:
        keys_node.fail(f"CustomKeys is only valid with AggregateKeyType CUSTOM_KEYS, not {key_type}")
    keys = tuple(_custom_key(k, cc) for k in keys_node.items(1, 5)) if keys_node else ()
    if any(k.kind == "ForwardedIP" for k in keys) and forwarded is None:
        node.fail("a ForwardedIP custom key requires ForwardedIPConfig")
    if forwarded is not None and key_type in ("IP", "CONSTANT"):
        assert fwd_node is not None
        fwd_node.fail(f"ForwardedIPConfig is not used with AggregateKeyType {key_type}")
    spec = RateSpec(limit, window, key_type, scope_down, forwarded, keys, ipv6_prefix)
    return spec, 2 + cost + 30 * len(keys)


_FIELD_KEYS = {
    "Header": lambda name: FieldSpec("SingleHeader", name=name),
    "Cookie": lambda name: FieldSpec("Cookies", scope="VALUE", included=(name,), oversize="CONTINUE"),
    "QueryArgument": lambda name: FieldSpec("SingleQueryArgument", name=name),
}


def _custom_key(node: Node, cc: CompileContext) -> CustomKey:
    kind, inner = node.one_of(
        (
            "Header",
            "Cookie",
            "QueryArgument",
            "QueryString",
            "HTTPMethod",
            "ForwardedIP",
            "IP",
            "LabelNamespace",
            "UriPath",
            "JA3Fingerprint",
            "JA4Fingerprint",
        )
    )
    if kind in _FIELD_KEYS:
        inner.obj(required=("Name", "TextTransformations"))
        name = inner.at("Name").str_(1, 64).lower()
        return CustomKey(
            kind, cc.slots.get(_FIELD_KEYS[kind](name), parse_chain(inner.at("TextTransformations")))
        )
    if kind in ("QueryString", "UriPath"):
        inner.obj(required=("TextTransformations",))
        return CustomKey(kind, cc.slots.get(FieldSpec(kind), parse_chain(inner.at("TextTransformations"))))
    if kind in ("JA3Fingerprint", "JA4Fingerprint"):
        inner.obj(required=("FallbackBehavior",))
        fb = inner.at("FallbackBehavior").enum(("MATCH", "NO_MATCH"))
        return CustomKey(kind, cc.slots.get(FieldSpec(kind, fallback=fb), ()))
    if kind == "LabelNamespace":
        inner.obj(required=("Namespace",))
        ns = inner.at("Namespace").str_(1, 1024)
        if not ns.endswith(":"):
            inner.at("Namespace").fail(f"a label namespace must end with ':', got {ns!r}")
        # like LabelMatchStatement keys: relative to the rule's context unless fully qualified
        return CustomKey(kind, namespace=ns if ns.startswith("awswaf:") else cc.namespace + ns)
    inner.empty_obj()
    return CustomKey(kind, cc.slots.get(FieldSpec("Method"), ()) if kind == "HTTPMethod" else None)


def _ip_key(ip: str, prefix: int) -> str:
    addr = ipaddress.ip_address(ip)
    if addr.version == 6 and prefix < 128:
        return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
    return ip


def rate_key(spec: RateSpec, ctx: EvalContext) -> str | bool:
    """The aggregate key; True/False when a fallback decides; False when a key part is missing."""
    if spec.key_type == "CONSTANT":
        return "CONSTANT"
    if spec.key_type in ("IP", "FORWARDED_IP"):
        ips = source_ips(ctx.request, spec.forwarded if spec.key_type == "FORWARDED_IP" else None)
        return ips if isinstance(ips, bool) else _ip_key(ips[0], spec.ipv6_prefix)
    parts: list[str] = []
    for key in spec.custom_keys:
        if key.kind in ("IP", "ForwardedIP"):
            ips = source_ips(ctx.request, spec.forwarded if key.kind == "ForwardedIP" else None)
            if isinstance(ips, bool):
                return False
            parts.append(_ip_key(ips[0], spec.ipv6_prefix))
        elif key.kind == "LabelNamespace":
            names = sorted(lb for lb in ctx.labels if lb.startswith(key.namespace))
            if not names:
                return False
            parts.append(",".join(names))
        else:
            assert key.slot is not None
            fv = ctx.values(key.slot)
            if not fv.values:
                return False  # AWS: a request missing any key component is not rate-limited
            parts.append(fv.values[0][1])
    joined = _SEP.join(parts)
    if len(joined) > MAX_KEY_CHARS:
        return "sha256:" + hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()
    return joined
