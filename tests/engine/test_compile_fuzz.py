"""Property: any document compiles or fails with ``WebAclError`` (a path and a reason) — never a
``TypeError``/``KeyError`` from deep inside the compiler."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.aclkit import compile_with
from wafproxy.engine import WebAclError

DATA = Path(__file__).parent / "data"
EXPORT = json.loads((DATA / "export" / "web-acl.json").read_text())
GROUP = json.loads((DATA / "export" / "groups" / "app-rules.json").read_text())
IPSET = json.loads((DATA / "export" / "ipsets" / "blocklist.json").read_text())
REGEX_SET = {"Name": "bad-bots", "RegularExpressionList": [{"RegexString": "^x"}]}
# Drop the managed-group rule: this test has no managed directory.
EXPORT["WebACL"]["Rules"] = [
    r for r in EXPORT["WebACL"]["Rules"] if "ManagedRuleGroupStatement" not in r["Statement"]
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.text(max_size=8)
    | st.sampled_from(["ALL", "MATCH", "COUNT", "/", "EXACTLY", "IPV4", "10.0.0.0/8", "NONE"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(_paths(value, (*prefix, i)))
    return out


PATHS = [p for p in _paths(EXPORT) if p]


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(EXPORT)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent: Any = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "delete" and isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif action == "add" and isinstance(parent, dict):
                parent[draw(st.text(max_size=6))] = draw(json_values)
            else:
                parent[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_compile_fails_only_with_web_acl_error(document):
    try:
        compile_with(document, GROUP, IPSET, REGEX_SET)
    except WebAclError as exc:
        assert exc.path.startswith("$") and exc.reason
