"""Long fuzz runs of the targets in ``tests/fuzz/targets.py``; prints executions per target.

    python load_tests/fuzz.py --seconds 600                  # every target, our mutation loop
    python load_tests/fuzz.py --seconds 600 --atheris        # coverage-guided (atheris/libFuzzer)
    python load_tests/fuzz.py --seconds 60 --targets json sigv4

Crashing inputs are written to ``--crash-dir`` (one file per input, named by target and hash);
each one found becomes a case in ``tests/fuzz/test_regressions.py``. Exit status 1 on any crash.
With ``--atheris`` every target runs in its own process under libFuzzer, instrumented for coverage
(``-timeout=1``: a hang over 1 s is a crash; ``-rss_limit_mb``: so is memory over the bound).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RSS_LIMIT_MB = 2048


def _save(crash_dir: Path, name: str, data: bytes) -> Path:
    crash_dir.mkdir(parents=True, exist_ok=True)
    path = crash_dir / f"{name}-{hashlib.sha1(data).hexdigest()[:12]}.bin"  # noqa: S324 - a file name
    path.write_bytes(data)
    return path


def run_loop(names: list[str], seconds: float, seed: int, crash_dir: Path) -> int:
    from tests.fuzz.harness import fuzz
    from tests.fuzz.targets import target

    failed = 0
    print(f"{'target':<18}{'executions':>12}{'exec/s':>10}{'crashes':>9}")
    for name in names:
        stats = fuzz(target(name), seconds=seconds, seed=seed)
        print(f"{name:<18}{stats.execs:>12}{stats.per_second:>10.0f}{len(stats.crashes):>9}", flush=True)
        seen: set[str] = set()
        for crash in stats.crashes:
            where = crash.detail.strip().splitlines()[-1]
            if where not in seen:  # one example per distinct error
                seen.add(where)
                print(f"  {crash.kind}: {where}\n  input saved to {_save(crash_dir, name, crash.data)}")
        failed += bool(stats.crashes)
    return 1 if failed else 0


def atheris_child(name: str, seconds: float, crash_dir: Path) -> None:
    """One target under libFuzzer (this process is replaced by its loop, then exits)."""
    import atheris

    with atheris.instrument_imports(include=["wafproxy"]):
        from tests.fuzz.targets import target
    t = target(name)

    def one_input(data: bytes) -> None:
        try:
            t.run(data)
        except t.expected as exc:
            if t.check is not None:
                t.check(exc)

    corpus = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-"))
    for i, seed in enumerate(t.seeds):
        (corpus / f"seed-{i}").write_bytes(seed)
    crash_dir.mkdir(parents=True, exist_ok=True)
    flags = [f"-max_total_time={int(seconds)}", "-timeout=1", f"-rss_limit_mb={RSS_LIMIT_MB}",
             f"-artifact_prefix={crash_dir}/{name}-", "-print_final_stats=1"]
    atheris.Setup([sys.argv[0], *flags, str(corpus)], one_input)
    atheris.Fuzz()


def run_atheris(names: list[str], seconds: float, crash_dir: Path) -> int:
    failed = 0
    print(f"{'target':<18}{'executions':>12}{'exec/s':>10}{'crashes':>9}")
    for name in names:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--atheris-child", name, "--seconds", str(seconds),
                               "--crash-dir", str(crash_dir)], capture_output=True, text=True, cwd=REPO)
        elapsed = time.perf_counter() - started
        runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", proc.stderr)
        execs = int(runs.group(1)) if runs else 0
        crashed = proc.returncode != 0
        print(f"{name:<18}{execs:>12}{execs / elapsed:>10.0f}{int(crashed):>9}", flush=True)
        if crashed:
            failed += 1
            print("\n".join(proc.stderr.splitlines()[-30:]))
    return 1 if failed else 0


def main() -> int:
    from tests.fuzz.targets import BUILDERS

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="per target")
    parser.add_argument("--targets", nargs="*", default=sorted(BUILDERS), choices=sorted(BUILDERS))
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--crash-dir", type=Path, default=REPO / "load_tests" / "fuzz-crashes")
    parser.add_argument("--atheris", action="store_true", help="coverage-guided, one process per target")
    parser.add_argument("--atheris-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.atheris_child:
        atheris_child(args.atheris_child, args.seconds, args.crash_dir)
        return 0
    if args.atheris:
        return run_atheris(args.targets, args.seconds, args.crash_dir)
    print(f"seed {args.seed}")
    return run_loop(args.targets, args.seconds, args.seed, args.crash_dir)


if __name__ == "__main__":
    sys.exit(main())
