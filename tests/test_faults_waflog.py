"""The WAF log's disk fills up under a real ``wafproxy serve``: records are dropped and counted,
requests are answered as before, the file never holds a torn line, and logging resumes when there
is room again.

The full disk is real kernel behaviour without root: ``RLIMIT_FSIZE`` lowered on the running
process (``prlimit``) just above the log's size, so ``write(2)`` first writes what fits, then
fails with ``EFBIG`` (CPython ignores ``SIGXFSZ``), as a filling disk writes part of a buffer then
fails with ``ENOSPC``. Raising the limit again is the disk freed. ``/dev/full`` (every write fails
with ``ENOSPC``) is the second case, through the writer directly."""

from __future__ import annotations

import json
import resource
from pathlib import Path

import httpx

from tests.asgi.test_middleware import acl_document
from tests.observability import factories as f
from tests.support.servers import RunningServer, free_port, uvicorn_in_thread, wafproxy_process
from tests.support.wait import DEADLINE, until
from tests.test_integration_control import upstream_app
from wafproxy.observability.waflog_writer import WafLogWriter

DROPPED = 'wafproxy_waf_log_records_dropped_total{reason="write_error"}'


def metric(admin: int, name: str) -> float:
    for line in httpx.get(f"http://127.0.0.1:{admin}/metrics", timeout=DEADLINE).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def records(log: Path) -> list[dict[str, object]]:
    """Every line of the log as JSON: a torn line fails the test here."""
    return [json.loads(line) for line in log.read_bytes().splitlines()]


def test_full_disk_drops_and_counts_serves_on_and_resumes_with_whole_lines(tmp_path: Path) -> None:
    (tmp_path / "acl.json").write_text(json.dumps(acl_document()))
    log = tmp_path / "waf.log"
    port, admin = free_port(), free_port()
    with uvicorn_in_thread(upstream_app) as upstream:
        assert isinstance(upstream, RunningServer)
        args = ("serve", "--upstream", upstream.url, "--acl", str(tmp_path / "acl.json"),
                "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                "--waf-log", str(log))
        with wafproxy_process(*args, wait_ports=(port, admin)) as proc, \
                httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=DEADLINE) as client:
            sent = 0

            def burst(n: int, path: str) -> None:
                nonlocal sent
                statuses = {client.get(f"{path}/{i}").status_code for i in range(n)}
                assert statuses == {200}  # logging never fails or blocks a request
                sent += n

            burst(10, "/before")
            until(lambda: len(records(log)) == 10, what="10 records written")
            size = log.stat().st_size
            _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
            # Room for part of one more record: the next write is cut short, then refused.
            resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (size + 300, hard))
            try:
                for _ in range(5):
                    burst(20, "/full")
                until(lambda: metric(admin, DROPPED) >= 1, what="dropped records counted")
                until(lambda: metric(admin, DROPPED) + len(records(log)) == sent,
                      what="every record written or counted as dropped")
                assert log.stat().st_size <= size + 300
            finally:
                resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (hard, hard))  # the disk freed
            burst(5, "/after")
            until(lambda: sum(1 for r in records(log) if "/after/" in str(r["httpRequest"])) == 5,
                  what="records written again after the disk freed")
            dropped = metric(admin, DROPPED)
            assert dropped >= 1 and dropped + len(records(log)) == sent
            assert all(r["httpRequest"]["uri"].startswith(("/before/", "/full/", "/after/"))  # type: ignore[index]
                       for r in records(log))
            client.close()  # no idle keep-alive connection for the graceful stop to wait on
            proc.terminate()
            proc.wait(DEADLINE)
            assert proc.stdout is not None
            output = proc.stdout.read().decode()
    assert output.count("WAF log write failed") == 1, output  # once per streak, not per batch
    assert "File too large" in output and "WAF log writes resumed" in output


def test_dev_full_drops_every_record_and_counts_them() -> None:
    drops: list[tuple[str, int]] = []
    writer = WafLogWriter("/dev/full", on_drop=lambda reason, n: drops.append((reason, n)))
    try:
        for _ in range(30):
            writer.emit(f.event())
        until(lambda: writer.dropped == 30, what="30 records dropped")
    finally:
        writer.close()
    assert writer.written == 0
    assert {reason for reason, _ in drops} == {"write_error"} and sum(n for _, n in drops) == 30
