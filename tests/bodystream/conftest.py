"""The default ACL, compiled once per module that uses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from wafproxy.aclfiles import load_web_acl
from wafproxy.engine.compiler import CompiledWebACL

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def acl() -> CompiledWebACL:
    return load_web_acl(ROOT / "rules" / "default-web-acl.json")
