"""The metrics hot path (pre-bound series, binary-searched buckets) records exactly what
prometheus-client's own ``inc``/``observe`` record."""

from __future__ import annotations

import math
import random
from bisect import bisect_left

from prometheus_client import CollectorRegistry, Histogram

from wafproxy.observability.metric_families import EVALUATION_BUCKETS
from wafproxy.observability.metrics import _observer
from wafproxy.observability.plain_lane import first_at_least


def _samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for metric in registry.collect():
        for s in metric.samples:
            if s.name.endswith("_created"):
                continue
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_observer_matches_histogram_observe() -> None:
    amounts = [0.0, 5e-6, 5.1e-6, 1e-5, 3e-4, 0.25, 0.2500001, 7.0, math.inf, -1.0]
    amounts += [b for b in EVALUATION_BUCKETS] + [b * 1.0000001 for b in EVALUATION_BUCKETS]
    ref_reg, fast_reg = CollectorRegistry(), CollectorRegistry()
    ref = Histogram("h", "h", ["a"], buckets=EVALUATION_BUCKETS, registry=ref_reg).labels("x")
    fast_child = Histogram("h", "h", ["a"], buckets=EVALUATION_BUCKETS, registry=fast_reg).labels("x")
    fast = _observer(fast_child)
    assert fast is not fast_child.observe  # the fast path is in use
    for amount in amounts:
        ref.observe(amount)
        fast(amount)
    assert _samples(fast_reg) == _samples(ref_reg)


def test_observer_nan_goes_where_prometheus_puts_it() -> None:
    ref_reg, fast_reg = CollectorRegistry(), CollectorRegistry()
    ref = Histogram("h", "h", buckets=(1.0, 2.0), registry=ref_reg)
    fast = _observer(Histogram("h", "h", buckets=(1.0, 2.0), registry=fast_reg))
    ref.observe(math.nan)
    fast(math.nan)
    a, b = _samples(ref_reg), _samples(fast_reg)
    assert a.keys() == b.keys()
    for key in a:
        assert (math.isnan(a[key]) and math.isnan(b[key])) or a[key] == b[key], key


def test_first_at_least_is_bisect_left() -> None:
    """The lane's bucket search (``plain_lane.first_at_least``) picks ``bisect_left``'s bucket: on
    the bounds, between them, past them, for empty and one-bound lists."""
    rng = random.Random(5)
    cases = [list(EVALUATION_BUCKETS), [1.0], [], [0.0, 0.0, 1.0, math.inf], [-1.0, 2.5, 1e9]]
    for bounds in cases:
        amounts = [*bounds, *(b * 1.0000001 for b in bounds), *(b - 1e-12 for b in bounds), -math.inf,
                   math.inf, 0.0, *(rng.uniform(-10, 10) for _ in range(200)),
                   *(rng.random() for _ in range(200))]
        for amount in amounts:
            assert first_at_least(bounds, amount) == bisect_left(bounds, amount), (bounds, amount)
