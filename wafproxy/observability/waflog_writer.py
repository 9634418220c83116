"""The WAF log as an ``EventSink``: never blocks the request, drops and counts when it must.

``emit`` runs on the request path (the event loop). It only applies the logging filter (a few
comparisons) and appends to a bounded queue; when the queue is full the event is dropped and
counted — waiting would turn a slow disk into slow responses for every client. A daemon thread
drains the queue in batches, builds records (redaction included), serialises them as one JSON
line each and hands them to the sink (stdout or a rotating file).

The queue is a ``deque`` the writer empties every ``_POLL_SECONDS`` (or as soon as it is half
full), not a ``queue.Queue``: ``put_nowait`` takes a lock and wakes the waiting writer thread on
every event, so each request paid a thread switch and a ``write`` of its own line (issue 11).
Lines now reach the file at most ``_POLL_SECONDS`` later, in the same order, byte for byte.

JSON escaping guarantees one record per line: attacker-supplied CR/LF in headers or URIs become
``\\r``/``\\n`` inside strings and cannot forge log lines.

With ``framing`` (``--waf-log-kms-key``) the file is encrypted on this same writer thread, one
data key per file (``sinks.EncryptedFileSink``). When no data key can be had (KMS unreachable,
key disabled) records are dropped and counted as ``kms_unavailable`` — never written in plaintext.
A failing disk (full, a file-size limit) drops and counts the batch as ``write_error``; the file is
cut back to its last whole line, and the streak is logged once when it starts and once when it ends.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable

from wafproxy.events import RequestEvent
from wafproxy.observability.logconfig import LoggingSettings
from wafproxy.observability.logging_filter import KEEP_ALL, LoggingFilter
from wafproxy.observability.redaction import DEFAULT_REDACTION, Redaction
from wafproxy.observability.sinks import FramingSource, KeysUnavailable, LineSink, PartlyWritten, open_sink
from wafproxy.observability.waflog import to_log_record
from wafproxy.observability.waflog_line import PlainLines

log = logging.getLogger(__name__)

MiB = 1024 * 1024
_BATCH_MAX = 512
_POLL_SECONDS = 0.1  # the longest a line waits in the queue while the writer is idle


class WafLogWriter:
    """Writes one AWS WAF log record per emitted event to ``target`` (``-`` for stdout).

    ``on_drop(reason, n)`` is told about dropped records (``WafMetrics.waf_log_dropped``);
    ``dropped``, ``filtered`` and ``written`` count them locally too.
    """

    def __init__(
        self,
        target: str,
        *,
        max_bytes: int = 100 * MiB,
        backups: int = 5,
        queue_size: int = 10000,
        redacted_fields: Redaction = DEFAULT_REDACTION,
        logging_filter: LoggingFilter = KEEP_ALL,
        web_acl_id: str | None = None,
        http_source_id: str = "wafproxy",
        on_drop: Callable[[str, int], None] | None = None,
        framing: FramingSource | None = None,
    ) -> None:
        if queue_size <= 0:
            raise ValueError("queue_size must be positive")
        self._sink: LineSink = open_sink(target, max_bytes=max_bytes, backups=backups, framing=framing)
        # Appended by ``emit`` (atomic, no lock), emptied by the writer thread only.
        self._queue: deque[RequestEvent] = deque()
        self._queue_size = queue_size
        self._wake_at = max(1, queue_size // 2)
        self._wake = threading.Event()
        self._closed = False  # a plain flag: ``Event.is_set`` is a Python call per request
        self._redaction = redacted_fields
        self._filter = logging_filter
        self._web_acl_id = web_acl_id
        self._http_source_id = http_source_id
        self._plain = PlainLines()  # the writer thread's: most lines, without building a record
        self._on_drop = on_drop
        self.dropped = 0
        self._drop_lock = threading.Lock()
        self.filtered = 0
        self.written = 0
        self._failing = False  # in a streak of failed writes (full disk): logged at its start and end
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="waf-log-writer", daemon=True)
        self._thread.start()

    def reconfigure(self, settings: LoggingSettings) -> None:
        """Apply a new ``PutLoggingConfiguration`` live. Each is one reference swap, so a record is
        built with the old or the new redaction, never a mix; events already queued passed the
        old filter and are written with the new redaction."""
        self._redaction = settings.redaction
        self._filter = settings.logging_filter
        if settings.resource_arn:
            self._web_acl_id = settings.resource_arn

    def emit(self, event: RequestEvent) -> None:
        if not self._filter.keep(event.decision):
            self.filtered += 1
            return
        if self._closed:
            self._drop("closed")
            return
        pending = self._queue
        n = len(pending)
        if n >= self._queue_size:
            self._drop("queue_full")
            return
        pending.append(event)
        if n + 1 == self._wake_at:  # filling fast: write now rather than at the next poll
            self._wake.set()

    def _drop(self, reason: str, n: int = 1) -> None:
        # Called from the request path and from the writer thread.
        with self._drop_lock:
            self.dropped += n
        if self._on_drop is not None:
            try:
                self._on_drop(reason, n)
            except Exception:  # noqa: BLE001 — counting must never fail the request
                log.debug("waf log drop hook failed", exc_info=True)

    def _line(self, event: RequestEvent) -> bytes:
        plain = self._plain.line(event, self._redaction, self._web_acl_id, self._http_source_id)
        if plain is not None:
            return plain
        record = to_log_record(
            event,
            redacted_fields=self._redaction,
            web_acl_id=self._web_acl_id,
            http_source_id=self._http_source_id,
        )
        return json.dumps(record, separators=(",", ":")).encode("ascii") + b"\n"

    def _run(self) -> None:
        pending = self._queue
        pop = pending.popleft
        while True:
            self._wake.wait(_POLL_SECONDS)
            self._wake.clear()
            closing = self._closing.is_set()  # read before draining: what close() left is written
            while pending:
                batch = [pop() for _ in range(min(len(pending), _BATCH_MAX))]
                self._write(batch)
            if closing:
                return

    def _write(self, batch: list[RequestEvent]) -> None:
        lines: list[bytes] = []
        for event in batch:
            try:
                lines.append(self._line(event))
            except Exception:  # noqa: BLE001 — one odd event must not stop the log
                log.warning("could not build a WAF log record", exc_info=False)
                self._drop("record_error")
        try:
            self._sink.write_lines(lines)
            self.written += len(lines)
            if self._failing:
                self._failing = False
                log.warning("WAF log writes resumed (%d records dropped so far)", self.dropped)
        except KeysUnavailable as exc:
            if exc.cause != "retrying later":  # at most once per retry interval
                log.warning("WAF log: %s", exc)  # the cause is an exception type name, no secrets
            self.written += len(lines) - exc.lost
            self._drop("kms_unavailable", exc.lost)
        except PartlyWritten as exc:  # encrypted: the records before the failed write are in
            self.written += len(lines) - exc.lost
            self._write_failed(exc.cause, exc.lost)
        except Exception as exc:  # noqa: BLE001 — the writer thread must outlive a bad disk
            self._write_failed(exc, len(lines))

    def _write_failed(self, exc: Exception, lost: int) -> None:
        if not self._failing:  # once per streak: a full disk must not flood the process log
            self._failing = True
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            log.warning("WAF log write failed, dropping records until it works again: %s", reason)
        self._drop("write_error", lost)

    def close(self, timeout: float = 10.0) -> None:
        """Stop accepting events, write what is queued, close the sink."""
        self._closed = True
        self._closing.set()
        self._wake.set()
        self._thread.join(timeout)
        if not self._thread.is_alive():  # else the thread is stuck in a write: leave it the file
            self._sink.close()

    def __enter__(self) -> WafLogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
