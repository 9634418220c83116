"""``python -m load_tests.soak_trace DIR``: what grew in the proxy between its first and last
tracemalloc snapshot of a ``soak.py --tracemalloc DIR`` run, largest growth first."""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path


def main(directory: Path, top: int = 25) -> None:
    snapshots = sorted(directory.glob("snapshot-*.bin"), key=lambda p: int(p.stem.split("-")[1]))
    if len(snapshots) < 2:
        raise SystemExit(f"{directory}: need two snapshots, found {len(snapshots)}")
    first, last = (tracemalloc.Snapshot.load(str(p)) for p in (snapshots[0], snapshots[-1]))
    print(f"traced: {sum(s.size for s in first.statistics('filename')) / 1e6:.1f} MB -> "
          f"{sum(s.size for s in last.statistics('filename')) / 1e6:.1f} MB")
    for kind in ("lineno", "traceback"):
        print(f"\n== top {top} by {kind} ==")
        for stat in last.compare_to(first, kind)[:top]:
            where = stat.traceback[-1]  # frames run from the oldest to the most recent
            grew = f"{stat.size_diff / 1024:+10.1f} KiB {stat.count_diff:+8d} blocks"
            print(f"{grew}  {where.filename}:{where.lineno}")
            if kind == "traceback":
                for frame in list(stat.traceback)[-8:-1]:
                    print(f"{'':>20}from {frame.filename}:{frame.lineno}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
