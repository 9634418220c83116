#!/usr/bin/env python3
"""What a request's pattern scans cost with a warm cache (a bench loop) and a cold one (a server).

    load_tests/scan_cache_cost.py [--request post|get|put] [--calls 300] [--evict-mb 48]

``bench_acl_cost.py`` evaluates the same request back to back: the hyperscan databases its scans
walk stay in the CPU caches. A served request runs after the client, the kernel's network stack,
the upstream and the rest of the proxy's own path have used the caches, so the same scans fetch
their databases' lines from memory again. The 2 KB form POST's body goes through a ~14 MB, a
~1.7 MB and a ~0.35 MB database (the GET's fields are answered by the memos: no scan), which is
why the served POST costs far more outside what ``bench_acl_cost`` calls the engine than the GET
(the issue 11 ``postpath`` analysis). This lists the databases a request scans (bytes scanned,
database size) and times ``Inspector.decide_now`` and the scans of the body-sized values, each
with a warm cache and after ``--evict-mb`` of other memory was written (thread CPU time, best of
the rounds; quote the ratio, the machine is shared).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.engine.test_bench_default_acl import FORM_POST_2KB, JSON_API_PUT, SIMPLE_GET  # noqa: E402
from wafproxy.aclfiles import MANAGED_DIR, FileResolver, read_document  # noqa: E402
from wafproxy.asgi.inspector import Inspector  # noqa: E402
from wafproxy.engine import compile_web_acl  # noqa: E402
from wafproxy.engine.matchers import _engines  # noqa: E402

DEFAULT_ACL = REPO / "rules" / "default-web-acl.json"
REQUESTS = {"post": FORM_POST_2KB, "get": SIMPLE_GET, "put": JSON_API_PUT}


def _scanned(inspector: Inspector, request: Any) -> list[tuple[Any, bytes]]:
    """(hyperscan backend, the bytes it scanned) for each scan ``request``'s decision runs."""
    seen: list[tuple[Any, bytes]] = []
    original = _engines.HyperscanBackend.scan

    def recording(self: Any, data: bytes) -> set[int]:
        seen.append((self, data))
        return original(self, data)

    _engines.HyperscanBackend.scan = recording  # type: ignore[method-assign]
    try:
        inspector.decide_now(inspector.acl, request)
    finally:
        _engines.HyperscanBackend.scan = original  # type: ignore[method-assign]
    return seen


def _cost(step: Callable[[], object], calls: int, evict: bytearray | None) -> float:
    """µs of thread CPU per ``step``, the caches warm (``evict`` None) or just overwritten."""
    clock = time.thread_time_ns
    total = 0
    for _ in range(calls):
        if evict is not None:
            evict[::64] = b"\x01" * (len(evict) // 64)  # one write per cache line
        t0 = clock()
        step()
        total += clock() - t0
    return total / calls / 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--request", choices=tuple(REQUESTS), default="post")
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--evict-mb", type=int, default=48)
    args = ap.parse_args()
    import hyperscan

    document = read_document(DEFAULT_ACL)
    acl = compile_web_acl(document, resolver=FileResolver(DEFAULT_ACL, MANAGED_DIR), source=str(DEFAULT_ACL))
    inspector = Inspector(acl=acl, source="PROXY")
    request = REQUESTS[args.request]
    for _ in range(50):
        inspector.decide_now(inspector.acl, request)
    scans = _scanned(inspector, request)
    print(f"{args.request}: {len(scans)} scans")
    for backend, data in scans:
        sizes = [len(hyperscan.dumpb(db)) / 1024 for db in backend.databases]
        behind = " + ".join(f"{size:.0f}" for size in sizes[1:])
        guarded = f" (+ {behind} KiB behind guards)" if behind else ""
        print(f"  {len(data):6d} B over a {sizes[0]:8.0f} KiB database{guarded}")
    large = [(b, d) for b, d in scans if len(d) >= 512]

    def body_scans() -> None:
        for backend, data in large:
            backend.scan(data)

    evict = bytearray(args.evict_mb * 1024 * 1024)
    steps: list[tuple[str, Callable[[], object]]] = [
        ("decide_now", lambda: inspector.decide_now(inspector.acl, request)),
        (f"the {len(large)} scans of >= 512 B", body_scans),
    ]
    for label, step in steps:
        warm = min(_cost(step, args.calls, None) for _ in range(args.rounds))
        cold = min(_cost(step, args.calls, evict) for _ in range(args.rounds))
        print(f"{label}: {warm:.1f} µs warm, {cold:.1f} µs after {args.evict_mb} MB written "
              f"({cold / warm:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
