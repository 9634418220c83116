"""``GetSampledRequests``: a bounded ring of recent requests per rule, fed by the request events.

An ``EventSink`` (subscribe it to the ``EventDispatcher``): ``emit`` copies the few fields a
``SampledHTTPRequest`` shows into a compact ``Sample`` (never the body; ``Authorization`` and
``Cookie`` values redacted, like the WAF log) and appends it to the ring of every rule that matched,
to the ring of the web ACL (every request) and, when no rule terminated, to ``Default_Action``.
Bounded everywhere: ``per_rule`` samples per ring, ``max_rules`` rings, and per sample at most 64
headers within a 4 KiB budget and a 2 KiB URI, so the worst case is ~``per_rule × max_rules × 6 KiB``
(150 MiB at the defaults; a few MiB in practice, since the rings of one event share its headers and
there is one ring per rule that actually matches).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from wafproxy.engine.decision import DEFAULT_ACTION_RULE_ID
from wafproxy.events import RequestEvent
from wafproxy.slotinit import positional_init

ALL_REQUESTS = "*"
REDACTED_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
MAX_HEADERS = 64
HEADER_BUDGET = 4096  # bytes of names + values kept per sample
MAX_URI = 2048


@dataclass(frozen=True, slots=True)
class Sample:
    timestamp: float
    client_ip: str
    uri: str
    method: str
    http_version: str
    headers: tuple[tuple[str, str], ...]
    action: str
    rule_within_group: str | None
    response_code: int
    labels: tuple[str, ...]
    inserted: tuple[tuple[str, str], ...]

    def to_shape(self) -> dict[str, Any]:
        """The ``SampledHTTPRequest`` shape."""
        out: dict[str, Any] = {
            "Request": {
                "ClientIP": self.client_ip,
                "Country": "",
                "URI": self.uri,
                "Method": self.method,
                "HTTPVersion": f"HTTP/{self.http_version}",
                "Headers": [{"Name": n, "Value": v} for n, v in self.headers],
            },
            "Weight": 1,
            "Timestamp": datetime.fromtimestamp(self.timestamp, UTC),
            "Action": self.action,
            "ResponseCodeSent": self.response_code,
            "Labels": [{"Name": label} for label in self.labels],
        }
        if self.rule_within_group:
            out["RuleNameWithinRuleGroup"] = self.rule_within_group
        if self.inserted:
            out["RequestHeadersInserted"] = [{"Name": n, "Value": v} for n, v in self.inserted]
        return out


# Once or twice per request: filled through the slots (``slotinit``), not the frozen ``__init__``.
_new_sample = positional_init(Sample, [f.name for f in fields(Sample)])


class RequestSampler:
    """Implements ``ports.EventSink``; O(rules matched) per request, no I/O, never blocks."""

    def __init__(self, *, per_rule: int = 200, max_rules: int = 128) -> None:
        self.per_rule = per_rule
        self.max_rules = max_rules
        self._rings: dict[str, deque[Sample]] = {}
        self._lock = threading.Lock()
        self.dropped_rules = 0  # rings refused by the ``max_rules`` cap

    def emit(self, event: RequestEvent) -> None:
        d = event.decision
        req = event.request
        headers = _bounded_headers(req.headers)
        uri = req.uri_path + (f"?{req.query_string}" if req.query_string else "")

        def sample(action: str, within: str | None) -> Sample:
            return _new_sample(
                event.timestamp,
                req.client_ip,
                uri[:MAX_URI],
                req.method,
                req.http_version,
                headers,
                action,
                within,
                event.response_status,
                d.labels,
                d.inserted_headers,
            )

        keyed: list[tuple[str, Sample]] = [(ALL_REQUESTS, sample(d.action.value, None))]
        if d.terminating_rule_id == DEFAULT_ACTION_RULE_ID:
            keyed.append((DEFAULT_ACTION_RULE_ID, keyed[0][1]))
        else:
            keyed.append((d.terminating_rule_id, sample(d.action.value, d.terminating_group_rule_id)))
        for m in d.non_terminating:
            key = m.rule_group or m.rule_name
            keyed.append((key, sample(m.action.value, m.rule_name if m.rule_group else None)))
        with self._lock:
            for key, s in keyed:
                ring = self._rings.get(key)
                if ring is None:
                    if len(self._rings) >= self.max_rules:
                        self.dropped_rules += 1
                        continue
                    ring = self._rings[key] = deque(maxlen=self.per_rule)
                ring.append(s)

    def samples(self, key: str, start: float, end: float, max_items: int) -> tuple[list[Sample], int]:
        """The newest ``max_items`` samples of ``key`` in [start, end], and how many were in it."""
        with self._lock:
            ring = list(self._rings.get(key, ()))
        inside = [s for s in ring if start <= s.timestamp <= end]
        return inside[-max_items:], len(inside)


def _bounded_headers(raw: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    budget = HEADER_BUDGET
    for name, value in raw[:MAX_HEADERS]:
        if name.lower() in REDACTED_HEADERS:
            value = "<redacted>"
        name, value = name[:budget], value[: max(0, budget - len(name))]
        budget -= len(name) + len(value)
        out.append((name, value))
        if budget <= 0:
            break
    return tuple(out)


def rule_key(metric_name: str, web_acl: Mapping[str, Any]) -> str | None:
    """``RuleMetricName`` → ring key: a rule's ``VisibilityConfig.MetricName`` (or its name), or the
    web ACL's own metric name for every request. None when the ACL has no such metric."""
    acl_metric = (web_acl.get("VisibilityConfig") or {}).get("MetricName")
    if metric_name == acl_metric:
        return ALL_REQUESTS
    if metric_name == DEFAULT_ACTION_RULE_ID:
        return DEFAULT_ACTION_RULE_ID
    for rule in web_acl.get("Rules") or []:
        if (rule.get("VisibilityConfig") or {}).get("MetricName") == metric_name or rule.get(
            "Name"
        ) == metric_name:
            return str(rule.get("Name"))
    return None
