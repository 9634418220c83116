"""Tiny Starlette apps with chosen headers, served for real on loopback by the assessor's tests."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

GOOD_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; frame-ancestors 'none'",
    "strict-transport-security": "max-age=63072000",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def good_app() -> Starlette:
    async def index(request: Request) -> Response:
        r = HTMLResponse(
            "<!doctype html><title>ok</title><script src=/app.js></script>", headers=GOOD_HEADERS
        )
        r.set_cookie("sessionid", "x", secure=True, httponly=True, samesite="strict")
        return r

    return Starlette(routes=[Route("/", index)])


def bad_app() -> Starlette:
    """Everything Observatory and the exposure checks look for, done wrong."""

    async def index(request: Request) -> Response:
        origin = request.headers.get("origin")
        headers = {"server": "Apache/2.4.1 (Unix)", "x-powered-by": "PHP/5.6.0"}
        if origin:
            headers |= {"access-control-allow-origin": origin, "access-control-allow-credentials": "true"}
        r = HTMLResponse(
            "<!doctype html><title>bad</title><script src=http://cdn.example.net/x.js></script>",
            headers=headers,
        )
        r.headers.append("set-cookie", "sessionid=abc; Path=/")
        r.headers.append("set-cookie", "__Host-id=1; Path=/app")
        return r

    async def git_config(request: Request) -> Response:
        return PlainTextResponse("[core]\n\trepositoryformatversion = 0\n")

    async def catch_all(request: Request) -> Response:
        return PlainTextResponse("welcome")  # a 200 for everything: not an exposure by itself

    return Starlette(
        routes=[Route("/", index), Route("/.git/config", git_config), Route("/{rest:path}", catch_all)]
    )
