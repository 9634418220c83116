"""``soak.py --tracemalloc``: the proxy's environment that loads ``sitecustomize`` (this directory
first on its path); ``python -m load_tests.soak_trace DIR`` compares the snapshots."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def trace_env(args: argparse.Namespace) -> dict[str, str] | None:
    """The proxy's environment with ``soak_trace``'s sitecustomize first on its path."""
    if args.tracemalloc is None:
        return None
    args.tracemalloc.mkdir(parents=True, exist_ok=True)
    path = [str(HERE), os.environ.get("PYTHONPATH", "") or str(REPO)]
    return {"PYTHONPATH": os.pathsep.join(path), "WAFPROXY_SOAK_TRACE_DIR": str(args.tracemalloc)}
