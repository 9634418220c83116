#!/usr/bin/env python3
"""Side-by-side detection bench: wafproxy (default web ACL) vs nginx + ModSecurity + OWASP CRS PL1/PL2.

    .venv/bin/python load_tests/bench_detection.py            # writes load_tests/DETECTION.md
    .venv/bin/python load_tests/bench_detection.py --no-anchor --out -

Why a separate bench from ``eval_corpus.py``: a score means little alone; the CRS anchors answer
the same bytes in the same run, so the table says where wafproxy stands against a known WAF on
this machine today. Every target proxies to the same 200-answering upstream. The shared black-box
scorer ``../shared/tools/waf_eval.py`` (raw sockets, 403 or reset = blocked) runs ``evasion-dev``
+ ``benign-dev`` and ``crs-attacks`` against each target; per-case results are joined back to the
corpus lines so one run yields TPR per corpus / category / ``crs_pl``, FP and the balanced score.
Anchors come from ``../shared/tools/anchors/start_nginx_anchor.sh`` (own run dir, our upstream
port) when nginx is installed and stopped again at the end; anchors already listening on 18082/18083
(a colleague's run) are scored as they are and left alone. Exits 0 with a "skipped" line
when ``../shared`` is absent.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# ../shared next to the checkout, or next to the worktree directory (/work/wt/<name>).
SHARED = next((d / "shared" for d in REPO.parents if (d / "shared").is_dir()), REPO.parent / "shared")
CORPUS = SHARED / "corpus"
WAF_EVAL = SHARED / "tools" / "waf_eval.py"
ANCHORS = SHARED / "tools" / "anchors"
OUT = Path(__file__).resolve().parent / "DETECTION.md"
BLOCKING = frozenset({"blocked", "reset"})
sys.path.insert(0, str(Path(__file__).resolve().parent))


@dataclass(frozen=True, slots=True)
class Case:
    """One scored corpus line: what it is and what the target did with it."""

    corpus: str
    category: str
    expect: str
    crs_pl: int | None
    outcome: str

    @property
    def blocked(self) -> bool:
        return self.outcome in BLOCKING


def _run_eval(target: str, files: list[Path]) -> list[Case]:
    """Run waf_eval on ``files`` and join its per-case outcomes back to the corpus lines."""
    lines: list[tuple[str, dict[str, object]]] = []
    for f in files:
        for raw in f.read_text(encoding="utf-8").splitlines():
            if raw.strip():
                lines.append((f.stem, json.loads(raw)))
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as det:
        cmd = [sys.executable, str(WAF_EVAL), "--target", target, "--concurrency", "4",
               "--details", det.name, *map(str, files)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        outcome = {}
        for raw in Path(det.name).read_text(encoding="utf-8").splitlines():
            row = json.loads(raw)
            outcome[row["id"]] = row["outcome"]
    cases = []
    for corpus, c in lines:
        pl = c.get("crs_pl")
        cases.append(Case(corpus, str(c.get("category")), str(c["expect"]),
                          int(pl) if isinstance(pl, int) else None, outcome.get(str(c["id"]), "missing")))
    return cases


def _own_sets(run: Path) -> list[Path]:
    """Issue 15's own attack families, placed sets and benign generator (tests/rules), as corpus JSONL."""
    sys.path.insert(0, str(REPO))
    from tests.rules.attack_sets import all_cases
    from tests.rules.benign_sets import benign_cases
    from tests.rules.placed_sets import placed_cases
    from tests.rules.setkit import write_jsonl

    out = [run / "own-attacks.jsonl", run / "own-benign.jsonl"]
    write_jsonl(str(out[0]), all_cases() + placed_cases())
    write_jsonl(str(out[1]), benign_cases())
    return out


def _rate(cases: list[Case]) -> str:
    if not cases:
        return "–"
    return f"{100.0 * sum(c.blocked for c in cases) / len(cases):.1f}%"


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


@contextlib.contextmanager
def _anchors(run: Path, upstream_port: int) -> Iterator[list[tuple[str, str]]]:
    script = ANCHORS / "start_nginx_anchor.sh"
    if not script.exists() or not shutil.which("nginx"):
        print("anchors not available: CRS columns skipped", file=sys.stderr)
        yield []
        return
    from bench_proxy import wait_port

    urls = [("CRS 3.3.4 PL1", "http://127.0.0.1:18082"), ("CRS 3.3.4 PL2", "http://127.0.0.1:18083")]
    if all(_listening(p) for p in (18082, 18083)):  # a colleague's anchor run: score it, leave it alone
        print("anchors already running on 18082/18083: reusing them", file=sys.stderr)
        yield urls
        return
    env = {**os.environ, "ANCHOR_RUN": str(run / "anchors"), "ANCHOR_UPSTREAM_PORT": str(upstream_port)}
    try:
        subprocess.run(["bash", str(script), "crs-pl1", "crs-pl2"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        wait_port(18082)
        wait_port(18083)
        yield urls
    finally:
        subprocess.run(["bash", str(ANCHORS / "stop_nginx_anchor.sh"), "crs-pl2", "crs-pl1"], env=env,
                       check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _table(results: dict[str, list[Case]]) -> str:
    names = list(results)
    head = "| measure | " + " | ".join(names) + " |\n|---|" + "---:|" * len(names) + "\n"
    rows: list[tuple[str, dict[str, str]]] = []

    def add(label: str, pick: object) -> None:
        rows.append((label, {n: _rate([c for c in results[n] if pick(c)]) for n in names}))  # type: ignore[operator]

    add("**evasion-dev TPR**", lambda c: c.corpus == "evasion-dev")
    add("**benign-dev FP**", lambda c: c.corpus == "benign-dev")
    bal = {}
    for n in names:
        ev = [c for c in results[n] if c.corpus == "evasion-dev"]
        bn = [c for c in results[n] if c.corpus == "benign-dev"]
        tpr = sum(c.blocked for c in ev) / len(ev)
        fpr = sum(c.blocked for c in bn) / len(bn)
        bal[n] = f"{100.0 * (tpr + 1 - fpr) / 2:.1f}%"
    rows.append(("**balanced (evasion+benign)**", bal))
    add("**crs-attacks TPR, crs_pl=1**", lambda c: c.corpus == "crs-attacks" and c.crs_pl == 1)
    add("**crs-attacks TPR, crs_pl=2**", lambda c: c.corpus == "crs-attacks" and c.crs_pl == 2)
    add("**crs-attacks TPR, all**", lambda c: c.corpus == "crs-attacks" and c.expect == "block")
    add("**own attack sets TPR (issue 15)**", lambda c: c.corpus == "own-attacks")
    add("**own benign generator FP (issue 15)**", lambda c: c.corpus == "own-benign")
    first = results[names[0]]
    for corpus, expect, title in (("evasion-dev", "block", "evasion-dev TPR"),
                                  ("benign-dev", "allow", "benign-dev FP"),
                                  ("crs-attacks", "block", "crs-attacks TPR, crs_pl=1"),
                                  ("own-attacks", "block", "own attack sets TPR"),
                                  ("own-benign", "allow", "own benign generator FP")):
        cats = sorted({c.category for c in first if c.corpus == corpus and c.expect == expect})
        for cat in cats:
            def pick(c: Case, cat: str = cat, corpus: str = corpus, expect: str = expect) -> bool:
                pl_ok = corpus != "crs-attacks" or c.crs_pl == 1
                return c.corpus == corpus and c.expect == expect and c.category == cat and pl_ok
            n = sum(1 for c in first if pick(c))
            if n:
                add(f"{title} · {cat} (n={n})", pick)
    body = "".join(f"| {label} | " + " | ".join(v[n] for n in names) + " |\n" for label, v in rows)
    return head + body


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--acl", default=None, help="web ACL file (default: the shipped default web ACL)")
    ap.add_argument("--no-anchor", action="store_true", help="score wafproxy only")
    ap.add_argument("--out", default=str(OUT), help="markdown file to write, '-' for stdout")
    args = ap.parse_args()
    if not (CORPUS.is_dir() and WAF_EVAL.is_file()):
        print(f"skipped: {SHARED} (corpora and waf_eval.py) not present")
        return 0

    from bench_proxy import python_upstream, wafproxy

    dev = [CORPUS / "evasion-dev.jsonl", CORPUS / "benign-dev.jsonl"]
    crs = [CORPUS / "crs-attacks.jsonl"]
    results: dict[str, list[Case]] = {}
    with contextlib.ExitStack() as stack:
        run = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wafdet-")))
        os.chmod(run, 0o755)
        own = _own_sets(run)
        upstream = stack.enter_context(python_upstream(16))
        proxy = stack.enter_context(wafproxy(upstream.url, 1, args.acl))
        targets = [("wafproxy (default ACL)", proxy.url)]
        if not args.no_anchor:
            targets += stack.enter_context(_anchors(run, int(upstream.url.rsplit(":", 1)[1])))
        for name, url in targets:
            print(f"scoring {name} at {url}", file=sys.stderr)
            results[name] = _run_eval(url, dev) + _run_eval(url, crs) + _run_eval(url, own)

    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else "?"
    doc = (
        "# Detection: wafproxy vs OWASP CRS (side by side)\n\n"
        f"Generated by `load_tests/bench_detection.py` on {now}; machine: {cpu}, "
        f"{os.cpu_count()} cores (shared), {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}.\n\n"
        "All targets proxy to the same 200-answering upstream and are scored in the same run by "
        "`../shared/tools/waf_eval.py` (raw sockets; 403 or connection reset = blocked; any other "
        "status, e.g. a 400 from the HTTP parser before the WAF, counts as a miss). TPR = blocked "
        "attacks / all attacks, FP = blocked benign / all benign, balanced = (TPR + 1 − FP) / 2 on "
        "evasion-dev + benign-dev. The CRS columns are nginx + ModSecurity v3 + OWASP CRS 3.3.4 at "
        "paranoia level 1 and 2 (anomaly threshold 5), from `../shared/tools/anchors`. Issue 4 "
        "targets: evasion ≥ 95 %, benign FP ≤ 1 %, crs_pl=1 ≥ 85 %, crs all ≥ 70 %.\n\n"
        + _table(results)
    )
    if args.out == "-":
        print(doc)
    else:
        Path(args.out).write_text(doc, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
