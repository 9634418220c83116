"""HTML building blocks: escaping, the page layout, tables, badges. Every value is escaped here
(``esc``); pages never concatenate request data unescaped. No inline scripts or styles: the CSP
(``CSP``) allows only our own static files."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from urllib.parse import urlencode

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}
NAV = (
    ("/console", "Dashboard"),
    ("/console/findings", "Findings"),
    ("/console/controls", "Controls"),
    ("/console/acl", "Web ACL"),
    ("/console/ipsets", "IP sets"),
)


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def url(path: str, **query: object) -> str:
    q = {k: str(v) for k, v in query.items() if v not in (None, "")}
    return esc(path + ("?" + urlencode(q) if q else ""))


def csrf_field(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{esc(token)}">'


def page(title: str, body: str, *, current: str = "", csrf: str | None = None, principal: str = "") -> str:
    nav = ""
    if csrf is not None:
        links = "".join(
            f'<a href="{href}"{" aria-current=page" if href == current else ""}>{esc(label)}</a>'
            for href, label in NAV
        )
        nav = (
            f'<header><span class="brand">wafproxy</span><nav aria-label="Main">{links}</nav>'
            f'<form class="signout" method="post" action="/console/signout">{csrf_field(csrf)}'
            f'<span class="who">{esc(principal)}</span>'
            '<button type="submit">Sign out</button></form></header>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · wafproxy console</title>"
        '<link rel="icon" href="/console/static/favicon.svg" type="image/svg+xml">'
        '<link rel="stylesheet" href="/console/static/console.css">'
        '<script src="/console/static/console.js" defer></script></head>'
        f'<body><a class="skip" href="#main">Skip to content</a>{nav}'
        f'<main id="main"><h1>{esc(title)}</h1>{body}</main></body></html>'
    )


def badge(label: str) -> str:
    return f'<span class="badge b-{esc(label.lower())}">{esc(label)}</span>'


def table(
    caption: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    empty: str = "None yet.",
    table_id: str = "",
) -> str:
    """``rows`` hold already-escaped HTML cells."""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    ident = f' id="{esc(table_id)}"' if table_id else ""
    if not body:
        body = f'<tr><td colspan="{len(headers)}" class="empty">{esc(empty)}</td></tr>'
    return (
        f'<div class="scroll"><table{ident}><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def select(name: str, label: str, options: Sequence[str], chosen: str) -> str:
    opts = "".join(
        f'<option value="{esc(o)}"{" selected" if o == chosen else ""}>{esc(o or "any")}</option>'
        for o in ("", *options)
    )
    return f'<label>{esc(label)} <select name="{esc(name)}">{opts}</select></label>'


def error_box(message: str) -> str:
    return f'<p class="error" role="alert">{esc(message)}</p>' if message else ""


def signin_page(error: str = "") -> str:
    return page(
        "Sign in",
        error_box(error)
        + (
            '<form class="signin" method="post" action="/console/signin">'
            '<label for="akid">Access key ID</label>'
            '<input id="akid" name="access_key_id" autocomplete="username" '
            'required maxlength="128"><label for="secret">Secret access key</label><input id="secret" '
            'name="secret_access_key" type="password" autocomplete="current-password" '
            'required maxlength="256">'
            '<button type="submit">Sign in</button></form>'
            "<p>Use a key pair from the credentials file the admin APIs use.</p>"
        ),
    )
