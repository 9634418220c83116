"""HTTP hygiene of each target, graded like Mozilla Observatory, one finding per failed test.

Observatory's result name becomes the finding's evidence; its modifier decides nothing here — the
severity is ours (a missing CSP is MEDIUM, credentialed CORS for any origin HIGH), the score is
Observatory's. Response headers cannot be set by a WAFv2 rule (CustomRequestHandling inserts
request headers only), so these fixes are shown, not applied.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from wafproxy.sidecars.assessor import observatory
from wafproxy.sidecars.assessor.context import AssessContext, Target
from wafproxy.sidecars.assessor.model import CheckError, CheckSpec, Fix, Observation, Severity
from wafproxy.sidecars.assessor.obs_base import CORS_ORIGIN, Retrieval
from wafproxy.sidecars.assessor.registry import FamilyResult, register

FAMILY = "http"


def _spec(suffix: str, severity: Severity, title: str, remediation: str) -> CheckSpec:
    return CheckSpec(
        f"WAFP-HTTP-{suffix}",
        FAMILY,
        "NETWORK_REACHABILITY",
        severity,
        title,
        f"{title} (Mozilla Observatory test).",
        remediation,
    )


CSP = _spec(
    "CSP",
    "MEDIUM",
    "Content-Security-Policy missing or unsafe",
    "Send a Content-Security-Policy without 'unsafe-inline'/'unsafe-eval', e.g. default-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'.",
)
HSTS = _spec(
    "HSTS",
    "MEDIUM",
    "Strict-Transport-Security missing, short or invalid",
    "Serve over HTTPS and send Strict-Transport-Security: max-age=63072000 (at least 6 months).",
)
XCTO = _spec("XCTO", "LOW", "X-Content-Type-Options is not nosniff", "Send X-Content-Type-Options: nosniff.")
XFO = _spec(
    "XFO",
    "MEDIUM",
    "Framing not restricted (X-Frame-Options / frame-ancestors)",
    "Send X-Frame-Options: DENY or CSP frame-ancestors 'none' to stop clickjacking.",
)
REFERRER = _spec(
    "REFERRER",
    "LOW",
    "Referrer-Policy unsafe or invalid",
    "Send Referrer-Policy: strict-origin-when-cross-origin (or no-referrer).",
)
COOKIES = _spec(
    "COOKIES",
    "MEDIUM",
    "Cookies without Secure/HttpOnly/SameSite",
    "Set Secure on every cookie, HttpOnly on session cookies and SameSite=Lax or Strict.",
)
COOKIE_PREFIX = _spec(
    "COOKIE-PREFIX",
    "MEDIUM",
    "Cookie breaks the rules of its __Host-/__Secure- prefix",
    "A __Secure- cookie needs Secure; a __Host- cookie needs Secure, Path=/ and no Domain.",
)
CORS = _spec(
    "CORS",
    "HIGH",
    "CORS allows any origin with credentials",
    "Answer Access-Control-Allow-Origin only for an allow-list of origins; never reflect Origin "
    "together with Access-Control-Allow-Credentials: true.",
)
CORS_REFLECT = _spec(
    "CORS-REFLECT",
    "LOW",
    "CORS reflects an arbitrary Origin",
    "Answer Access-Control-Allow-Origin from an allow-list, not by echoing Origin.",
)
REDIRECT = _spec(
    "REDIRECT",
    "MEDIUM",
    "Plain HTTP does not redirect to HTTPS",
    "Redirect every http:// request to https:// on the same host (301/308).",
)
SRI = _spec(
    "SRI",
    "MEDIUM",
    "External scripts without Subresource Integrity or over HTTP",
    'Load third-party scripts over HTTPS with an integrity="sha384-…" attribute.',
)
DISCLOSURE = _spec(
    "DISCLOSURE",
    "LOW",
    "Server software and version disclosed",
    "Remove version numbers from Server, and drop X-Powered-By / X-AspNet-Version.",
)
SPECS = (
    CSP,
    HSTS,
    XCTO,
    XFO,
    REFERRER,
    COOKIES,
    COOKIE_PREFIX,
    CORS,
    CORS_REFLECT,
    REDIRECT,
    SRI,
    DISCLOSURE,
)

_HEADERS = "add response header(s) in the app (a WAFv2 rule cannot set response headers)"


def header_fix(headers: Mapping[str, str]) -> Fix:
    return Fix("header", _HEADERS, {"responseHeaders": dict(headers)})


_BY_TEST: Mapping[str, tuple[CheckSpec, Fix]] = {
    "content-security-policy": (
        CSP,
        header_fix(
            {"Content-Security-Policy": "default-src 'self'; object-src 'none'; frame-ancestors 'none'"}
        ),
    ),
    "strict-transport-security": (HSTS, header_fix({"Strict-Transport-Security": "max-age=63072000"})),
    "x-content-type-options": (XCTO, header_fix({"X-Content-Type-Options": "nosniff"})),
    "x-frame-options": (XFO, header_fix({"X-Frame-Options": "DENY"})),
    "referrer-policy": (REFERRER, header_fix({"Referrer-Policy": "strict-origin-when-cross-origin"})),
    "cookies": (
        COOKIES,
        header_fix({"Set-Cookie": "<name>=<value>; Secure; HttpOnly; SameSite=Lax; Path=/"}),
    ),
    "cross-origin-resource-sharing": (
        CORS,
        Fix(
            "app",
            "answer CORS from an allow-list of origins",
            {
                "responseHeaders": {
                    "Access-Control-Allow-Origin": "<an allow-listed origin>",
                    "Vary": "Origin",
                },
                "never": "echo Origin together with Access-Control-Allow-Credentials: true",
            },
        ),
    ),
    "redirection": (
        REDIRECT,
        Fix(
            "app",
            "redirect plain HTTP to HTTPS on the same host",
            {"status": 308, "responseHeaders": {"Location": "https://<same host><same path>"}},
        ),
    ),
    "subresource-integrity": (
        SRI,
        Fix(
            "app",
            "load external scripts over HTTPS with an integrity attribute",
            {
                "scriptAttributes": {
                    "src": "https://…",
                    "integrity": "sha384-<digest>",
                    "crossorigin": "anonymous",
                }
            },
        ),
    ),
}
_DISCLOSING = ("x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-generator")


async def retrieve(ctx: AssessContext, url: str) -> Retrieval:
    """What httpobs' retriever fetches for one URL: the page, and the page with an Origin."""
    auto, cors = await asyncio.gather(ctx.prober.get(url), ctx.prober.get(url, {"origin": CORS_ORIGIN}))
    scheme = urlsplit(url).scheme
    https = auto if scheme == "https" or urlsplit(auto.url).scheme == "https" else None
    http = auto if scheme == "http" else None
    return Retrieval(auto=auto, http=http, https=https, cors=cors)


def observe(target: Target, r: Retrieval, result: observatory.Grade) -> list[Observation]:
    out: list[Observation] = []
    resource = "AWS_WAFPROXY_ENDPOINT"
    for test, (spec, fix) in _BY_TEST.items():
        name = result.results[test]
        if observatory.MODIFIERS[name] >= 0:
            continue
        sev: Severity | None = None
        if test == "cookies" and "session" in name:
            sev = "HIGH"
        if test == "strict-transport-security" and name == "hsts-not-implemented-no-https":
            sev = "LOW"
        if test == "subresource-integrity" and "not-loaded-securely" in name:
            sev = "HIGH"
        out.append(
            Observation(
                spec,
                target.url,
                resource,
                f"Observatory: {name} ({observatory.MODIFIERS[name]})",
                fix=fix,
                severity=sev,
            )
        )
    out.extend(_extra(target, r))
    return out


def _extra(target: Target, r: Retrieval) -> list[Observation]:
    out: list[Observation] = []
    resource = "AWS_WAFPROXY_ENDPOINT"
    for c_value in r.auto.all("set-cookie") + (r.cors.all("set-cookie") if r.cors else []):
        name, _, rest = c_value.partition("=")
        attrs = {a.split("=", 1)[0].strip().lower(): a.partition("=")[2].strip() for a in rest.split(";")[1:]}
        bad = (name.startswith(("__Secure-", "__Host-")) and "secure" not in attrs) or (
            name.startswith("__Host-") and ("domain" in attrs or attrs.get("path") != "/")
        )
        if bad:
            out.append(
                Observation(
                    COOKIE_PREFIX,
                    target.url,
                    resource,
                    f"Set-Cookie {name.strip()}: {rest[:120]}",
                    fix=header_fix({"Set-Cookie": f"{name.strip()}=<value>; Secure; Path=/; HttpOnly"}),
                )
            )
    if r.cors is not None and not r.cors.error:
        acao = r.cors.header("access-control-allow-origin")
        creds = (r.cors.header("access-control-allow-credentials") or "").lower().strip() == "true"
        if acao == CORS_ORIGIN and not creds:
            out.append(
                Observation(
                    CORS_REFLECT,
                    target.url,
                    resource,
                    f"Origin {CORS_ORIGIN} echoed back",
                    fix=_BY_TEST["cross-origin-resource-sharing"][1],
                )
            )
    server = r.auto.header("server") or ""
    leaks = [f"{h}: {r.auto.header(h)}" for h in _DISCLOSING if r.auto.header(h)]
    if any(ch.isdigit() for ch in server):
        leaks.insert(0, f"server: {server}")
    if leaks:
        out.append(
            Observation(
                DISCLOSURE,
                target.url,
                resource,
                "; ".join(leaks)[:300],
                fix=Fix(
                    "header",
                    "strip version-bearing response headers",
                    {"removeResponseHeaders": [x.split(":")[0] for x in leaks]},
                ),
            )
        )
    return out


@register(FAMILY, SPECS)
async def run(ctx: AssessContext) -> FamilyResult:
    result = FamilyResult()
    grades: dict[str, Any] = ctx.extra.setdefault("observatory", {})
    targets = ctx.of_role("proxy", "app", "upstream")
    retrievals = await asyncio.gather(*(retrieve(ctx, t.url) for t in targets))
    for target, r in zip(targets, retrievals, strict=True):
        if r.auto.error:
            result.errors.append(CheckError(FAMILY, target.url, f"unreachable: {r.auto.error}"))
            continue
        g = observatory.grade(r)
        grades[target.url] = {"score": g.score, "grade": g.grade, "tests": dict(g.results)}
        result.observations.extend(observe(target, r, g))
        result.covered.add(f"{FAMILY}|{target.url}")
    return result
