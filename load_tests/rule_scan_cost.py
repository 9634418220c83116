#!/usr/bin/env python3
"""Scan cost of the pooled main body database, pattern by pattern (callgrind instructions).

    PYTHONPATH=$PWD python load_tests/rule_scan_cost.py capture /tmp/base.pkl
    python load_tests/rule_scan_cost.py leaveout /tmp/base.pkl /tmp/dbs "[[111], [110, 111]]"
    python load_tests/rule_scan_cost.py measure /tmp/dbs /tmp/base.pkl 5

Why: the served 2 KB form POST's largest single piece is the scan of its six-step-chain body over
the pooled main database (engine RATIONALE, "What a served POST touches"), and that cost is set
by the rules' patterns. ``capture`` evaluates the bench POST once and keeps the inputs of the
main (unguarded) database of the largest pattern set scanned with the longest value, and the
scanned bytes; ``leaveout`` compiles that database whole ("all") and with each listed group of
expression indexes left out, serialized; ``measure`` scans the body N times with each database
under callgrind (``--dump-before=getppid`` around the scans) and prints instructions per scan.
"""

from __future__ import annotations

import glob
import os
import pickle
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def capture(out: str) -> None:
    from wafproxy.engine import matchers as m
    from wafproxy.engine.matchers import _engines as e

    seen: list[tuple[object, str]] = []
    original = m.PatternSet.scan

    def scan(self: m.PatternSet, value: str) -> frozenset[int]:
        seen.append((self, value))
        return original(self, value)

    m.PatternSet.scan = scan  # type: ignore[method-assign]
    from tests.engine.test_bench_default_acl import FORM_POST_2KB
    from wafproxy.aclfiles import load_web_acl
    from wafproxy.engine import evaluate

    acl = load_web_acl(Path.cwd() / "rules" / "default-web-acl.json")
    seen.clear()
    evaluate(acl, FORM_POST_2KB)
    pset, value = max(seen, key=lambda c: (len(c[0].patterns), len(c[1])))  # type: ignore[attr-defined]
    utf8 = not value.isascii()
    dbs = e.hs_databases(m._entries(e.HyperscanBackend, pset.patterns, utf8), utf8)  # type: ignore[attr-defined]
    print("databases", [len(d[0]) for d in dbs], "utf8", utf8, "bytes", len(value.encode()))
    with open(out, "wb") as f:
        pickle.dump({"main": dbs[0], "data": value.encode("utf-8")}, f)


def _compile(job: tuple[str, str, str, list[int]]) -> None:
    import hyperscan

    pkl, out, name, drop = job
    with open(pkl, "rb") as f:
        exprs, flags, ids = pickle.load(f)["main"]
    keep = [i for i in range(len(exprs)) if i not in set(drop)]
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=[exprs[i] for i in keep], ids=[ids[i] for i in keep],
               elements=len(keep), flags=[flags[i] for i in keep])
    Path(out, f"{name}.db").write_bytes(hyperscan.dumpb(db))


def leaveout(pkl: str, out: str, groups: list[list[int]]) -> None:
    os.makedirs(out, exist_ok=True)
    jobs = [(pkl, out, "all", [])] + [(pkl, out, "drop_" + "_".join(map(str, g)), g) for g in groups]
    with ProcessPoolExecutor(2) as ex:
        list(ex.map(_compile, jobs))


def _child(dbdir: str, pkl: str, n: int) -> None:
    import hyperscan

    with open(pkl, "rb") as f:
        data = pickle.load(f)["data"]
    names = sorted(glob.glob(f"{dbdir}/*.db"))
    Path(dbdir, "order.txt").write_text("\n".join(names))
    for name in names:
        db = hyperscan.loadb(Path(name).read_bytes(), hyperscan.HS_MODE_BLOCK)
        scratch = hyperscan.Scratch(db)
        db.scan(data, None, 0, None, scratch)  # warm
        os.getppid()
        for _ in range(n):
            db.scan(data, None, 0, None, scratch)
        os.getppid()


def measure(dbdir: str, pkl: str, n: int) -> None:
    for f in glob.glob(f"{dbdir}/cg.out*"):
        os.remove(f)
    subprocess.run(["valgrind", "--tool=callgrind", "--dump-before=getppid",
                    f"--callgrind-out-file={dbdir}/cg.out", sys.executable, __file__, "child",
                    dbdir, pkl, str(n)], check=True, capture_output=True)
    names = Path(dbdir, "order.txt").read_text().split("\n")

    def total(path: str) -> int:
        with open(path) as f:
            return next(int(line.split()[1]) for line in f if line.startswith(("totals:", "summary:")))

    dumps = sorted(glob.glob(f"{dbdir}/cg.out.*"), key=lambda f: int(f.rsplit(".", 1)[1]))
    # dump 1: start-up; 2: db 0's scans; 3: db 1's load; 4: db 1's scans ...
    result = {Path(name).stem: total(dumps[2 * i + 1]) / n for i, name in enumerate(names)}
    for name, cost in sorted(result.items(), key=lambda kv: -kv[1]):
        print(f"{name}\t{cost:,.0f}")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "capture":
        capture(sys.argv[2])
    elif cmd == "leaveout":
        leaveout(sys.argv[2], sys.argv[3], eval(sys.argv[4]))  # noqa: S307 - a local tool's argument
    elif cmd == "measure":
        measure(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "child":
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
