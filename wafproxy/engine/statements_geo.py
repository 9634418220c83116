"""GeoMatch and AsnMatch: the source (or forwarded) IP looked up in the user's database."""

from __future__ import annotations

from functools import partial

from wafproxy.engine.doc import Node
from wafproxy.engine.geo import asn_of, country_of
from wafproxy.engine.nodes import LookupMatch, Stmt
from wafproxy.engine.sourceip import parse_forwarded
from wafproxy.engine.statements import CompileContext, statement

# AWS adds this label whenever a GeoMatch statement is evaluated (WAF developer guide, "Geographic
# match rule statement"): later rules can match on the country without another lookup.
GEO_LABEL = "awswaf:clientip:geo:country:"
MAX_ASN = 4_294_967_295


@statement("GeoMatchStatement")
def _geo(node: Node, cc: CompileContext) -> tuple[Stmt, int]:
    node.obj(required=("CountryCodes",), optional=("ForwardedIPConfig",))
    if cc.geo is None:
        node.fail("GeoMatchStatement needs a MaxMind-format country database (none was configured)")
    codes = set()
    for item in node.at("CountryCodes").items(min_len=1):
        code = item.str_(2, 2)
        if not (code.isascii() and code.isalpha() and code.isupper()):
            item.fail(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
        codes.add(code)
    fwd_node = node.opt("ForwardedIPConfig")
    fwd = parse_forwarded(fwd_node, with_position=False) if fwd_node else None
    lookup = partial(country_of, cc.geo)
    return LookupMatch("GEO", lookup, frozenset(codes), fwd, GEO_LABEL), 1


@statement("AsnMatchStatement")
def _asn(node: Node, cc: CompileContext) -> tuple[Stmt, int]:
    node.obj(required=("AsnList",), optional=("ForwardedIPConfig",))
    db = cc.asn or cc.geo
    if db is None:
        node.fail("AsnMatchStatement needs a MaxMind-format ASN database (none was configured)")
    asns = {str(item.int_(0, MAX_ASN)) for item in node.at("AsnList").items(min_len=1, max_len=100)}
    fwd_node = node.opt("ForwardedIPConfig")
    fwd = parse_forwarded(fwd_node, with_position=False) if fwd_node else None
    return LookupMatch("ASN", partial(asn_of, db), frozenset(asns), fwd), 1
