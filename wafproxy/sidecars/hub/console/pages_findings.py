"""The findings table: filters (product, severity, workflow, record state, time), and actions on
the selected findings (resolve, suppress, notified, reopen, add a note), validated on the server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wafproxy.sidecars.hub import asff
from wafproxy.sidecars.hub.console.deps import ConsoleDeps
from wafproxy.sidecars.hub.console.html import badge, csrf_field, error_box, esc, select, table, url
from wafproxy.sidecars.hub.core import public
from wafproxy.sidecars.hub.filters import compile_filters

PAGE = 50
MAX_OFFSET = 10_000
PRODUCTS = ("WAF", "KMS", "Detector", "Assessor", "Hub")
ACTIONS = {"resolve": "RESOLVED", "suppress": "SUPPRESSED", "notify": "NOTIFIED", "reopen": "NEW"}
DAYS = ("1", "7", "30", "90")


class FormError(ValueError):
    """A console form value the server refuses; the message is shown to the user."""


def _choice(query: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = query.get(name, "")
    if value and value not in allowed:
        raise FormError(f"{name}: choose one of {', '.join(allowed)}")
    return value


def filters_of(query: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Form fields → Security Hub ``Filters`` (and the normalized fields, to refill the form)."""
    chosen = {
        "product": _choice(query, "product", PRODUCTS),
        "severity": _choice(query, "severity", asff.LABELS),
        "workflow": _choice(query, "workflow", asff.WORKFLOW_STATUSES),
        "state": query.get("state", "ACTIVE")
        if query.get("state", "ACTIVE") in ("", *asff.RECORD_STATES)
        else "",
        "days": _choice(query, "days", DAYS),
    }
    if query.get("state") and query["state"] not in asff.RECORD_STATES:
        raise FormError("state: choose ACTIVE or ARCHIVED")
    filters: dict[str, Any] = {}
    for key, attr in (
        ("product", "ProductName"),
        ("severity", "SeverityLabel"),
        ("workflow", "WorkflowStatus"),
        ("state", "RecordState"),
    ):
        if chosen[key]:
            filters[attr] = [{"Value": chosen[key], "Comparison": "EQUALS"}]
    if chosen["days"]:
        filters["UpdatedAt"] = [{"DateRange": {"Value": int(chosen["days"]), "Unit": "DAYS"}}]
    return filters, chosen


def _offset(query: Mapping[str, str]) -> int:
    raw = query.get("offset", "0")
    if not raw.isdigit() or int(raw) > MAX_OFFSET:
        raise FormError("offset: a number from 0 to 10000")
    return int(raw)


def _row(f: dict[str, Any]) -> list[str]:
    remediation = ((f.get("Remediation") or {}).get("Recommendation") or {}).get("Text", "")
    note = (f.get("Note") or {}).get("Text", "")
    resources = ", ".join(r["Id"] for r in f["Resources"][:5])
    details = (
        f"<details><summary>{esc(f['Title'])}</summary><p>{esc(f['Description'])}</p>"
        f"<p><b>Resources:</b> {esc(resources)}</p>"
        + (f"<p><b>Remediation:</b> {esc(remediation)}</p>" if remediation else "")
        + (f"<p><b>Note:</b> {esc(note)}</p>" if note else "")
        + "</details>"
    )
    check = (
        f'<input type="checkbox" name="id" value="{esc(f["Id"])}" '
        f'aria-label="Select finding: {esc(f["Title"])}">'
    )
    return [
        check,
        badge(f["Severity"]["Label"]),
        details,
        esc(f["ProductName"]),
        esc(f["Workflow"]["Status"]),
        f'<time datetime="{esc(f["UpdatedAt"])}">{esc(f["UpdatedAt"][:16].replace("T", " "))}</time>',
    ]


def render(deps: ConsoleDeps, query: Mapping[str, str], csrf: str, message: str = "") -> str:
    error = ""
    try:
        filters, chosen = filters_of(query)
        offset = _offset(query)
    except FormError as exc:
        error, filters, chosen, offset = (
            str(exc),
            {"RecordState": [{"Value": "ACTIVE"}]},
            {"state": "ACTIVE"},
            0,
        )
    where = compile_filters(filters, deps.hub.clock.now())
    rows = [public(f) for f in deps.hub.store.query(where, offset=offset, limit=PAGE + 1)]
    total = deps.hub.store.count(where)
    form = (
        '<form class="filters" method="get" action="/console/findings" aria-label="Filter findings">'
        + select("product", "Product", PRODUCTS, chosen.get("product", ""))
        + select("severity", "Severity", asff.LABELS, chosen.get("severity", ""))
        + select("workflow", "Workflow", asff.WORKFLOW_STATUSES, chosen.get("workflow", ""))
        + select("state", "Record state", asff.RECORD_STATES, chosen.get("state", ""))
        + select("days", "Updated in the last (days)", DAYS, chosen.get("days", ""))
        + '<button type="submit">Apply filters</button></form>'
    )
    back = url("/console/findings", **{k: v for k, v in chosen.items() if v}, offset=offset or None)
    actions = "".join(
        f'<button type="submit" name="action" value="{a}">{a.title()}</button>' for a in ACTIONS
    )
    nav = ""
    if len(rows) > PAGE:
        nav += (
            f'<a href="{url("/console/findings", **chosen, offset=offset + PAGE)}" rel="next">Next {PAGE}</a>'
        )
    if offset:
        nav = (
            f'<a href="{url("/console/findings", **chosen, offset=max(0, offset - PAGE))}" '
            'rel="prev">Previous</a> ' + nav
        )
    return (
        error_box(error)
        + (f'<p class="ok" role="status">{esc(message)}</p>' if message else "")
        + form
        + f'<p id="count">{total} finding(s) match.</p>'
        + '<form method="post" action="/console/findings/update" aria-label="Act on selected findings">'
        + csrf_field(csrf)
        + f'<input type="hidden" name="back" value="{back}">'
        + table(
            "Findings, newest first",
            ["", "Severity", "Finding", "Product", "Workflow", "Updated"],
            [_row(f) for f in rows[:PAGE]],
            empty="No finding matches these filters.",
            table_id="findings",
        )
        + '<fieldset class="actions"><legend>Selected findings</legend>'
        + '<label>Note <input name="note" maxlength="512" placeholder="optional note"></label>'
        + f'{actions}<button type="submit" name="action" value="note">Add note</button></fieldset></form>'
        + f'<nav class="pager" aria-label="Pages">{nav}</nav>'
    )


def update_from_form(form: Mapping[str, list[str]]) -> tuple[list[str], dict[str, Any]]:
    """(finding ids, validated ``Hub.update`` changes) from the actions form."""
    ids = form.get("id", [])
    if not ids:
        raise FormError("Select at least one finding.")
    if len(ids) > 100 or any(not 0 < len(i) <= 512 for i in ids):
        raise FormError("At most 100 findings at a time.")
    action = (form.get("action") or [""])[0]
    note = (form.get("note") or [""])[0].strip()
    if len(note) > 512:
        raise FormError("A note is at most 512 characters.")
    changes: dict[str, Any] = {}
    if action in ACTIONS:
        changes["Workflow"] = {"Status": ACTIONS[action]}
    elif action != "note":
        raise FormError("Unknown action.")
    if note:
        changes["Note"] = {"Text": note, "UpdatedBy": ""}
    elif action == "note":
        raise FormError("Write the note first.")
    return ids, changes
