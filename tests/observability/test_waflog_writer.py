"""WafLogWriter: JSON lines to a file or stdout, size rotation, and a full queue that drops."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from tests.observability import factories as f
from tests.support.servers import REPO
from wafproxy.observability.logging_filter import parse_logging_filter
from wafproxy.observability.metrics import WafMetrics
from wafproxy.observability.redaction import REDACTED
from wafproxy.observability.waflog_writer import WafLogWriter


def read_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_one_json_line_per_request_to_a_file(tmp_path: Path) -> None:
    path = tmp_path / "waf.log"
    with WafLogWriter(str(path), web_acl_id="arn:aws:wafv2:::regional/webacl/main/1") as w:
        for i in range(50):
            w.emit(f.event(request=f.request(request_id=f"r{i}")))
    records = read_lines(path)
    assert [r["httpRequest"]["requestId"] for r in records] == [f"r{i}" for i in range(50)]  # type: ignore[index]
    assert all(r["webaclId"] == "arn:aws:wafv2:::regional/webacl/main/1" for r in records)
    assert w.written == 50 and w.dropped == 0
    text = path.read_text()
    assert f.SECRET_TOKEN not in text and f.SESSION not in text and REDACTED in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_logging_filter_keeps_only_blocked(tmp_path: Path) -> None:
    path = tmp_path / "waf.log"
    lf = parse_logging_filter(
        {
            "DefaultBehavior": "DROP",
            "Filters": [
                {
                    "Behavior": "KEEP",
                    "Requirement": "MEETS_ANY",
                    "Conditions": [{"ActionCondition": {"Action": "BLOCK"}}],
                }
            ],
        }
    )
    with WafLogWriter(str(path), logging_filter=lf) as w:
        w.emit(f.event(f.allowed_decision()))
        w.emit(f.event())
        w.emit(f.event(f.allowed_decision()))
    assert [r["action"] for r in read_lines(path)] == ["BLOCK"]
    assert w.filtered == 2


def test_size_rotation_keeps_whole_lines_and_n_backups(tmp_path: Path) -> None:
    path = tmp_path / "waf.log"
    with WafLogWriter(str(path), max_bytes=4096, backups=2, queue_size=1000) as w:
        for i in range(200):
            w.emit(f.event(request=f.request(request_id=f"r{i}")))
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["waf.log", "waf.log.1", "waf.log.2"]
    for name in files:
        p = tmp_path / name
        assert p.stat().st_size <= 4096
        read_lines(p)  # every line parses: nothing split across files
    # The newest records are kept, in order, across waf.log.2 → waf.log.1 → waf.log.
    ids = [
        r["httpRequest"]["requestId"]
        for n in ("waf.log.2", "waf.log.1", "waf.log")
        for r in read_lines(tmp_path / n)
    ]  # type: ignore[index]
    assert ids == [f"r{i}" for i in range(200 - len(ids), 200)]
    assert 0 < len(ids) < 200


def test_full_queue_drops_and_counts_instead_of_blocking(tmp_path: Path) -> None:
    """The writer thread is stuck on a pipe nobody reads: emit must still return at once."""
    fifo = tmp_path / "waf.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader that does not read (yet)
    metrics = WafMetrics()
    w = WafLogWriter(str(fifo), queue_size=8, on_drop=metrics.waf_log_dropped)
    total = 3000  # ~3 MB of records: far more than the 64 KiB pipe buffer plus the queue
    done = threading.Event()

    def produce() -> None:
        for _ in range(total):
            w.emit(f.event())
        done.set()

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    producer.join(timeout=60)
    assert done.is_set(), "emit blocked on a full queue"
    assert w.dropped > 0
    body = metrics.render()[0].decode()
    assert f'wafproxy_waf_log_records_dropped_total{{reason="queue_full"}} {float(w.dropped)}' in body
    # Drain the pipe until the writer closes it (EOF), and account for every event.
    chunks: list[bytes] = []

    def drain() -> None:
        os.set_blocking(reader, True)
        while chunk := os.read(reader, 1 << 16):
            chunks.append(chunk)

    drainer = threading.Thread(target=drain, daemon=True)
    drainer.start()
    w.close()
    drainer.join(timeout=30)
    assert not drainer.is_alive()
    os.close(reader)
    lines = b"".join(chunks).splitlines()
    assert all(json.loads(line)["action"] == "BLOCK" for line in lines)
    assert len(lines) == w.written
    assert w.written + w.dropped == total


def test_stdout_target_in_a_real_process() -> None:
    code = (
        "from tests.observability import factories as f\n"
        "from wafproxy.observability.waflog_writer import WafLogWriter\n"
        "w = WafLogWriter('-')\n"
        "[w.emit(f.event()) for _ in range(3)]\n"
        "w.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=60, check=True)
    records = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert len(records) == 3 and all(r["formatVersion"] == 1 for r in records)


def test_failed_rotation_keeps_writing_instead_of_losing_records(tmp_path: Path) -> None:
    path = tmp_path / "waf.log"
    (tmp_path / "waf.log.1").mkdir()  # a directory in the way: os.replace fails
    (tmp_path / "waf.log.1" / "keep").write_text("x")
    with WafLogWriter(str(path), max_bytes=4096, backups=1) as w:
        for i in range(40):
            w.emit(f.event(request=f.request(request_id=f"r{i}")))
    assert w.dropped == 0 and w.written == 40
    assert [r["httpRequest"]["requestId"] for r in read_lines(path)] == [f"r{i}" for i in range(40)]  # type: ignore[index]
    sink = w._sink
    assert sink.rotation_errors >= 1 and sink.rotations == 0  # type: ignore[attr-defined]
