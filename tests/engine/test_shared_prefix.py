"""A chain prefix two body chains share gets its own slot (run once); other fields do not."""

from __future__ import annotations

from tests.engine.aclkit import compile_with, rule, tt, web_acl
from wafproxy.engine import WafRequest, evaluate
from wafproxy.engine.context import EvalContext

FIRST = ("URL_DECODE", "BASE64_DECODE", "LOWERCASE")
SECOND = ("URL_DECODE", "HTML_ENTITY_DECODE", "LOWERCASE")


def _acl(field: str):
    return compile_with(
        web_acl(
            *[
                rule(
                    f"r{i}",
                    i,
                    {
                        "ByteMatchStatement": {
                            "SearchString": "<script",
                            "FieldToMatch": {field: {}},
                            "TextTransformations": tt(*chain),
                            "PositionalConstraint": "CONTAINS",
                        }
                    },
                    "Count",
                    labels=(f"l:{i}",),
                )
                for i, chain in enumerate((FIRST, SECOND))
            ]
        )
    )


def test_body_chains_share_their_common_prefix_slot() -> None:
    acl = _acl("Body")
    slots = {g.slot.chain: g.slot for g in acl.groups}
    assert slots[FIRST].parent is slots[SECOND].parent
    assert slots[FIRST].parent is not None and slots[FIRST].parent.chain == ("URL_DECODE",)
    body = b"a=%26lt;SCRIPT%3E&b=PHNjcmlwdD4%3D"
    request = WafRequest(client_ip="192.0.2.1", method="POST", uri_path="/", body=body, body_size=len(body))
    decision = evaluate(acl, request)
    assert [m.rule_name for m in decision.matches] == ["r1"]  # html-entity decoded: <script>
    ctx = EvalContext(request, acl.groups, acl.field_plans)
    for group in acl.groups:
        ctx.scan(acl.groups.index(group))
    assert ctx.values(slots[FIRST].parent).values == (("", "a=&lt;SCRIPT>&b=PHNjcmlwdD4="),)


def test_other_fields_link_only_existing_slots() -> None:
    acl = _acl("QueryString")
    assert all(g.slot.parent is None for g in acl.groups)
