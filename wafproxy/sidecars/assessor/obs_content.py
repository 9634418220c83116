"""Observatory's cookie, CORS, redirection and Subresource Integrity tests (httpobs 0.9.3
``analyzer/headers.py`` cookies, ``misc.py`` and ``content.py``), over recorded responses."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from wafproxy.sidecars.assessor.obs_base import HTML_TYPES, Retrieval
from wafproxy.sidecars.assessor.obs_headers import hsts

_COOKIE_ORDER = (
    "cookies-without-secure-flag-but-protected-by-hsts",
    "cookies-without-secure-flag",
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    "cookies-samesite-flag-invalid",
    "cookies-anticsrf-without-samesite-flag",
    "cookies-session-without-httponly-flag",
    "cookies-session-without-secure-flag",
)
_SRI_ORDER = (
    "sri-implemented-and-all-scripts-loaded-securely",
    "sri-implemented-and-external-scripts-loaded-securely",
    "sri-not-implemented-response-not-html",
    "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
    "sri-not-implemented-but-no-scripts-loaded",
    "sri-not-implemented-but-external-scripts-loaded-securely",
    "sri-implemented-but-external-scripts-not-loaded-securely",
    "sri-not-implemented-and-external-scripts-not-loaded-securely",
)
_IGNORED_COOKIES = ("__cfduid", "heroku-session-affinity")


def _worse(new: str, old: str | None, order: tuple[str, ...]) -> str:
    """httpobs' ``only_if_worse``: keep the later (worse) of two results in ``order``."""
    if old is None or order.index(new) > order.index(old):
        return new
    return old


@dataclass(frozen=True, slots=True)
class Cookie:
    name: str
    secure: bool
    httponly: bool
    samesite: str | None  # "Strict" / "Lax" / "None" / "" (present but invalid) / None (absent)


def parse_set_cookie(value: str) -> Cookie | None:
    """One ``Set-Cookie`` header (RFC 6265 §5.2: attributes split on ';', names case-insensitive)."""
    first, *attrs = value.split(";")
    name, sep, _ = first.partition("=")
    if not sep or not name.strip():
        return None
    secure = httponly = False
    samesite: str | None = None
    for attr in attrs:
        key, _, val = attr.partition("=")
        key = key.strip().lower()
        if key == "secure":
            secure = True
        elif key == "httponly":
            httponly = True
        elif key == "samesite" and samesite is None:
            v = val.strip().lower()
            samesite = {"lax": "Lax", "strict": "Strict", "none": "None"}.get(v, "")
    return Cookie(name.strip(), secure, httponly, samesite)


def cookies_of(r: Retrieval) -> list[Cookie]:
    seen: dict[str, Cookie] = {}
    for resp in (r.auto, r.cors):
        for value in resp.all("set-cookie") if resp is not None else ():
            c = parse_set_cookie(value)
            if c is not None and c.name not in _IGNORED_COOKIES:
                seen[c.name] = c
    return list(seen.values())


def cookies(r: Retrieval) -> str:
    jar = cookies_of(r)
    if not jar:
        return "cookies-not-found"
    protected = hsts(r) == "hsts-implemented-max-age-at-least-six-months"
    result: str | None = None
    for c in jar:
        session = any(k in c.name.lower() for k in ("login", "sess"))
        if c.samesite == "" or (not c.secure and c.samesite == "None"):
            result = _worse("cookies-samesite-flag-invalid", result, _COOKIE_ORDER)
        if not c.secure:
            result = _worse(
                "cookies-without-secure-flag-but-protected-by-hsts"
                if protected
                else "cookies-without-secure-flag",
                result,
                _COOKIE_ORDER,
            )
        if "csrf" in c.name.lower() and not c.samesite:
            result = _worse("cookies-anticsrf-without-samesite-flag", result, _COOKIE_ORDER)
        if session and not c.secure:
            result = _worse(
                "cookies-session-without-secure-flag-but-protected-by-hsts"
                if protected
                else "cookies-session-without-secure-flag",
                result,
                _COOKIE_ORDER,
            )
        if session and not c.httponly:
            result = _worse("cookies-session-without-httponly-flag", result, _COOKIE_ORDER)
    if result is not None:
        return result
    if any(not c.samesite for c in jar):
        return "cookies-secure-with-httponly-sessions"
    return "cookies-secure-with-httponly-sessions-and-samesite"


def cors(r: Retrieval) -> str:
    resp = r.cors
    if resp is None or resp.error or resp.header("access-control-allow-origin") is None:
        return "cross-origin-resource-sharing-not-implemented"
    acao = (resp.header("access-control-allow-origin") or "").strip()[:256]
    if acao == "*":
        return "cross-origin-resource-sharing-implemented-with-public-access"
    origin = next((v for k, v in resp.request_headers if k == "origin"), None)
    credentials = (resp.header("access-control-allow-credentials") or "").strip().lower() == "true"
    if origin == resp.header("access-control-allow-origin") and credentials:
        return "cross-origin-resource-sharing-implemented-with-universal-access"
    return "cross-origin-resource-sharing-implemented-with-restricted-access"


def redirection(r: Retrieval) -> str:
    resp = r.http
    if resp is None or resp.error:
        return "redirection-not-needed-no-http"
    if not resp.verified:
        return "redirection-invalid-cert"
    route = [urlsplit(u) for u, _ in resp.history] + [urlsplit(resp.url)]
    if len(route) == 1:
        return "redirection-missing"
    if route[-1].scheme != "https":
        return "redirection-not-to-https"
    if route[1].scheme == "http":
        return "redirection-not-to-https-on-initial-redirection"
    if route[0].scheme == "http" and route[0].hostname != route[1].hostname:
        return "redirection-off-host-from-http"
    return "redirection-to-https"


def _site(host: str) -> str:
    """Stands in for the public-suffix list's private suffix: the last two labels (an IP: itself)."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        return ".".join(host.split(".")[-2:])


def sri(r: Retrieval) -> str:
    if r.auto.content_type not in HTML_TYPES:
        return "sri-not-implemented-response-not-html"
    page_url = urlsplit(r.auto.url)
    scripts = r.page().scripts
    if not scripts:
        return "sri-not-implemented-but-no-scripts-loaded"
    result: str | None = None
    foreign = False
    for script in scripts:
        if script.src is None:
            continue
        src = urlsplit(script.src)
        relative_origin = not src.scheme and not src.netloc
        relative_protocol = not src.scheme and bool(src.netloc)
        same_site = _site(page_url.hostname or "") == _site(src.hostname or "")
        secure_origin = relative_origin or (same_site and not relative_protocol)
        secure_scheme = src.scheme == "https" or (relative_origin and page_url.scheme == "https")
        if not secure_origin:
            foreign = True
            if script.integrity and not secure_scheme:
                result = _worse(
                    "sri-implemented-but-external-scripts-not-loaded-securely", result, _SRI_ORDER
                )
            elif not script.integrity and secure_scheme:
                result = _worse(
                    "sri-not-implemented-but-external-scripts-loaded-securely", result, _SRI_ORDER
                )
            elif not script.integrity:
                result = _worse(
                    "sri-not-implemented-and-external-scripts-not-loaded-securely", result, _SRI_ORDER
                )
        elif script.integrity and secure_scheme and not result:
            result = "sri-implemented-and-all-scripts-loaded-securely"
    if result:
        return result
    return (
        "sri-implemented-and-external-scripts-loaded-securely"
        if foreign
        else "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
    )
