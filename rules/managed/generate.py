"""Source of the wafproxy managed rule groups: ``python rules/managed/generate.py`` writes one
WAFv2 ``RuleGroup`` JSON file per group next to this script.

Why a generator: each attack class is inspected in every placement (URI path, query, body, JSON,
cookies, headers) and under a few decoding chains; written by hand that is hundreds of near-equal
statements. Here each class is one list of patterns, and the files stay plain AWS JSON that users
can read, diff and override rule by rule (``RuleActionOverrides``). ``tests/rules`` checks that
the committed files equal what this script produces.

Cost: every regex of one (field, chain) pair lands in one multi-pattern scan (the engine's
``PatternBlock`` plan), so a benign request costs one scan per pair, not one per rule. Only three
chains are used: ``DEC`` (decode everything an app would decode), ``CMD`` (``DEC`` + shell
unquoting) and ``B64`` (base64 tokens hidden inside a value).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from attacks_sql import SQLI_PREFILTER
from attacks_web import XSS_PREFILTER
from patterns import CLASSES, GROUPS, RuleClass
from ruleclass import SKIPPED_HEADERS

HERE = Path(__file__).resolve().parent
VIS_OFF = False

CHAINS: dict[str, tuple[str, ...]] = {
    # URL-decode twice (double encoding, %uHHHH), then HTML entities, \u/\x escapes (JSON, JS;
    # other backslashes are kept for Windows paths), fullwidth and compatibility forms, NULs:
    # what a browser, framework or shell may undo after the WAF looked.
    "DEC": (
        "URL_DECODE_UNI",
        "URL_DECODE_UNI",
        "HTML_ENTITY_DECODE",
        "UNICODE_ESCAPE_DECODE",
        "NFKC_NORMALIZE",
        "REMOVE_NULLS",
    ),
    "CMD": (
        "URL_DECODE_UNI",
        "URL_DECODE_UNI",
        "HTML_ENTITY_DECODE",
        "UNICODE_ESCAPE_DECODE",
        "NFKC_NORMALIZE",
        "REMOVE_NULLS",
        "CMD_LINE",
    ),
    "B64": ("URL_DECODE_UNI", "BASE64_DECODE_EMBEDDED", "URL_DECODE_UNI", "UNICODE_ESCAPE_DECODE"),
    # The bytes as sent (what the size rules measure, so no new chain): protocol checks that
    # decoding would hide — an encoded NUL or newline, IIS %uHHHH, overlong UTF-8, a method, a
    # header's grammar.
    "RAW": ("NONE",),
}

# Placement -> FieldToMatch per statement kind. Regexes scan whole raw parts (keys and values in
# one pass); the libinjection detectors want one argument at a time.
_ALL_HEADERS = {
    "Headers": {"MatchPattern": {"ExcludedHeaders": SKIPPED_HEADERS}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}
}
_HEADERS = {
    "Headers": {
        "MatchPattern": {"ExcludedHeaders": ["cookie", *SKIPPED_HEADERS]},
        "MatchScope": "VALUE",
        "OversizeHandling": "CONTINUE",
    }
}
_COOKIES = {"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}}
_JSON = {
    "JsonBody": {
        "MatchPattern": {"All": {}},
        "MatchScope": "ALL",
        "InvalidFallbackBehavior": "EVALUATE_AS_STRING",
        "OversizeHandling": "CONTINUE",
    }
}
_BODY = {"Body": {"OversizeHandling": "CONTINUE"}}
# Regexes scan whole raw parts: the query string (keys and values), the body (form, multipart,
# JSON, XML alike), every header with its name (the Cookie header included, so cookies need no
# pattern group of their own). The libinjection detectors want one argument at a time.
FIELDS: dict[str, dict[str, list[dict[str, Any]]]] = {
    "URIPATH": {"regex": [{"UriPath": {}}], "detector": [{"UriPath": {}}]},
    "QUERYARGUMENTS": {"regex": [{"QueryString": {}}], "detector": [{"AllQueryArguments": {}}]},
    "BODY": {"regex": [_BODY], "detector": [_BODY, _JSON]},
    "COOKIE": {"regex": [], "detector": [_COOKIES]},
    "HEADER": {"regex": [_ALL_HEADERS], "detector": [_HEADERS]},
}
# Base64 payloads hide in arguments, bodies and headers, not in path segments; shell-unquoting
# (CMD_LINE) matters where commands are passed as arguments.
NO_B64 = ("URIPATH",)
NO_CMD = ("URIPATH", "HEADER")
# Chains whose output is lowercased: a class's case-sensitive regexes (RuleClass.caseful) skip them.
LOWERCASING = ("CMD",)
# A header's bytes as sent are not the same text as the decoded scan's (BODY is decoded like
# a form); a RAW class inspects URI path and query string only.
NO_RAW = ("BODY", "COOKIE", "HEADER")

def _gate_field(placement: str) -> dict[str, Any]:
    """The prefilter reads the placement's *regex* field (query string, body, all headers), which
    the regex rules scan anyway: the gate adds a pattern to an existing scan, not a new scan."""
    return FIELDS["HEADER" if placement == "COOKIE" else placement]["regex"][0]


def _gated(prefilter: str, placement: str, chain: str, detector: dict[str, Any]) -> dict[str, Any]:
    gate = {
        "RegexMatchStatement": {
            "RegexString": prefilter,
            "FieldToMatch": _gate_field(placement),
            "TextTransformations": _tt(chain),
        }
    }
    return {"AndStatement": {"Statements": [gate, detector]}}


# libinjection's XSS tokenizer reads HTML: an XML document (SOAP, RSS/Atom, WebDAV, SAML) is
# markup by design and trips it (issue 15), and so is an SVG image (``image/svg+xml``, a PUT of the
# file). Raw XML bodies are left to CrossSiteScriptingGrammar,
# which still sees <script>, event handlers and script URLs in them.
_NOT_XML = {
    "NotStatement": {
        "Statement": {
            "RegexMatchStatement": {
                "RegexString": r"(?i)^\s*(?:application|text|image)/(?:[\w.-]+\+)?xml\s*(?:;|$)",
                "FieldToMatch": {"SingleHeader": {"Name": "content-type"}},
                "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
            }
        }
    }
}


def _tt(chain: str) -> list[dict[str, Any]]:
    return [{"Priority": i, "Type": t} for i, t in enumerate(CHAINS[chain])]


def _vis(name: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


def _statements(cls: RuleClass, placement: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    kind = "detector" if cls.detector else "regex"
    for field in FIELDS[placement][kind]:
        for chain in cls.chains:
            if chain == "B64" and placement in NO_B64:
                continue
            if chain == "CMD" and placement in NO_CMD:
                continue
            if chain == "RAW" and placement in NO_RAW:
                continue
            if cls.detector == "sqli":
                out.append(_gated(SQLI_PREFILTER, placement, chain, {"SqliMatchStatement": {"FieldToMatch": field, "TextTransformations": _tt(chain), "SensitivityLevel": cls.sensitivity}}))
            elif cls.detector == "xss":
                if "JsonBody" in field:
                    field = {"JsonBody": {**field["JsonBody"], "InvalidFallbackBehavior": "NO_MATCH"}}
                xss = _gated(XSS_PREFILTER, placement, chain, {"XssMatchStatement": {"FieldToMatch": field, "TextTransformations": _tt(chain)}})
                if "Body" in field:
                    xss["AndStatement"]["Statements"].append(_NOT_XML)
                out.append(xss)
            else:
                for regex in cls.patterns + (cls.caseful if chain not in LOWERCASING else ()):
                    out.append({"RegexMatchStatement": {"RegexString": regex, "FieldToMatch": field, "TextTransformations": _tt(chain)}})
    return out


def _resolve(node: Any) -> Any:
    """A hand-written statement with its chain names expanded into TextTransformations."""
    if isinstance(node, dict):
        return {
            k: _tt(v) if k == "TextTransformations" and isinstance(v, str) else _resolve(v) for k, v in node.items()
        }
    if isinstance(node, list):
        return [_resolve(v) for v in node]
    return node


def _size_rule(name: str, field: dict[str, Any], size: int) -> dict[str, Any]:
    return {
        "SizeConstraintStatement": {
            "FieldToMatch": field,
            "ComparisonOperator": "GT",
            "Size": size,
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }


def _rule(name: str, priority: int, statement: dict[str, Any]) -> dict[str, Any]:
    return {
        "Name": name,
        "Priority": priority,
        "Statement": statement,
        "Action": {"Block": {}},
        "RuleLabels": [{"Name": name}],
        "VisibilityConfig": _vis(name),
    }


def build_group(group: str) -> dict[str, Any]:
    meta = GROUPS[group]
    rules: list[dict[str, Any]] = []
    for cls in CLASSES:
        if cls.group != group:
            continue
        if cls.statement is not None:
            rules.append(_rule(f"{cls.name}_{cls.placements[0]}", len(rules), _resolve(cls.statement)))
            continue
        for placement in cls.placements:
            if not cls.detector and cls.size is None and not FIELDS[placement]["regex"]:
                continue
            name = f"{cls.name}_{placement}"
            if cls.size is not None:
                stmts = [_size_rule(name, f, cls.size) for f in FIELDS[placement]["detector"]]
            else:
                stmts = _statements(cls, placement)
            if not stmts:
                continue  # e.g. a CMD-only class has nothing to inspect in a path or header
            statement = stmts[0] if len(stmts) == 1 else {"OrStatement": {"Statements": stmts}}
            rules.append(_rule(name, len(rules), statement))
    return {
        "Name": meta["Name"],
        "VendorName": "wafproxy",
        "Description": meta["Description"],
        "Capacity": 1500,
        "LabelNamespace": f"wafproxy:managed:{group}:",
        "VisibilityConfig": _vis(meta["Name"]),
        "Rules": rules,
    }


def render(group: str) -> str:
    return json.dumps(build_group(group), indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    for group in GROUPS:
        (HERE / f"{group}.json").write_text(render(group), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
