"""HTTP hygiene and exposure checks against real loopback apps with chosen headers."""

from __future__ import annotations

import asyncio

from tests.support.servers import RunningServer, free_port
from wafproxy.sidecars.assessor.context import AssessContext, Target
from wafproxy.sidecars.assessor.probe import Prober, Recorded
from wafproxy.sidecars.assessor.runner import Report, assess


def run(targets: list[Target]) -> Report:
    async def go() -> Report:
        prober = Prober(min_interval=0.0)
        try:
            return await assess(AssessContext(targets, prober))
        finally:
            await prober.close()

    return asyncio.run(go())


def check_ids(report: Report, resource_prefix: str) -> set[str]:
    return {
        a.check_id for a in report.assessed if a.finding["resources"][0]["id"].startswith(resource_prefix)
    }


def test_bad_app_gets_every_hygiene_finding_and_an_f(bad_server: RunningServer) -> None:
    report = run([Target(bad_server.url, "app")])
    ids = check_ids(report, bad_server.url)
    assert {
        "WAFP-HTTP-CSP",
        "WAFP-HTTP-XCTO",
        "WAFP-HTTP-XFO",
        "WAFP-HTTP-COOKIES",
        "WAFP-HTTP-COOKIE-PREFIX",
        "WAFP-HTTP-CORS",
        "WAFP-HTTP-REDIRECT",
        "WAFP-HTTP-SRI",
        "WAFP-HTTP-DISCLOSURE",
        "WAFP-EXP-ROUTE",
    } <= ids
    grade = report.extra["observatory"][bad_server.url]
    assert grade["grade"] == "F" and grade["score"] == 0
    assert grade["tests"]["cross-origin-resource-sharing"].endswith("universal-access")
    exposed = [a for a in report.assessed if a.check_id == "WAFP-EXP-ROUTE"]
    # Only the route whose body is really a git config; the catch-all 200s are not findings.
    assert [a.finding["resources"][0]["id"] for a in exposed] == [f"{bad_server.url}/.git/config"]
    assert exposed[0].fix is not None and exposed[0].fix.appliable
    cookie = next(a for a in report.assessed if a.check_id == "WAFP-HTTP-COOKIES")
    assert cookie.finding["severity"] == "HIGH"  # a session cookie without Secure/HttpOnly


def test_good_app_has_no_hygiene_findings_but_the_plain_http_ones(good_server: RunningServer) -> None:
    report = run([Target(good_server.url, "app")])
    ids = check_ids(report, good_server.url)
    # Served over plain HTTP: HSTS cannot apply and nothing redirects; everything else passes.
    assert ids == {"WAFP-HTTP-HSTS", "WAFP-HTTP-REDIRECT"}
    tests = report.extra["observatory"][good_server.url]["tests"]
    assert tests["content-security-policy"] == "csp-implemented-with-no-unsafe-default-src-none"
    assert tests["cookies"] == "cookies-secure-with-httponly-sessions-and-samesite"


def test_unreachable_target_is_reported_and_other_targets_still_assessed(good_server: RunningServer) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    report = run([Target(dead, "app"), Target(good_server.url, "app")])
    assert any(e.resource_id == dead and "unreachable" in e.message for e in report.errors)
    assert check_ids(report, good_server.url)
    assert f"http|{dead}" not in report.covered  # its old findings must not be closed by this run


def test_upstream_reachable_around_the_waf(bad_server: RunningServer) -> None:
    """A 'proxy' that blocks the probe (403) in front of an upstream that answers it."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from tests.support.servers import uvicorn_in_thread

    async def forbid(request: object) -> PlainTextResponse:
        return PlainTextResponse("blocked", status_code=403)

    with uvicorn_in_thread(Starlette(routes=[Route("/{p:path}", forbid)])) as waf:
        report = run([Target(waf.url, "proxy"), Target(bad_server.url, "upstream")])
    bypass = [a for a in report.assessed if a.check_id == "WAFP-EXP-BYPASS"]
    assert len(bypass) == 1
    details = bypass[0].finding["inspectorScoreDetails"]["adjustedCvss"]
    assert details["adjustments"][0]["metric"] == "AV"  # loopback upstream: score adjusted down, said why
    assert bypass[0].finding["inspectorScore"] < 7.5


def test_redirects_followed_on_the_same_host_only() -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse, RedirectResponse
    from starlette.routing import Route

    from tests.support.servers import uvicorn_in_thread

    async def hop(request: object) -> RedirectResponse:
        return RedirectResponse("/final", status_code=301)

    async def away(request: object) -> RedirectResponse:
        return RedirectResponse("https://elsewhere.invalid/", status_code=301)

    async def final(request: object) -> PlainTextResponse:
        return PlainTextResponse("here")

    app = Starlette(routes=[Route("/hop", hop), Route("/away", away), Route("/final", final)])
    with uvicorn_in_thread(app) as server:

        async def go() -> tuple[Recorded, Recorded]:
            prober = Prober(min_interval=0.0)
            try:
                return await prober.get(f"{server.url}/hop"), await prober.get(f"{server.url}/away")
            finally:
                await prober.close()

        same, off = asyncio.run(go())
    assert (same.url, same.status, same.text) == (f"{server.url}/final", 200, "here")
    assert same.history == ((f"{server.url}/hop", 301),)
    # Not fetched (offline): recorded as far as Location says, for the redirection test.
    assert (off.url, off.status, off.error) == ("https://elsewhere.invalid/", 301, None)
