"""Observatory's header tests (CSP, HSTS), as httpobs 0.9.3 ``analyzer/headers.py`` decides them."""

from __future__ import annotations

from urllib.parse import urlsplit

from wafproxy.sidecars.assessor.obs_base import BROAD, NONCES, SIX_MONTHS, UNSAFE_INLINE, Retrieval


def parse_csp(text: str) -> dict[str, set[str]]:
    text = text.replace("\r", "").replace("\n", "").strip()
    if len(text) < len("img-src") - 1:
        raise ValueError("CSP shorter than any directive")
    csp: dict[str, set[str]] = {}
    for entry in (d.strip().split(maxsplit=1) for d in text.split(";") if d):
        if not entry:
            continue
        directive = entry[0]
        values = {s.lower() for s in entry[-1].split()} if len(entry) > 1 else {"'none'"}
        if directive in csp:
            raise ValueError(f"repeated directive {directive}")
        csp[directive] = values
    return csp


def csp(r: Retrieval) -> str:
    header, meta = (
        r.auto.header("content-security-policy"),
        r.page().http_equiv.get("content-security-policy"),
    )
    try:
        http_csp = parse_csp(header) if header is not None else None
        meta_csp = parse_csp(meta) if meta is not None else None
    except ValueError:
        return "csp-header-invalid"
    if http_csp is None and meta_csp is None:
        return "csp-not-implemented"
    policy: dict[str, set[str]] = {}
    for part in (http_csp or {}, meta_csp or {}):
        for k, v in part.items():
            policy[k] = policy.get(k, set()) | v
    result: str | None = None
    script = set(policy.get("script-src") or policy.get("default-src") or {"*"})
    style = set(policy.get("style-src") or policy.get("default-src") or {"*"})
    objects = policy.get("object-src") or policy.get("default-src") or {"*"}
    for sources in (script, style):
        if any(s.startswith(NONCES) for s in sources):
            sources.discard("'unsafe-inline'")
    strict_dynamic = False
    if any(s.startswith(NONCES) for s in script) and "'strict-dynamic'" in script:
        script = {s for s in script if not (s.startswith(BROAD) or s in ("'self'", "'unsafe-inline'"))}
        strict_dynamic = True
    elif "'strict-dynamic'" in script:
        result = "csp-header-invalid"
    https = urlsplit(r.auto.url).scheme == "https"
    active = [
        s
        for d, ss in policy.items()
        for s in ss
        if d not in ("img-src", "media-src") and d not in "script-src"
    ] + list(script)
    passive = [s for d in ("img-src", "media-src") for s in policy.get(d, policy.get("default-src", set()))]

    def first(name: str) -> None:
        nonlocal result
        result = result or name

    if script & set(BROAD + UNSAFE_INLINE) or objects & set(BROAD):
        first("csp-implemented-with-unsafe-inline")
    if https and any("http:" in s or "ftp:" in s for s in active) and not strict_dynamic:
        first("csp-implemented-with-insecure-scheme")
    if (script | style) & {"'unsafe-eval'"}:
        first("csp-implemented-with-unsafe-eval")
    if https and any("http:" in s or "ftp:" in s for s in passive):
        first("csp-implemented-with-insecure-scheme-in-passive-content-only")
    if style & set(BROAD + UNSAFE_INLINE):
        first("csp-implemented-with-unsafe-inline-in-style-src-only")
    if policy.get("default-src") == {"'none'"}:
        first("csp-implemented-with-no-unsafe-default-src-none")
    first("csp-implemented-with-no-unsafe")
    return result or "csp-implemented-with-no-unsafe"


_CSP_PASS = (
    "csp-implemented-with-no-unsafe",
    "csp-implemented-with-no-unsafe-default-src-none",
    "csp-implemented-with-unsafe-inline-in-style-src-only",
    "csp-implemented-with-insecure-scheme-in-passive-content-only",
)


def hsts(r: Retrieval) -> str:
    resp = r.https
    if resp is None or resp.error:
        return "hsts-not-implemented-no-https"
    if not resp.verified:
        return "hsts-invalid-cert"
    value = resp.header("strict-transport-security")
    if value is None:
        return "hsts-not-implemented"
    value = value[:1024]
    try:
        if "," in value:
            raise ValueError
        max_age = None
        for part in (p.lower().strip() for p in value.split(";")):
            if part.startswith("max-age="):
                max_age = int(part[8:128])
        if not max_age:
            raise ValueError
    except ValueError:
        return "hsts-header-invalid"
    return (
        "hsts-implemented-max-age-less-than-six-months"
        if max_age < SIX_MONTHS
        else "hsts-implemented-max-age-at-least-six-months"
    )


def csp_passes(r: Retrieval) -> bool:
    return csp(r) in _CSP_PASS


def xcto(r: Retrieval) -> str:
    value = r.auto.header("x-content-type-options")
    if value is None:
        return "x-content-type-options-not-implemented"
    return (
        "x-content-type-options-nosniff"
        if value[:256].strip().lower() == "nosniff"
        else "x-content-type-options-header-invalid"
    )


def xfo(r: Retrieval) -> str:
    value = r.auto.header("x-frame-options")
    result = "x-frame-options-not-implemented"
    if value is not None:
        v = value[:1024].strip().lower()
        result = (
            "x-frame-options-sameorigin-or-deny"
            if v in ("deny", "sameorigin")
            else "x-frame-options-allow-from-origin"
            if v.startswith("allow-from ")
            else "x-frame-options-header-invalid"
        )
    header = r.auto.header("content-security-policy")
    # httpobs looks at the merged policy (header and meta), though browsers ignore a meta
    # frame-ancestors: kept for agreement, the TLS/exposure checks do not rely on it.
    if csp(r) != "csp-header-invalid" and csp(r) != "csp-not-implemented":
        meta = r.page().http_equiv.get("content-security-policy")
        directives = {
            d.strip().split(maxsplit=1)[0] for t in (header, meta) if t for d in t.split(";") if d.strip()
        }
        if "frame-ancestors" in directives:
            result = "x-frame-options-implemented-via-csp"
    return result


def xxp(r: Retrieval) -> str:
    header = (r.auto.header("x-xss-protection") or "").strip()
    if not header:
        return (
            "x-xss-protection-not-needed-due-to-csp" if csp_passes(r) else "x-xss-protection-not-implemented"
        )
    seen: dict[str, str | None] = {}
    try:
        if header[0] not in ("0", "1"):
            raise ValueError
        for directive in header.lower().split(";"):
            k, _, v = directive.partition("=")
            k, value = k.strip(), (v.strip() if _ else None)
            if k not in ("0", "1", "mode", "report") or (k == "mode" and value != "block") or k in seen:
                raise ValueError
            seen[k] = value
    except ValueError:
        return "x-xss-protection-header-invalid"
    if header[0] == "1":
        return (
            "x-xss-protection-enabled-mode-block"
            if seen.get("mode") == "block"
            else "x-xss-protection-enabled"
        )
    return "x-xss-protection-not-needed-due-to-csp" if csp_passes(r) else "x-xss-protection-disabled"


_REFERRER_GOOD = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
_REFERRER_BAD = ("origin", "origin-when-cross-origin", "unsafe-url")


def referrer(r: Retrieval) -> str:
    header, meta = r.auto.header("referrer-policy"), r.page().http_equiv.get("referrer-policy")
    if header is None and meta is None:
        return "referrer-policy-not-implemented"
    data = (", ".join([header, meta]) if header is not None and meta is not None else (meta or header or ""))[
        :256
    ]
    valid = (*_REFERRER_GOOD, *_REFERRER_BAD, "no-referrer-when-downgrade")
    tokens = [t.strip() for t in data.lower().split(",") if t.strip() in valid]
    policy = tokens[-1] if tokens else None
    if policy in _REFERRER_GOOD:
        return "referrer-policy-private"
    if policy == "no-referrer-when-downgrade":
        return "referrer-policy-no-referrer-when-downgrade"
    return "referrer-policy-unsafe" if policy in _REFERRER_BAD else "referrer-policy-header-invalid"


def hpkp(r: Retrieval) -> str:
    resp = r.https
    if resp is None or resp.error:
        return "hpkp-not-implemented-no-https"
    if not resp.verified:
        return "hpkp-invalid-cert"
    value = resp.header("public-key-pins")
    if value is None:
        return "hpkp-not-implemented"
    try:
        parts = [p.lower().strip() for p in value[:2048].split(";")]
        max_age = next((int(p[8:128]) for p in parts if p.startswith("max-age=")), None)
        pins = {p for p in parts if p.startswith("pin-sha256=")}
        if not max_age or len(pins) < 2:
            raise ValueError
    except ValueError:
        return "hpkp-header-invalid"
    return (
        "hpkp-implemented-max-age-less-than-fifteen-days"
        if max_age < 1296000
        else "hpkp-implemented-max-age-at-least-fifteen-days"
    )
