"""The committed rule-group files are exactly what ``rules/managed/generate.py`` produces, and
every group is a valid WAFv2 RuleGroup that compiles (vendor ``wafproxy``, labels in its namespace)."""

from __future__ import annotations

import json

from tests.rules.generator import MANAGED, load_generator
from wafproxy.engine.transforms import EXTENSIONS, TRANSFORMS


def test_committed_files_match_the_generator() -> None:
    gen = load_generator()
    for group in gen.GROUPS:
        committed = (MANAGED / f"{group}.json").read_text(encoding="utf-8")
        assert committed == gen.render(group), f"{group}.json is stale: run python rules/managed/generate.py"


def test_groups_are_wafproxy_vendor_with_namespaced_labels() -> None:
    for path in MANAGED.glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert doc["VendorName"] == "wafproxy"
        assert doc["LabelNamespace"] == f"wafproxy:managed:{path.stem}:"
        names = [rule["Name"] for rule in doc["Rules"]]
        assert len(names) == len(set(names))
        for rule in doc["Rules"]:
            assert rule["RuleLabels"] == [{"Name": rule["Name"]}]


def test_only_known_transformations_and_few_chains() -> None:
    chains: set[tuple[str, ...]] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "TextTransformations" in node:
                chain = tuple(t["Type"] for t in sorted(node["TextTransformations"], key=lambda t: t["Priority"]))
                chains.add(chain)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in MANAGED.glob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    used = {name for chain in chains for name in chain}
    assert used <= set(TRANSFORMS)
    assert used & EXTENSIONS  # the extensions are what the groups rely on
    assert len(chains) <= 4, chains  # each distinct chain is one more pattern scan per field
