"""The soak's CI version: ``load_tests/soak.py`` for 60 s (same code as the 30-minute run) against
a real ``wafproxy serve`` with Redis: 8 s of closed-loop calibration, then open loop at half the
measured maximum (the 30-minute run drives 80%; CI machines vary more within a minute than the
soak can absorb), reloading the ACL every 15 s and restarting Redis twice: no benign request
fails, no attack passes, every reload is applied. Marked ``slow`` (~90 s); ``.ci/run`` runs every
marker."""

from __future__ import annotations

import pytest

from load_tests.soak import parse_args, print_report, soak


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_one_minute_soak() -> None:
    summary = soak(
        parse_args(["--minutes", "1", "--calibrate", "8", "--load", "0.5", "--reload-every", "15"])
    )
    print_report(summary)
    assert summary.calibration is not None and summary.calibration.max_rps > 0
    assert summary.rate == round(summary.calibration.max_rps * 0.5, 1)
    assert summary.sent > 300  # how many a busy machine's generator sends is not asserted: no timing
    assert summary.redis_restarts == 2 and summary.reloads >= 3
    assert summary.failed_benign == 0, (summary.calibration, summary.per_minute)
    assert summary.attacks_passed == 0, (summary.calibration, summary.per_minute)
    assert all(rss > 0 for _, rss in summary.rss_mb)
    assert all(row["rss_mb"] and row["p99_ms"] >= row["p50_ms"] for row in summary.per_minute)
