"""Live traffic for the console: requests per second by action, top blocked rules/IPs/countries,
hit counts per rule — an ``EventSink`` on the dispatcher, O(1) per request, bounded everywhere.

Actions are the console's five: ALLOW, BLOCK, COUNT (allowed, but a COUNT rule matched), CHALLENGE
(CAPTCHA or CHALLENGE) and RATE_LIMITED (blocked by a rate-based rule). Seconds are kept for
``HISTORY_SECONDS``; rule, IP and country tables are capped (``MAX_KEYS``) and count what they
could not hold, so a scan from a million addresses costs a fixed amount of memory.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from wafproxy.engine.decision import DEFAULT_ACTION_RULE_ID, Action, RuleType
from wafproxy.events import RequestEvent

ACTIONS = ("ALLOW", "BLOCK", "COUNT", "CHALLENGE", "RATE_LIMITED")
HISTORY_SECONDS = 600
MAX_KEYS = 10_000
_COUNTRY_LABEL = "awswaf:clientip:geo:country:"


def action_of(event: RequestEvent) -> str:
    d = event.decision
    if d.action is Action.BLOCK:
        return "RATE_LIMITED" if d.terminating_rule_type is RuleType.RATE_BASED else "BLOCK"
    if d.action in (Action.CAPTCHA, Action.CHALLENGE):
        return "CHALLENGE"
    if d.non_terminating and any(m.action is Action.COUNT for m in d.non_terminating):
        return "COUNT"
    return "ALLOW"


class _Counter:
    """A capped counter table: new keys beyond ``cap`` are counted in ``dropped``, not stored."""

    def __init__(self, cap: int = MAX_KEYS) -> None:
        self.cap = cap
        self.counts: dict[str, int] = {}
        self.dropped = 0

    def add(self, key: str, n: int = 1) -> None:
        if key in self.counts:
            self.counts[key] += n
        elif len(self.counts) < self.cap:
            self.counts[key] = n
        else:
            self.dropped += n

    def top(self, n: int) -> list[tuple[str, int]]:
        return sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


class TrafficStats:
    """Implements ``ports.EventSink``; the console reads ``series``/``top``/``rule_hits``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seconds: deque[tuple[int, dict[str, int]]] = deque(maxlen=HISTORY_SECONDS)
        self.blocked_rules = _Counter()
        self.blocked_ips = _Counter()
        self.blocked_countries = _Counter(1024)
        self.rule_hits = _Counter(4096)
        self.total = 0

    def emit(self, event: RequestEvent) -> None:
        action = action_of(event)
        second = int(event.timestamp)
        d = event.decision
        with self._lock:
            self.total += 1
            if not self._seconds or self._seconds[-1][0] < second:
                self._seconds.append((second, dict.fromkeys(ACTIONS, 0)))
            last = self._seconds[-1]  # this second's, but for a late event (no generator per request)
            bucket = last[1] if last[0] <= second else next(
                (c for s, c in reversed(self._seconds) if s <= second), None)
            if bucket is not None:  # None: older than the history (a late event), not charted
                bucket[action] += 1
            if d.terminating_rule_id != DEFAULT_ACTION_RULE_ID:
                self.rule_hits.add(d.terminating_rule_id)
            for m in d.non_terminating:
                self.rule_hits.add(m.rule_group or m.rule_name)
            if action in ("BLOCK", "RATE_LIMITED"):
                self.blocked_rules.add(d.terminating_rule_id)
                self.blocked_ips.add(event.request.client_ip)
                country = next(
                    (lb[len(_COUNTRY_LABEL) :] for lb in d.labels if lb.startswith(_COUNTRY_LABEL)), ""
                )
                self.blocked_countries.add(country or "unknown")

    def series(self, now: float, seconds: int = 120) -> dict[str, Any]:
        """Counts per second for the last ``seconds`` (zeros where nothing happened)."""
        end = int(now)
        start = end - seconds + 1
        with self._lock:
            known = {s: dict(c) for s, c in self._seconds if s >= start}
        rows = [known.get(s, dict.fromkeys(ACTIONS, 0)) for s in range(start, end + 1)]
        return {
            "start": start,
            "end": end,
            "actions": list(ACTIONS),
            "counts": {a: [r[a] for r in rows] for a in ACTIONS},
        }

    def top(self, n: int = 10) -> dict[str, Any]:
        with self._lock:
            return {
                "rules": self.blocked_rules.top(n),
                "ips": self.blocked_ips.top(n),
                "countries": self.blocked_countries.top(n),
                "total": self.total,
                "dropped_ips": self.blocked_ips.dropped,
            }

    def hits(self) -> dict[str, int]:
        with self._lock:
            return dict(self.rule_hits.counts)
