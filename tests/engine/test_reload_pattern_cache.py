"""Reloads through the control plane's ``Compiler`` reuse compiled pattern sets."""

from __future__ import annotations

from tests.engine.aclkit import byte_match, rule, web_acl
from wafproxy.control.compiling import Compiler
from wafproxy.control.resources import Resource
from wafproxy.control.ttl import TempEntries


def test_second_compile_reuses_every_pattern_set() -> None:
    doc = web_acl(rule("a", 0, byte_match("/admin")), rule("b", 1, byte_match("/.env")))
    acl = Resource("webacl", "test-acl", "id", "arn", "tok", doc, "acl.json")  # type: ignore[arg-type]
    compiler = Compiler(managed_dir=None)
    compiler.compile(acl, [acl], TempEntries(), 0.0)
    cache = compiler._patterns
    misses = cache.misses
    assert misses > 0 and cache.hits == 0
    compiler.compile(acl, [acl], TempEntries(), 0.0)
    assert cache.misses == misses and cache.hits == misses
