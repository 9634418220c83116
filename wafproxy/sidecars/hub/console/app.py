"""The console's routes (Starlette), behind a session: ``create_console(deps)`` → ASGI app.

GET pages render server-side; every change is a POST form with the CSRF token, from our origin
(``session.same_origin``), then a redirect (POST/redirect/GET). Every response carries the strict
CSP and no-store. The signed-in principal acts under the same policies as over the APIs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.params import Params
from wafproxy.sidecars.hub.console import pages_config, pages_dashboard, pages_findings
from wafproxy.sidecars.hub.console.deps import ConsoleDeps
from wafproxy.sidecars.hub.console.html import SECURITY_HEADERS, error_box, page, signin_page
from wafproxy.sidecars.hub.console.session import (
    COOKIE,
    Session,
    Sessions,
    check_secret,
    cookie_header,
    csrf_ok,
    same_origin,
)

STATIC = {"console.css": "text/css", "console.js": "text/javascript", "favicon.svg": "image/svg+xml"}
STATIC_DIR = Path(__file__).parent / "static"
MAX_FORM_BYTES = 256 * 1024


def _html(body: str, status: int = 200, **headers: str) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={**SECURITY_HEADERS, **headers})


def _redirect(to: str, **headers: str) -> Response:
    return RedirectResponse(to, status_code=303, headers={**SECURITY_HEADERS, **headers})


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


async def _form(request: Request) -> dict[str, list[str]]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise ValueError("forms are application/x-www-form-urlencoded")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise ValueError("form too large")
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=300)


def create_console(deps: ConsoleDeps, *, clock: Any = time) -> Starlette:
    sessions = Sessions()
    ip_ops: dict[str, Any] = {}
    if deps.plane is not None:
        from wafproxy.control import ops_sets

        ip_ops = ops_sets.operations(deps.plane)

    def session_of(request: Request) -> Session | None:
        return sessions.get(request.cookies.get(COOKIE), clock.time())

    def origin_ok(request: Request) -> bool:
        return same_origin(
            {k.lower(): v for k, v in request.headers.items()},
            request.url.scheme,
            request.headers.get("host", ""),
        )

    def view(render: Any, title: str, current: str, operation: str = "GetFindings") -> Any:
        async def handler(request: Request) -> Response:
            session = session_of(request)
            if session is None:
                return _redirect("/console/signin")
            try:
                deps.allow(session.principal, operation, _client(request))
            except AwsError as exc:
                return _html(page(title, error_box(exc.message)), 403)
            body = render(request, session)
            return _html(
                page(title, body, current=current, csrf=session.csrf, principal=session.principal.name)
            )

        return handler

    def change(act: Any) -> Any:
        async def handler(request: Request) -> Response:
            session = session_of(request)
            if session is None or not origin_ok(request):
                return _html(
                    page("Refused", error_box("Refused: sign in, from this console's own pages.")), 403
                )
            try:
                form = await _form(request)
            except ValueError as exc:
                return _html(page("Refused", error_box(str(exc))), 400)
            if not csrf_ok(session, (form.get("csrf") or [""])[0] or None):
                return _html(
                    page("Refused", error_box("Refused: the form's CSRF token is missing or stale.")), 403
                )
            result: Response = await act(request, session, form)
            return result

        return handler

    async def signin_form(request: Request) -> Response:
        return _html(signin_page())

    async def signin(request: Request) -> Response:
        now = clock.time()
        if not origin_ok(request):
            return _html(signin_page("Refused: sign in from this console's own page."), 403)
        if sessions.throttled(_client(request), now):
            return _html(signin_page("Too many failed sign-ins; wait a minute."), 429)
        try:
            form = await _form(request)
        except ValueError as exc:
            return _html(signin_page(str(exc)), 400)
        principal = check_secret(
            deps.credentials,
            (form.get("access_key_id") or [""])[0],
            (form.get("secret_access_key") or [""])[0],
        )
        if principal is None:
            sessions.failed(_client(request), now)
            return _html(signin_page("Unknown access key ID or wrong secret."), 401)
        session = sessions.create(principal, now)
        secure = deps.secure_cookies or request.url.scheme == "https"
        return _redirect("/console", **{"set-cookie": cookie_header(session.sid, secure=secure)})

    async def signout(request: Request, session: Session, form: dict[str, list[str]]) -> Response:
        sessions.end(session.sid)
        secure = deps.secure_cookies or request.url.scheme == "https"
        return _redirect("/console/signin", **{"set-cookie": cookie_header("", secure=secure, clear=True)})

    async def traffic(request: Request) -> Response:
        if session_of(request) is None:
            return JSONResponse({"error": "signed out"}, status_code=401, headers=SECURITY_HEADERS)
        return JSONResponse(pages_dashboard.traffic_json(deps, clock.time()), headers=SECURITY_HEADERS)

    async def update_findings(request: Request, session: Session, form: dict[str, list[str]]) -> Response:
        back = (form.get("back") or ["/console/findings"])[0]
        if not back.startswith("/console/findings"):
            back = "/console/findings"
        try:
            deps.allow(session.principal, "BatchUpdateFindings", _client(request))
            ids, changes = pages_findings.update_from_form(form)
        except (AwsError, pages_findings.FormError) as exc:
            text = exc.message if isinstance(exc, AwsError) else str(exc)
            query = {k: v for k, v in request.query_params.items()}
            return _html(
                page(
                    "Findings",
                    pages_findings.render(deps, query, session.csrf) + error_box(text),
                    current="/console/findings",
                    csrf=session.csrf,
                    principal=session.principal.name,
                ),
                400,
            )
        if "Note" in changes:
            changes["Note"]["UpdatedBy"] = session.principal.arn
        done = deps.hub.update(ids, changes, session.principal.arn)
        if deps.audit is not None:
            deps.audit.record(
                session.principal.arn, "BatchUpdateFindings", deps.hub.arn, "ok", f"console: {len(done)}"
            )
        sep = "&" if "?" in back else "?"
        return _redirect(f"{back}{sep}updated={len(done)}")

    def render_findings(request: Request, session: Session) -> str:
        query = dict(request.query_params)
        updated = query.pop("updated", "")
        message = f"Updated {updated} finding(s)." if updated.isdigit() else ""
        return pages_findings.render(deps, query, session.csrf, message)

    async def ipset_page(request: Request) -> Response:
        return await _ipset(request, None)

    async def ipset_save(request: Request, session: Session, form: dict[str, list[str]]) -> Response:
        return await _ipset(request, (session, form))

    async def _ipset(request: Request, posted: tuple[Session, dict[str, list[str]]] | None) -> Response:
        session = posted[0] if posted else session_of(request)
        if session is None:
            return _redirect("/console/signin")
        name = request.path_params["name"]
        res = deps.plane.store.get("ipset", name) if deps.plane is not None else None
        if res is None:
            return _html(page("IP set", error_box("No such IP set."), csrf=session.csrf), 404)
        base = {"Name": name, "Scope": "REGIONAL", "Id": res.id}
        ctx = deps.context(session.principal, "GetIPSet", _client(request))
        error, message, text = "", "", None
        try:
            if posted:
                form = posted[1]
                text = (form.get("addresses") or [""])[0]
                addresses = pages_config.parse_addresses(
                    text, str(res.document.get("IPAddressVersion", "IPV4"))
                )
                uctx = deps.context(session.principal, "UpdateIPSet", _client(request))
                try:
                    await ip_ops["UpdateIPSet"](
                        uctx,
                        Params(
                            {**base, "Addresses": addresses, "LockToken": (form.get("lock_token") or [""])[0]}
                        ),
                    )
                except AwsError as exc:
                    deps.plane.audit.record(
                        session.principal.arn, "UpdateIPSet", res.arn, exc.code, "console"
                    )
                    raise
                deps.plane.audit.record(session.principal.arn, "UpdateIPSet", res.arn, "ok", "console")
                message, text = f"Saved {len(addresses)} address(es).", None
            got = await ip_ops["GetIPSet"](ctx, Params(base))
        except (AwsError, pages_config.PageError) as exc:
            error = exc.message if isinstance(exc, AwsError) else str(exc)
            if isinstance(exc, AwsError) and "OptimisticLock" in exc.code:
                error += " Someone changed it since you loaded it: reload the page, then edit again."
            got = {
                "IPSet": res.document,
                "LockToken": (posted[1].get("lock_token") or [""])[0] if posted else "",
            }
        body = pages_config.ipset_form(
            name, got["IPSet"], got["LockToken"], session.csrf, error, message, text
        )
        return _html(
            page(
                f"IP set {name}",
                body,
                current="/console/ipsets",
                csrf=session.csrf,
                principal=session.principal.name,
            ),
            400 if error else 200,
        )

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found\n", status_code=404, headers=SECURITY_HEADERS)
        headers = {**SECURITY_HEADERS, "cache-control": "no-cache"}
        return Response((STATIC_DIR / name).read_bytes(), media_type=STATIC[name], headers=headers)

    async def root_redirect(request: Request) -> Response:
        return _redirect("/console")

    return Starlette(
        routes=[
            Route(
                "/console",
                view(lambda r, s: pages_dashboard.render(deps, clock.time()), "Dashboard", "/console"),
            ),
            Route("/console/", root_redirect),
            Route("/console/signin", signin_form, methods=["GET"]),
            Route("/console/signin", signin, methods=["POST"]),
            Route("/console/signout", change(signout), methods=["POST"]),
            Route("/console/api/traffic", traffic),
            Route("/console/findings", view(render_findings, "Findings", "/console/findings")),
            Route("/console/findings/update", change(update_findings), methods=["POST"]),
            Route(
                "/console/controls",
                view(lambda r, s: pages_config.controls(deps), "Controls", "/console/controls"),
            ),
            Route("/console/acl", view(lambda r, s: pages_config.acl(deps), "Web ACL", "/console/acl")),
            Route(
                "/console/ipsets", view(lambda r, s: pages_config.ipsets(deps), "IP sets", "/console/ipsets")
            ),
            Route("/console/ipsets/{name}", ipset_page, methods=["GET"]),
            Route("/console/ipsets/{name}", change(ipset_save), methods=["POST"]),
            Route(
                "/console/samples",
                view(
                    lambda r, s: pages_config.samples(deps, dict(r.query_params), clock.time()),
                    "Sampled requests",
                    "",
                ),
            ),
            Route("/console/static/{name}", static),
        ]
    )
