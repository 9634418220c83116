"""The rate-limit algorithm: exactness (property tests with random arrivals) and edge cases."""

from __future__ import annotations

import random
from collections import deque

import pytest

from wafproxy.engine.ratelimit import BucketRing, ExactLog, RateLimitError, choose, to_ms


def max_in_window(allowed: list[float], window: float) -> int:
    """Largest number of allowed timestamps inside any half-open window [s, s + window)."""
    best = 0
    start = 0
    for end, t in enumerate(allowed):
        while t - allowed[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def ideal_greedy(arrivals_ms: list[int], limit: int, window_ms: int) -> list[int]:
    """Reference: let a request through iff fewer than ``limit`` allowed ones are < window_ms old."""
    kept: deque[int] = deque()
    out: list[int] = []
    for t in arrivals_ms:
        while kept and t - kept[0] >= window_ms:
            kept.popleft()
        if len(kept) < limit:
            kept.append(t)
            out.append(t)
    return out


def run(limiter: ExactLog | BucketRing, arrivals: list[float]) -> list[float]:
    state = limiter.new_state(to_ms(arrivals[0]))
    return [t for t in arrivals if limiter.hit(state, 0, to_ms(t)) == 0]


def random_arrivals(rng: random.Random, window: float, n: int, start: float = 1_764_000_000.0) -> list[float]:
    """Bursty arrivals: clusters of near-simultaneous requests separated by random gaps."""
    t = start
    out: list[float] = []
    while len(out) < n:
        t += rng.expovariate(1.0) * window / rng.choice((1, 5, 50))
        for _ in range(rng.choice((1, 1, 3, 20))):
            t += rng.random() * window / 1000
            out.append(t)
    return out[:n]


@pytest.mark.parametrize("seed", range(12))
def test_never_more_than_limit_in_any_window(seed: int) -> None:
    rng = random.Random(seed)
    limit = rng.choice((1, 2, 3, 10, 16, 17, 50, 100, 1000))
    window = rng.choice((1, 2, 7, 60, 300, 3600))
    limiter = choose(limit, window)
    arrivals = random_arrivals(rng, window, 4000 if limit < 100 else 12000)
    allowed = run(limiter, arrivals)
    assert allowed, "nothing let through"
    assert max_in_window(allowed, window) <= limit


@pytest.mark.parametrize("limit", [1, 2, 5, 16])
def test_exact_log_matches_the_ideal_limiter(limit: int) -> None:
    # Integer-ms arrivals: ours counts an entry while its age <= W ms, the ideal while < W ms,
    # so ours equals the ideal limiter with a window 1 ms longer (the quantisation cost).
    rng = random.Random(limit)
    window_ms = 1000
    arrivals = sorted(rng.randrange(0, 20_000) for _ in range(3000))
    limiter = ExactLog(limit, window_ms)
    state = limiter.new_state(arrivals[0])
    ours = [t for t in arrivals if limiter.hit(state, 0, t) == 0]
    assert ours == ideal_greedy(arrivals, limit, window_ms + 1)


def test_request_limit_plus_one_is_refused_at_once() -> None:
    for limit in (1, 10, 16, 17, 500):
        limiter = choose(limit, 60)
        state = limiter.new_state(5_000)
        verdicts = [limiter.hit(state, 0, 5_000) for _ in range(limit + 1)]
        assert verdicts[:limit] == [0] * limit
        assert verdicts[limit] > 0


def test_retry_after_is_when_a_request_would_be_let_through() -> None:
    for limit in (3, 40):
        limiter = choose(limit, 10)
        state = limiter.new_state(0)
        for t in range(limit):
            assert limiter.hit(state, 0, 1_000 + t) == 0
        wait = limiter.hit(state, 0, 2_000)
        assert wait > 0
        assert limiter.hit(state, 0, 2_000 + wait - 1) > 0
        assert limiter.hit(state, 0, 2_000 + wait) == 0


def test_bucket_ring_is_at_most_one_bucket_late() -> None:
    # Steady traffic at 4x the limit for 20 windows: a bucket ring lets through at least
    # B / (B + 1) of what the ideal limiter does (it counts a request one bucket too long).
    limiter = BucketRing(100, 10_000)
    arrivals = list(range(0, 200_000, 25))
    state = limiter.new_state(0)
    ours = [t for t in arrivals if limiter.hit(state, 0, t) == 0]
    ideal = ideal_greedy(arrivals, 100, 10_000)
    assert len(ours) <= len(ideal)
    assert len(ours) >= len(ideal) * 31 / 32 - 100


def test_clock_stepping_back_never_lets_extra_requests_through() -> None:
    for limiter in (choose(3, 10), choose(40, 10)):
        state = limiter.new_state(100_000)
        allowed = sum(limiter.hit(state, 0, 100_000) == 0 for _ in range(limiter.limit))
        assert allowed == limiter.limit
        assert limiter.hit(state, 0, 95_000) > 0  # 5 s in the past: still over the limit


def test_timestamps_wrap_modulo_two_to_the_32() -> None:
    wrap = 1 << 32
    for limiter in (choose(2, 1), choose(20, 1)):
        state = limiter.new_state(wrap - 500)
        allowed = [t for t in range(wrap - 500, wrap + 2500, 10) if limiter.hit(state, 0, t) == 0]
        assert max_in_window([t / 1000 for t in allowed], 1.0) <= limiter.limit
        assert len(allowed) >= 2 * limiter.limit


def test_idle_and_count() -> None:
    for limiter in (choose(5, 2), choose(50, 2)):
        state = limiter.new_state(0)
        for _ in range(3):
            limiter.hit(state, 0, 10)
        assert limiter.count(state, 0, 10) == 3
        assert not limiter.is_idle(state, 0, 1_000)
        assert limiter.is_idle(state, 0, 2_200)
        assert limiter.count(state, 0, 2_200) == 0


@pytest.mark.parametrize(
    ("limit", "window", "path"),
    [(0, 60, "Limit"), (10, 0, "EvaluationWindowSec"), (10, 3601, "EvaluationWindowSec"), (1.5, 60, "Limit")],
)
def test_invalid_parameters_name_their_field(limit: int, window: int, path: str) -> None:
    with pytest.raises(RateLimitError) as info:
        choose(limit, window)
    assert info.value.path == path


def test_choice_between_log_and_ring() -> None:
    assert isinstance(choose(16, 60), ExactLog)
    assert isinstance(choose(17, 60), BucketRing)
    with pytest.raises(RateLimitError):
        choose(100, 60, buckets=32)
