"""Run the shared detection corpora through the engine in-process (no sockets, no timing).

The request bytes are built by the shared scorer's own ``build_request`` (so placements match what
``waf_eval.py`` sends through ``wafproxy serve``), then parsed back into a ``WafRequest`` the way
the ASGI adapter would see them. ``CORPUS_DIR`` is ``../shared/corpus`` next to the repository;
callers skip when it is absent.
"""

from __future__ import annotations

import importlib.util
import json
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from wafproxy.engine import CompiledWebACL, WafRequest, evaluate
from wafproxy.server.framing import escape_spaces

ROOT = Path(__file__).resolve().parents[2]
# ../shared next to the checkout, or next to the worktree directory (/work/wt/<name>).
SHARED = next((d / "shared" for d in ROOT.parents if (d / "shared").is_dir()), ROOT.parent / "shared")
CORPUS_DIR = SHARED / "corpus"
WAF_EVAL = SHARED / "tools" / "waf_eval.py"
DEFAULT_ACL = ROOT / "rules" / "default-web-acl.json"


def available() -> bool:
    return CORPUS_DIR.is_dir() and WAF_EVAL.is_file()


def _waf_eval() -> ModuleType:
    spec = importlib.util.spec_from_file_location("waf_eval", WAF_EVAL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(name: str) -> list[dict[str, Any]]:
    with (CORPUS_DIR / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def sample(cases: list[dict[str, Any]], n: int, seed: int = 4) -> list[dict[str, Any]]:
    """A fixed pseudo-random sample, so a test run is repeatable."""
    if n >= len(cases):
        return cases
    return random.Random(seed).sample(cases, n)


def parse_raw(raw: bytes) -> WafRequest:
    """HTTP/1.1 request bytes -> ``WafRequest`` (what the middleware builds from the ASGI scope);
    spaces inside the target are read as the proxy server reads them (``escape_spaces``)."""
    head, _, body = escape_spaces(raw).partition(b"\r\n\r\n")
    lines = head.decode("utf-8", "surrogateescape").split("\r\n")
    parts = lines[0].split(" ")
    method, target = parts[0], parts[1] if len(parts) > 1 else "/"
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    # Not urlsplit: "//etc/passwd" is a path to the server, not a network location.
    path, query = target, ""
    if target.startswith("/"):
        path, _, query = target.partition("?")
    path, _, fragment = path.partition("#")
    return WafRequest(
        client_ip="127.0.0.1",
        method=method,
        uri_path=path,
        query_string=query,
        headers=tuple(headers),
        body=body,
        body_size=len(body),
        uri_fragment=fragment,
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    case: dict[str, Any]
    blocked: bool
    rule: str


def run(acl: CompiledWebACL, cases: Iterable[dict[str, Any]]) -> Iterator[Outcome]:
    module = _waf_eval()
    target = module.Target("http://127.0.0.1:8080", None)
    for case in cases:
        raw = module.build_request(case, target, True)
        decision = evaluate(acl, parse_raw(raw))
        blocked = decision.action.value.upper() == "BLOCK"
        rule = (decision.terminating_group_rule_id or decision.terminating_rule_id) if blocked else ""
        yield Outcome(case, blocked, rule)


@dataclass(frozen=True, slots=True)
class Score:
    total: int
    blocked: int
    by_category: dict[str, tuple[int, int]]

    @property
    def rate(self) -> float:
        return self.blocked / self.total if self.total else 0.0


def score(outcomes: Iterable[Outcome]) -> Score:
    total, blocked = Counter[str](), Counter[str]()
    for out in outcomes:
        cat = str(out.case.get("category", ""))
        total[cat] += 1
        blocked[cat] += out.blocked
    by_cat = {c: (blocked[c], total[c]) for c in sorted(total)}
    return Score(sum(total.values()), sum(blocked.values()), by_cat)
