"""A wafproxy worker process for the multiprocess metrics test.

``python -m tests.observability.mp_worker observe N TS`` observes N blocked + N allowed events and
sets the non-request series; ``... render`` prints the merged exposition. Both need
``PROMETHEUS_MULTIPROC_DIR`` in the environment before Python starts.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from tests.observability import factories as f
    from wafproxy.observability.metrics import WafMetrics

    metrics = WafMetrics()
    if argv[0] == "render":
        body, content_type = metrics.render()
        sys.stdout.write(content_type + "\n" + body.decode())
        return 0
    n, ts = int(argv[1]), float(argv[2])
    for _ in range(n):
        metrics.emit(f.event())
        metrics.emit(f.event(f.allowed_decision(), upstream_seconds=0.003, response_status=200))
    metrics.open_connections.inc()
    metrics.open_connections.inc()
    metrics.open_connections.dec()
    metrics.ip_set_entries("blocklist", 7)
    metrics.config_reload("success", ts)
    metrics.fail_open("engine_error")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
