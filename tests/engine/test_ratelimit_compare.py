"""Why the hybrid: the candidates measured on the same random arrivals (see docs/ratelimit.md).

Run ``python -m tests.engine.test_ratelimit_compare`` for the table in the design note. The
tests pin the facts the choice rests on: GCRA and the sliding-window counter over-admit in some
window of length W; the log and the ring never do.
"""

from __future__ import annotations

import random
import sys
from array import array
from dataclasses import dataclass, field

from tests.engine.test_ratelimit import ideal_greedy, max_in_window
from wafproxy.engine.ratelimit import BucketRing, ExactLog


@dataclass
class Gcra:
    """Generic cell rate algorithm with burst L: one float (theoretical arrival time) per key."""

    limit: int
    window_ms: int
    tat: float = 0.0

    def hit(self, now: int) -> bool:
        interval = self.window_ms / self.limit
        tat = max(self.tat, now)
        if tat - now > self.window_ms - interval:
            return False
        self.tat = tat + interval
        return True


@dataclass
class SlidingWindowCounter:
    """Two fixed windows, the previous one weighted by its overlap (Cloudflare/Envoy style)."""

    limit: int
    window_ms: int
    counts: dict[int, int] = field(default_factory=dict)

    def hit(self, now: int) -> bool:
        current = now // self.window_ms
        elapsed = (now % self.window_ms) / self.window_ms
        estimate = self.counts.get(current - 1, 0) * (1 - elapsed) + self.counts.get(current, 0)
        if estimate >= self.limit:
            return False
        self.counts = {current: self.counts.get(current, 0) + 1, current - 1: self.counts.get(current - 1, 0)}
        return True


def arrivals(seed: int, window_ms: int, n: int) -> list[int]:
    rng = random.Random(seed)
    t = 0
    out: list[int] = []
    while len(out) < n:
        t += int(rng.expovariate(1.0) * window_ms / rng.choice((1, 5, 50)))
        for _ in range(rng.choice((1, 3, 20))):
            t += rng.randrange(0, max(1, window_ms // 200))
            out.append(t)
    return out[:n]


def measure(name: str, limit: int, window_ms: int, seeds: range) -> tuple[int, float]:
    """Worst count in any window across seeds, and admitted / ideal-admitted."""
    worst = 0
    ours = ideal = 0
    for seed in seeds:
        arr = arrivals(seed, window_ms, 3000)
        if name == "gcra":
            lim_g = Gcra(limit, window_ms)
            allowed = [t for t in arr if lim_g.hit(t)]
        elif name == "swc":
            lim_s = SlidingWindowCounter(limit, window_ms)
            allowed = [t for t in arr if lim_s.hit(t)]
        else:
            limiter = ExactLog(limit, window_ms) if name == "log" else BucketRing(limit, window_ms)
            state = limiter.new_state(arr[0])
            allowed = [t for t in arr if limiter.hit(state, 0, t) == 0]
        worst = max(worst, max_in_window([float(t) for t in allowed], float(window_ms)))
        ours += len(allowed)
        ideal += len(ideal_greedy(arr, limit, window_ms))
    return worst, ours / ideal


def test_gcra_and_sliding_window_counter_over_admit() -> None:
    worst_gcra, _ = measure("gcra", 10, 60_000, range(5))
    worst_swc, _ = measure("swc", 10, 60_000, range(5))
    assert worst_gcra > 10
    assert worst_swc > 10


def test_log_and_ring_never_over_admit() -> None:
    for name, limit in (("log", 10), ("ring", 100)):
        worst, ratio = measure(name, limit, 60_000, range(5))
        assert worst <= limit
        assert ratio > 0.9


def main() -> None:
    print(f"{'algorithm':<10}{'L':>6}{'worst in W':>12}{'admitted/ideal':>16}{'state bytes':>13}")
    for limit in (1, 10, 16, 100):
        for name in ("log", "ring", "gcra", "swc"):
            if name == "ring" and limit < 17:
                continue
            worst, ratio = measure(name, limit, 60_000, range(10))
            if name in ("log", "ring"):  # bytes of the record in the per-rule slab
                limiter = ExactLog(limit, 60_000) if name == "log" else BucketRing(limit, 60_000)
                size = float(limiter.record_size * array(limiter.typecode).itemsize)
            else:  # the same slab layout: GCRA one float64 (TAT); SWC window id + two counters
                size = 8.0 if name == "gcra" else 12.0
            print(f"{name:<10}{limit:>6}{worst:>12}{ratio:>16.3f}{size:>13.0f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
