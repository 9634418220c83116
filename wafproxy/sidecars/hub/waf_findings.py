"""The WAF as a finding producer: "rule X blocked N requests from IP Y in 5 minutes", and "managed
group G's block rate jumped" — an ``EventSink`` that aggregates, and ``drain`` that turns the
aggregates into ASFF findings off the request path.

``emit`` only counts (a dict update under a lock); the hub's periodic job calls ``drain(now)``
every few seconds and imports what it returns. One finding per (rule, IP, window): its ``Id`` names
all three, so a window still open is updated in place as its count grows. Bounded: at most
``max_keys`` (rule, IP, window) counters and ``max_groups`` group histories; what does not fit is
counted in ``dropped`` (an address flood must not grow memory).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from wafproxy.engine.decision import Action, RuleType
from wafproxy.events import RequestEvent
from wafproxy.sidecars.hub.builder import new_finding, remediation

WINDOW_SECONDS = 300
PRODUCT = "waf"
PRODUCT_NAME = "WAF"
BLOCK_GENERATOR = "wafproxy/waf/blocked/"
RATE_GENERATOR = "wafproxy/waf/block-rate/"
_GROUP_TYPES = (RuleType.MANAGED_RULE_GROUP, RuleType.GROUP)


@dataclass(frozen=True, slots=True)
class WafFindingConfig:
    min_blocks: int = 10  # blocks of one IP by one rule in a window before it is a finding
    max_keys: int = 20_000
    max_groups: int = 256
    history_minutes: int = 30
    jump_factor: float = 3.0  # this minute's blocks vs the mean of the previous minutes…
    jump_min_blocks: int = 50  # …and at least this many, so 0 → 2 is not a "jump"
    min_history_minutes: int = 5


def _label(count: int) -> str:
    return "HIGH" if count >= 1000 else "MEDIUM" if count >= 100 else "LOW"


class WafFindingProducer:
    """Implements ``ports.EventSink``; ``drain`` is called by the hub, never on the request path."""

    def __init__(self, *, account: str, region: str, config: WafFindingConfig | None = None) -> None:
        self.account = account
        self.region = region
        self.config = config or WafFindingConfig()
        self._lock = threading.Lock()
        self._blocks: dict[tuple[str, str, int], list[Any]] = {}  # key → [count, first, last, acl, changed]
        self._minutes: dict[str, deque[tuple[int, int]]] = {}  # group → (minute, blocks)
        self._reported_jumps: set[tuple[str, int]] = set()
        self.dropped = 0

    def emit(self, event: RequestEvent) -> None:
        d = event.decision
        if d.action is not Action.BLOCK:
            return
        ts = event.timestamp
        key = (d.terminating_rule_id, event.request.client_ip, int(ts // WINDOW_SECONDS) * WINDOW_SECONDS)
        with self._lock:
            entry = self._blocks.get(key)
            if entry is None:
                if len(self._blocks) >= self.config.max_keys:
                    self.dropped += 1
                    return
                self._blocks[key] = [1, ts, ts, event.web_acl, True]
            else:
                entry[0] += 1
                entry[2] = max(entry[2], ts)
                entry[4] = True
            if d.terminating_rule_type in _GROUP_TYPES:
                self._count_group(d.terminating_rule_id, int(ts // 60))

    def _count_group(self, group: str, minute: int) -> None:
        hist = self._minutes.get(group)
        if hist is None:
            if len(self._minutes) >= self.config.max_groups:
                self.dropped += 1
                return
            hist = self._minutes[group] = deque(maxlen=self.config.history_minutes + 1)
        if hist and hist[-1][0] == minute:
            hist[-1] = (minute, hist[-1][1] + 1)
        elif not hist or hist[-1][0] < minute:
            hist.append((minute, 1))

    def drain(self, now: float) -> list[dict[str, Any]]:
        """Findings for windows that changed since the last drain; closed windows are forgotten."""
        out: list[dict[str, Any]] = []
        with self._lock:
            for key, entry in list(self._blocks.items()):
                rule, ip, window = key
                closed = now >= window + WINDOW_SECONDS
                if entry[4] and entry[0] >= self.config.min_blocks:
                    out.append(self._block_finding(rule, ip, window, entry, now))
                    entry[4] = False
                if closed:
                    del self._blocks[key]
            out.extend(self._jumps(now))
        return out

    def _block_finding(self, rule: str, ip: str, window: int, entry: list[Any], now: float) -> dict[str, Any]:
        count, first, last, acl = entry[0], entry[1], entry[2], entry[3]
        return new_finding(
            region=self.region,
            account=self.account,
            product=PRODUCT,
            product_name=PRODUCT_NAME,
            finding_id=f"wafproxy/waf/blocked/{rule}/{ip}/{window}",
            generator=BLOCK_GENERATOR + rule,
            types=["TTPs/Initial Access/Blocked web requests"],
            label=_label(count),
            title=f"Rule {rule} blocked {count} requests from {ip} in 5 min",
            description=(
                f"Web ACL {acl}: rule {rule} blocked {count} requests from {ip} between "
                f"{int(first)} and {int(last)} (epoch seconds); the window starts at {window}."
            ),
            resources=[{"Type": "Other", "Id": ip, "Details": {"Other": {"WebAcl": acl, "Rule": rule}}}],
            now=now,
            first_seen=first,
            last_seen=last,
            ProductFields={
                "wafproxy/rule": rule,
                "wafproxy/ip": ip,
                "wafproxy/webAcl": acl,
                "wafproxy/blocked": str(count),
                "wafproxy/windowStart": str(window),
            },
            Remediation=remediation(
                f"If {ip} is hostile, add it to a blocking IP set; if the requests "
                f"are legitimate, review rule {rule} for false positives."
            ),
        )

    def _jumps(self, now: float) -> list[dict[str, Any]]:
        cfg = self.config
        current_minute = int(now // 60)
        out = []
        for group, hist in self._minutes.items():
            done = [(m, n) for m, n in hist if m < current_minute]  # complete minutes only
            if len(done) < cfg.min_history_minutes + 1:
                continue
            minute, blocks = done[-1]
            before = [n for _, n in done[:-1]]
            baseline = sum(before) / len(before)
            if blocks < cfg.jump_min_blocks or blocks < cfg.jump_factor * max(baseline, 1.0):
                continue
            if (group, minute) in self._reported_jumps:
                continue
            if len(self._reported_jumps) > 4 * cfg.max_groups:
                self._reported_jumps.clear()
            self._reported_jumps.add((group, minute))
            out.append(
                new_finding(
                    region=self.region,
                    account=self.account,
                    product=PRODUCT,
                    product_name=PRODUCT_NAME,
                    finding_id=f"wafproxy/waf/block-rate/{group}/{minute * 60}",
                    generator=RATE_GENERATOR + group,
                    types=["Unusual Behaviors/Application/Block rate jump"],
                    label="MEDIUM",
                    title=f"{group} block rate jumped to {blocks}/min (baseline {baseline:.1f}/min)",
                    description=(
                        f"Managed rule group {group} blocked {blocks} requests in the minute starting "
                        f"{minute * 60} (epoch), {blocks / max(baseline, 1.0):.1f}x the mean of the "
                        f"{len(before)} minutes before ({baseline:.1f}/min): an attack started, or a "
                        "deployment made legitimate traffic look like one."
                    ),
                    resources=[{"Type": "Other", "Id": f"rule-group:{group}"}],
                    now=now,
                    first_seen=minute * 60.0,
                    last_seen=minute * 60.0 + 59,
                    ProductFields={
                        "wafproxy/rule": group,
                        "wafproxy/blocksPerMinute": str(blocks),
                        "wafproxy/baselinePerMinute": f"{baseline:.1f}",
                    },
                )
            )
        return out
