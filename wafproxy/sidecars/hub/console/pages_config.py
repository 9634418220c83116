"""Configuration pages: controls and score, the web ACL as a rule list with hit counts, IP sets
(viewed and edited through the WAFv2 control plane, with its lock tokens), sampled requests."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from wafproxy.sidecars.hub.console.deps import ConsoleDeps
from wafproxy.sidecars.hub.console.html import badge, csrf_field, error_box, esc, table, url
from wafproxy.sidecars.hub.controls import CATALOG, score

MAX_ADDRESSES = 10_000  # AWS's IP set limit
SAMPLE_WINDOW = 3 * 3600.0


class PageError(ValueError):
    pass


def controls(deps: ConsoleDeps) -> str:
    results = deps.controls.results if deps.controls is not None else []
    passed, rated = score(results)
    pct = f"{100 * passed // rated}%" if rated else "n/a"
    order = {"FAILED": 0, "NOT_AVAILABLE": 1, "PASSED": 2}
    rows = [
        [
            esc(r.control_id),
            esc(r.title),
            badge(r.status),
            badge(r.severity) if r.status == "FAILED" else "",
            esc(", ".join(r.resources) if r.status == "FAILED" else r.reason),
            esc(r.fix if r.status == "FAILED" else ""),
        ]
        for r in sorted(results, key=lambda r: (order[r.status], r.control_id))
    ]
    rows += [
        [esc(cid), esc(CATALOG[cid][0]), badge("DISABLED"), "", "disabled (UpdateStandardsControl)", ""]
        for cid in sorted(deps.hub.disabled_controls) if cid in CATALOG
    ]
    return (
        f'<p class="score"><b>{esc(pct)}</b> security score: {passed} of {rated} enabled controls passed '
        f"(controls without data count for neither).</p>"
        + table(
            "Controls, failing first",
            ["Control", "Checks", "Status", "Severity", "Failing resource / why", "Fix"],
            rows,
            table_id="controls",
        )
        + _rules(deps)
    )


def _rules(deps: ConsoleDeps) -> str:
    """The automation rules, in the order they run (managed with the API: CreateAutomationRule…)."""
    if deps.automation is None:
        return ""
    rows = [
        [
            esc(str(rule.order)),
            esc(rule.name),
            badge(rule.status),
            "stops later rules" if rule.terminal else "",
            esc(", ".join(sorted(rule.criteria)) or "every finding"),
            esc(", ".join(sorted(rule.actions[0].get("FindingFieldsUpdate") or {}))),
        ]
        for rule in deps.automation.in_order()
    ]
    headers = ["Order", "Rule", "Status", "Terminal", "Matches on", "Sets"]
    return table("Automation rules, in the order they run", headers, rows, table_id="rules",
                 empty="No automation rules (the API's CreateAutomationRule adds them).")


def _statement_summary(statement: Mapping[str, Any]) -> str:
    kind = next(iter(statement), "?")
    inner = statement.get(kind) or {}
    if kind == "ManagedRuleGroupStatement":
        return f"managed group {inner.get('Name', '')}"
    if kind == "RateBasedStatement":
        window = inner.get("EvaluationWindowSec", 300)
        return f"rate limit {inner.get('Limit')} / {window} s per {inner.get('AggregateKeyType')}"
    if kind in ("AndStatement", "OrStatement"):
        parts = [next(iter(s), "?").replace("Statement", "") for s in inner.get("Statements", [])]
        return f"{'all' if kind == 'AndStatement' else 'any'} of {', '.join(parts)}"
    return kind.replace("Statement", "")


def acl(deps: ConsoleDeps) -> str:
    if deps.plane is None:
        return "<p>No control plane: start with --credentials to see the web ACL here.</p>"
    doc = deps.plane.store.web_acl.document
    hits = deps.traffic.hits() if deps.traffic is not None else {}
    rows = []
    for rule in sorted(doc.get("Rules") or [], key=lambda r: r.get("Priority", 0)):
        name = str(rule.get("Name"))
        action = next(iter(rule.get("Action") or {}), None) or "override: " + next(
            iter(rule.get("OverrideAction") or {}), "-"
        )
        rows.append(
            [
                esc(rule.get("Priority")),
                f'<a href="{url("/console/samples", rule=name)}">{esc(name)}</a>',
                esc(action),
                esc(_statement_summary(rule.get("Statement") or {})),
                esc(hits.get(name, 0)),
            ]
        )
    default = next(iter(doc.get("DefaultAction") or {}), "?")
    return (
        f"<p>Web ACL <b>{esc(doc.get('Name'))}</b>, default action <b>{esc(default)}</b>. "
        "Hits count matches since this process started.</p>"
        + table(
            "Rules in evaluation order",
            ["Priority", "Rule", "Action", "Inspects", "Hits"],
            rows,
            table_id="acl-rules",
        )
    )


def ipsets(deps: ConsoleDeps) -> str:
    if deps.plane is None:
        return "<p>No control plane: start with --credentials to manage IP sets here.</p>"
    rows = [
        [
            f'<a href="{url("/console/ipsets/" + r.name)}">{esc(r.name)}</a>',
            esc(r.document.get("IPAddressVersion", "")),
            esc(len(r.document.get("Addresses") or [])),
            esc(r.document.get("Description", "")),
        ]
        for r in deps.plane.store.all("ipset")
    ]
    return table("IP sets", ["Name", "Version", "Addresses", "Description"], rows, table_id="ipsets")


def ipset_form(
    name: str,
    shape: Mapping[str, Any],
    lock_token: str,
    csrf: str,
    error: str = "",
    message: str = "",
    addresses: str | None = None,
) -> str:
    text = addresses if addresses is not None else "\n".join(shape.get("Addresses") or [])
    return (
        error_box(error)
        + (f'<p class="ok" role="status">{esc(message)}</p>' if message else "")
        + f"<p>{esc(shape.get('IPAddressVersion', ''))} · {esc(shape.get('ARN', ''))}</p>"
        f'<form method="post" action="{url("/console/ipsets/" + name)}">{csrf_field(csrf)}'
        f'<input type="hidden" name="lock_token" value="{esc(lock_token)}">'
        f'<label for="addresses">Addresses (one CIDR per line)</label>'
        f'<textarea id="addresses" name="addresses" rows="12" spellcheck="false">{esc(text)}</textarea>'
        '<button type="submit">Save IP set</button></form>'
        '<p><a href="/console/ipsets">All IP sets</a></p>'
    )


def parse_addresses(text: str, version: str) -> list[str]:
    """Textarea → CIDRs, each validated (the control plane validates again)."""
    out: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            net = ipaddress.ip_network(line, strict=False)
        except ValueError:
            raise PageError(f"line {n}: {line[:64]!r} is not an IP address or CIDR") from None
        if f"IPV{net.version}" != version:
            raise PageError(f"line {n}: {line[:64]} is not {version}")
        out.append(line if "/" in line else f"{net.network_address}/{net.max_prefixlen}")
        if len(out) > MAX_ADDRESSES:
            raise PageError(f"at most {MAX_ADDRESSES} addresses")
    return out


def samples(deps: ConsoleDeps, query: Mapping[str, str], now: float) -> str:
    if deps.plane is None:
        return "<p>No sampled requests without the control plane.</p>"
    from wafproxy.control.sampler import ALL_REQUESTS

    rule, ip = query.get("rule", "")[:128], query.get("ip", "")[:64]
    picked: list[Any]
    if ip:
        found, _ = deps.plane.sampler.samples(ALL_REQUESTS, now - SAMPLE_WINDOW, now, 10_000)
        picked = [s for s in found if s.client_ip == ip][-100:]
        title = f"requests from {ip}"
    else:
        picked, _ = deps.plane.sampler.samples(rule or ALL_REQUESTS, now - SAMPLE_WINDOW, now, 100)
        title = f"requests matching {rule}" if rule else "all requests"
    from wafproxy.sidecars.hub.asff import iso

    rows = [
        [
            f"<time>{esc(iso(s.timestamp)[11:19])}</time>",
            f'<a href="{url("/console/samples", ip=s.client_ip)}">{esc(s.client_ip)}</a>',
            esc(s.method),
            f"<code>{esc(s.uri[:200])}</code>",
            badge(s.action),
            esc(s.rule_within_group or ""),
            esc(s.response_code),
        ]
        for s in reversed(picked)
    ]
    return f"<p>Sampled {esc(title)}, newest first (last 3 hours, at most 100).</p>" + table(
        "Sampled requests",
        ["Time", "Client IP", "Method", "URI", "Action", "Rule in group", "Status"],
        rows,
        table_id="samples",
        empty="No sampled request matches.",
    )
