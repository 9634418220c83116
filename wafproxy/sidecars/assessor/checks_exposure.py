"""Exposure: admin, debug and backup routes that answer through the proxy, and the upstream
answering directly what the WAF blocks (reachable around it).

A route counts as exposed only when it answers 200 *and* the body looks like the thing (a
``.git/config`` has ``[core]``): a catch-all 200 page is not a finding. Indicators are plain
substring tests (no regex on what a target sends).
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from wafproxy.sidecars.assessor.context import AssessContext, is_loopback
from wafproxy.sidecars.assessor.model import Adjustment, CheckError, CheckSpec, Fix, Observation
from wafproxy.sidecars.assessor.registry import FamilyResult, register

FAMILY = "exposure"
# path -> (indicators, any of which in the first 64 KiB of a 200 answer means "it is the real thing")
SENSITIVE: dict[str, tuple[bytes, ...]] = {
    "/.git/config": (b"[core]", b"repositoryformatversion"),
    "/.git/HEAD": (b"ref: refs/",),
    "/.env": (b"_KEY=", b"PASSWORD=", b"SECRET", b"DATABASE_URL="),
    "/server-status": (b"Apache Server Status", b"Server uptime"),
    "/actuator/env": (b"propertySources", b"activeProfiles"),
    "/actuator/heapdump": (b"JAVA PROFILE",),
    "/debug": (b"Traceback", b"DEBUG", b"stack"),
    "/phpinfo.php": (b"phpinfo()", b"PHP Version"),
    "/info.php": (b"phpinfo()", b"PHP Version"),
    "/backup.sql": (b"CREATE TABLE", b"INSERT INTO"),
    "/dump.sql": (b"CREATE TABLE", b"INSERT INTO"),
    "/db.sqlite3": (b"SQLite format 3",),
    "/backup.zip": (b"PK\x03\x04",),
    "/.DS_Store": (b"Bud1",),
}
EXPOSED = CheckSpec(
    "WAFP-EXP-ROUTE",
    FAMILY,
    "NETWORK_REACHABILITY",
    "HIGH",
    "Sensitive route answers through the proxy",
    "An admin, debug or backup route (source control, environment, dumps, server status) "
    "answers with its real content to anyone who can reach the proxy.",
    "Remove the file/route from the app, and block the paths at the WAF (apply the fix).",
)
BYPASS = CheckSpec(
    "WAFP-EXP-BYPASS",
    FAMILY,
    "NETWORK_REACHABILITY",
    "HIGH",
    "Upstream reachable around the WAF",
    "The upstream answers directly a request the WAF blocks: anyone who can reach it skips every rule.",
    "Bind the upstream to loopback or a private network only the proxy can reach, "
    "or require mTLS from the proxy (--upstream-client-cert).",
)
SPECS = (EXPOSED, BYPASS)
ATTACK_PATH = "/.env"
ATTACK_QUERY = "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"


def block_paths_rule(paths: list[str]) -> dict[str, object]:
    """A WAFv2 rule blocking ``paths`` (prefix match on the lower-cased URI path)."""
    statements = [
        {
            "ByteMatchStatement": {
                "SearchString": p.lower(),
                "FieldToMatch": {"UriPath": {}},
                "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}],
                "PositionalConstraint": "STARTS_WITH",
            }
        }
        for p in sorted(set(paths))
    ]
    statement = statements[0] if len(statements) == 1 else {"OrStatement": {"Statements": statements}}
    # One rule per path set, named after it: two fixes applied one after the other both land
    # (``--apply`` skips a rule whose name exists). Names: ^[\w\-]+$, at most 128.
    slug = "-".join(
        "".join(c if c.isascii() and c.isalnum() else "-" for c in p).strip("-") for p in sorted(set(paths))
    )
    name = f"wafproxy-assessor-block-{slug}"[:128]
    return {
        "Name": name,
        "Priority": 0,
        "Action": {"Block": {}},
        "Statement": statement,
        "VisibilityConfig": {
            "SampledRequestsEnabled": True,
            "CloudWatchMetricsEnabled": True,
            "MetricName": name,
        },
    }


async def _exposed(ctx: AssessContext, base: str) -> list[tuple[str, str]]:
    urls = [base.rstrip("/") + p for p in SENSITIVE]
    answers = await ctx.prober.get_many(urls)
    found = []
    for path, answer in zip(SENSITIVE, answers, strict=True):
        head = answer.body[:65536]
        if answer.status == 200 and any(ind in head for ind in SENSITIVE[path]):
            found.append((path, f"GET {path} -> 200, {len(answer.body)} bytes"))
    return found


@register(FAMILY, SPECS)
async def run(ctx: AssessContext) -> FamilyResult:
    result = FamilyResult()
    fronts = ctx.of_role("proxy", "app")
    outcomes = await asyncio.gather(*(_exposed(ctx, t.url) for t in fronts), return_exceptions=True)
    for target, outcome in zip(fronts, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            result.errors.append(CheckError(FAMILY, target.url, f"{type(outcome).__name__}: {outcome}"))
            continue
        for path, evidence in outcome:
            fix = Fix("webacl", f"add a rule blocking {path}", {"addRule": block_paths_rule([path])}, True)
            result.observations.append(
                Observation(
                    EXPOSED,
                    f"{target.url.rstrip('/')}{path}",
                    "AWS_WAFPROXY_ENDPOINT",
                    evidence,
                    fix=fix,
                    title=f"{path} answers through the proxy",
                    scope=target.url,
                )
            )
        result.covered.add(f"{FAMILY}|{target.url}")
    proxies = ctx.of_role("proxy")
    if proxies:
        await _bypass(ctx, proxies[0].url, result)
    return result


async def _bypass(ctx: AssessContext, proxy: str, result: FamilyResult) -> None:
    for upstream in ctx.of_role("upstream"):
        via_waf = await ctx.prober.get(proxy.rstrip("/") + ATTACK_QUERY, follow=False)
        direct = await ctx.prober.get(upstream.url.rstrip("/") + ATTACK_QUERY, follow=False)
        if direct.error:
            result.covered.add(f"{FAMILY}|{upstream.url}")  # not reachable from here: nothing to report
            continue
        if via_waf.status == 403 and direct.status != 403:
            host = urlsplit(upstream.url).hostname or ""
            adjustments: tuple[Adjustment, ...] = ()
            if is_loopback(host):
                adjustments = (
                    Adjustment(
                        "AV",
                        "upstream bound to loopback: only processes on this host can go around the WAF",
                        -4.0,
                    ),
                )
            result.observations.append(
                Observation(
                    BYPASS,
                    upstream.url,
                    "AWS_WAFPROXY_UPSTREAM",
                    f"GET {ATTACK_QUERY}: {via_waf.status} through the WAF, {direct.status} directly",
                    adjustments=adjustments,
                    fix=Fix(
                        "cli_flag",
                        "require the proxy's client certificate at the upstream",
                        {"flags": ["--upstream-client-cert", "PATH", "--upstream-client-key", "PATH"]},
                    ),
                )
            )
        result.covered.add(f"{FAMILY}|{upstream.url}")
