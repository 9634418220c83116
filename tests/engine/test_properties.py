"""Property tests (hypothesis): evaluation never raises, and plans never change a decision."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.aclkit import byte_match, compile_with, rule, tt, web_acl
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import WafRequest, evaluate

DATA = Path(__file__).parent / "data"
WORDS = ["admin", "select", "<script>", "evil", "..", "%27", "a", "=", "&", "{", "}", '"', ":", "/"]


def _fields():
    h = {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "MATCH"}
    return [
        {"UriPath": {}},
        {"QueryString": {}},
        {"SingleQueryArgument": {"Name": "a"}},
        {"AllQueryArguments": {}},
        {"Method": {}},
        {"SingleHeader": {"Name": "x-a"}},
        {"Headers": h},
        {
            "Cookies": {
                "MatchPattern": {"IncludedCookies": ["s"]},
                "MatchScope": "VALUE",
                "OversizeHandling": "NO_MATCH",
            }
        },
        {"HeaderOrder": {"OversizeHandling": "CONTINUE"}},
        {"Body": {"OversizeHandling": "CONTINUE"}},
        {
            "JsonBody": {
                "MatchPattern": {"All": {}},
                "MatchScope": "ALL",
                "InvalidFallbackBehavior": "EVALUATE_AS_STRING",
            }
        },
        {"JsonBody": {"MatchPattern": {"IncludedPaths": ["/a"]}, "MatchScope": "VALUE"}},
        {"UriFragment": {"FallbackBehavior": "NO_MATCH"}},
        {"JA3Fingerprint": {"FallbackBehavior": "MATCH"}},
    ]


def _broad_acl():
    rules = []
    chains = [
        ("NONE",),
        ("URL_DECODE", "LOWERCASE"),
        ("HTML_ENTITY_DECODE", "COMPRESS_WHITE_SPACE"),
        ("BASE64_DECODE",),
        ("NORMALIZE_PATH", "REMOVE_NULLS"),
    ]
    i = 0
    for f, field in enumerate(_fields()):
        chain = chains[f % len(chains)]
        for position in ("CONTAINS", "EXACTLY", "CONTAINS_WORD"):
            rules.append(
                rule(
                    f"b{i}",
                    i,
                    byte_match(WORDS[i % len(WORDS)], field, position, chain),
                    "Count",
                    labels=(f"l:{i % 3}",),
                )
            )
            i += 1
        rules.append(
            rule(
                f"s{i}",
                i,
                {
                    "SqliMatchStatement": {
                        "FieldToMatch": field,
                        "TextTransformations": tt(*chain),
                        "SensitivityLevel": "HIGH",
                    }
                },
                "Count",
            )
        )
        i += 1
        rules.append(
            rule(
                f"x{i}",
                i,
                {"XssMatchStatement": {"FieldToMatch": field, "TextTransformations": tt(*chain)}},
                "Count",
            )
        )
        i += 1
        rules.append(
            rule(
                f"z{i}",
                i,
                {
                    "SizeConstraintStatement": {
                        "FieldToMatch": field,
                        "ComparisonOperator": "GT",
                        "Size": 10,
                        "TextTransformations": tt(*chain),
                    }
                },
                "Count",
            )
        )
        i += 1
        rules.append(
            rule(
                f"r{i}",
                i,
                {
                    "RegexMatchStatement": {
                        "RegexString": "a.{0,3}b|^/x[0-9]+",
                        "FieldToMatch": field,
                        "TextTransformations": tt(*chain),
                    }
                },
                "Count",
            )
        )
        i += 1
    rules.append(
        rule(
            "lbl",
            i,
            {
                "AndStatement": {
                    "Statements": [
                        {"LabelMatchStatement": {"Scope": "NAMESPACE", "Key": "l:"}},
                        {"NotStatement": {"Statement": byte_match("zz")}},
                    ]
                }
            },
            "Block",
        )
    )
    rules.append(
        rule(
            "rate",
            i + 1,
            {
                "RateBasedStatement": {
                    "Limit": 10,
                    "AggregateKeyType": "CUSTOM_KEYS",
                    "CustomKeys": [{"Cookie": {"Name": "s", "TextTransformations": tt()}}, {"IP": {}}],
                }
            },
        )
    )
    return compile_with(web_acl(*rules))


BROAD = _broad_acl()
EXPORT = load_web_acl(DATA / "export" / "web-acl.json", managed_dir=DATA / "managed")

text = st.lists(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=6) | st.sampled_from(WORDS), max_size=8
).map("".join)
raw_text = st.one_of(text, st.binary(max_size=30).map(lambda b: b.decode("utf-8", "surrogateescape")))
header_name = (
    st.sampled_from(["Host", "User-Agent", "x-a", "Cookie", "X-Forwarded-For", "Content-Type"]) | text
)
ips = st.one_of(st.ip_addresses().map(str), text)


@st.composite
def requests(draw):
    body = draw(
        st.one_of(
            st.binary(max_size=200),
            st.sampled_from(
                [b'{"a": "evil", "b": [1, {"c": null}]}', b'{"a": ', b"a=1&s=select+1", b"<script>x</script>"]
            ),
        )
    )
    return WafRequest(
        client_ip=draw(ips),
        method=draw(st.sampled_from(["GET", "POST", "PUT"]) | text),
        uri_path=draw(raw_text),
        query_string=draw(raw_text),
        headers=tuple(draw(st.lists(st.tuples(header_name, raw_text), max_size=8))),
        body=body,
        body_size=len(body) + draw(st.integers(0, 3)) * draw(st.integers(0, 5000)),
        uri_fragment=draw(st.one_of(st.just(""), text)),
        ja3_fingerprint=draw(st.none() | text),
    )


class AlwaysOver:
    def hit(self, check, now):
        return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_evaluate_never_raises(request):
    for acl in (BROAD, EXPORT):
        evaluate(acl, request)
        evaluate(acl, request, AlwaysOver())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_pattern_blocks_never_change_a_decision(request):
    unplanned = replace(BROAD, steps=BROAD.rules)
    assert evaluate(BROAD, request) == evaluate(unplanned, request)


def _prefix_acl():
    chains = [
        ("URL_DECODE",),
        ("URL_DECODE", "LOWERCASE"),
        ("URL_DECODE", "LOWERCASE", "COMPRESS_WHITE_SPACE"),
        ("URL_DECODE", "HTML_ENTITY_DECODE", "LOWERCASE"),
        ("HTML_ENTITY_DECODE",),
        ("HTML_ENTITY_DECODE", "URL_DECODE", "REMOVE_NULLS", "LOWERCASE"),
    ]
    rules = []
    for f, field in enumerate(
        [
            {"UriPath": {}},
            {"QueryString": {}},
            {"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}},
        ]
    ):
        for c, chain in enumerate(chains):
            rules.append(rule(f"r{f}-{c}", len(rules), byte_match("zz", field, "CONTAINS", chain), "Count"))
    return compile_with(web_acl(*rules))


PREFIXED = _prefix_acl()


def test_slots_are_linked_to_existing_prefixes():
    linked = {
        g.slot.chain: (g.slot.parent.chain if g.slot.parent else None, g.slot.step)
        for g in PREFIXED.groups
        if g.slot.field.kind == "UriPath"
    }
    assert linked[("URL_DECODE", "LOWERCASE", "COMPRESS_WHITE_SPACE")] == (
        ("URL_DECODE", "LOWERCASE"),
        ("COMPRESS_WHITE_SPACE",),
    )
    assert linked[("URL_DECODE", "HTML_ENTITY_DECODE", "LOWERCASE")] == (
        ("URL_DECODE",),
        ("HTML_ENTITY_DECODE", "LOWERCASE"),
    )
    assert linked[("URL_DECODE",)] == (None, ("URL_DECODE",))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_linked_slots_equal_the_whole_chain(request):
    from wafproxy.engine.context import EvalContext
    from wafproxy.engine.extract import extract
    from wafproxy.engine.transforms import apply_chain

    ctx = EvalContext(request, PREFIXED.groups)
    for group in PREFIXED.groups:
        slot = group.slot
        raw = extract(slot.field, request)
        expected = tuple((n, apply_chain(slot.chain, v)) for n, v in raw.values)
        assert ctx.values(slot).values == expected
