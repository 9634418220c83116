"""``wafproxy demo``: a small shop API with the routes attacks aim at, and the runner that puts the
proxy (default web ACL), the admin endpoints and the KMS sidecar around it.

A search page that reflects its query (XSS bait), JSON CRUD on ``/api/items`` (PUT/PATCH/DELETE),
a form login, static files. It is deliberately naive — it trusts its input — so that what the WAF
stops is visible. It keeps its state in memory, capped, and is never meant for real traffic.
"""

from __future__ import annotations

import dataclasses
import hmac
import html
import os
import secrets
import socket
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from wafproxy import __version__
from wafproxy.settings import Settings, UpstreamRoute

MAX_ITEMS = 1000  # every per-key table capped (STYLE): the demo is reachable by anyone on loopback

_STATIC = {
    "style.css": ("text/css", b"body { font-family: sans-serif; margin: 2em; }\n"),
    "app.js": ("application/javascript", b"console.log('wafproxy demo');\n"),
    "robots.txt": ("text/plain", b"User-agent: *\nDisallow: /api/\n"),
}


def create_demo_app() -> Starlette:
    items: dict[int, dict[str, Any]] = {1: {"id": 1, "name": "teapot", "price": 18.0}}
    next_id = [2]

    async def index(request: Request) -> Response:
        return HTMLResponse(
            "<!doctype html><title>wafproxy demo shop</title><link rel=stylesheet href=/static/style.css>"
            "<h1>wafproxy demo shop</h1><form action=/search><input name=q><button>Search</button></form>"
            "<p><a href=/api/items>/api/items</a></p>"
        )

    async def search(request: Request) -> Response:
        q = request.query_params.get("q", "")
        hits = [i for i in items.values() if q.lower() in str(i["name"]).lower()] if q else []
        # Escaped here; the WAF is the second line of defence, not the only one.
        return HTMLResponse(f"<h1>Results for {html.escape(q)}</h1><p>{len(hits)} item(s)</p>")

    async def list_items(request: Request) -> Response:
        return JSONResponse(list(items.values()))

    async def create_item(request: Request) -> Response:
        data = await _json_object(request)
        if isinstance(data, Response):
            return data
        if len(items) >= MAX_ITEMS:
            return JSONResponse({"error": "too many items"}, status_code=507)
        item = {"id": next_id[0], "name": str(data.get("name", "")), "price": data.get("price", 0)}
        items[next_id[0]] = item
        next_id[0] += 1
        return JSONResponse(item, status_code=201)

    async def item(request: Request) -> Response:
        item_id = request.path_params["item_id"]
        if item_id not in items:
            return JSONResponse({"error": "not found"}, status_code=404)
        if request.method == "GET":
            return JSONResponse(items[item_id])
        if request.method == "DELETE":
            del items[item_id]
            return Response(status_code=204)
        data = await _json_object(request)
        if isinstance(data, Response):
            return data
        if request.method == "PUT":
            items[item_id] = {"id": item_id, "name": str(data.get("name", "")), "price": data.get("price", 0)}
        else:  # PATCH
            items[item_id].update({k: v for k, v in data.items() if k in ("name", "price")})
        return JSONResponse(items[item_id])

    async def login(request: Request) -> Response:
        # urlencoded by hand: Starlette's form parser needs python-multipart, one dependency more.
        form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=20)
        user, password = form.get("username", [""])[0], form.get("password", [""])[0]
        # Constant-time even in a demo: code gets copied.
        if hmac.compare_digest(user.encode(), b"demo") and hmac.compare_digest(password.encode(), b"demo"):
            return JSONResponse({"ok": True, "user": user})
        return JSONResponse({"ok": False}, status_code=401)

    async def static(request: Request) -> Response:
        entry = _STATIC.get(request.path_params["name"])
        if entry is None:
            return PlainTextResponse("not found\n", status_code=404)
        return Response(entry[1], media_type=entry[0])

    async def echo(request: Request) -> Response:
        """Echo the body back (size and bytes): lets tests and users see the body arrive intact."""
        body = await request.body()
        return Response(body, media_type="application/octet-stream", headers={"x-body-size": str(len(body))})

    return Starlette(
        routes=[
            Route("/", index),
            Route("/search", search),
            Route("/api/items", list_items, methods=["GET"]),
            Route("/api/items", create_item, methods=["POST"]),
            Route("/api/items/{item_id:int}", item, methods=["GET", "PUT", "PATCH", "DELETE"]),
            Route("/login", login, methods=["POST"]),
            Route("/static/{name:str}", static),
            Route("/echo", echo, methods=["POST", "PUT"]),
        ]
    )


async def _json_object(request: Request) -> dict[str, Any] | Response:
    try:
        data = await request.json()
    except ValueError:
        return JSONResponse({"error": "body must be JSON"}, status_code=400)
    if not isinstance(data, dict):
        return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
    return data


DEMO_ATTACKS = (
    "/search?q=<script>alert(1)</script>",
    "/search?q=1%27%20OR%20%271%27=%271",
    "/.git/config",
    "/.env",
)


def blocked_examples(acl: Any) -> list[str]:
    """The demo attacks this ACL really blocks: the banner never promises a block that won't come."""
    from wafproxy.engine import evaluate
    from wafproxy.engine.request import WafRequest

    found = []
    for target in DEMO_ATTACKS:
        path, _, query = target.partition("?")
        request = WafRequest("203.0.113.10", "GET", path, query, (("host", "demo"), ("user-agent", "curl/8")))
        if evaluate(acl, request).blocked:
            found.append(target)
    return found


@dataclass
class DemoKms:
    """The KMS sidecar in-process for the demo: throwaway root key, keystore and credentials."""

    app: Any
    credentials_file: Path
    close: Callable[[], None]
    service: Any = None  # the KmsService: the findings hub watches its keys and audit log


def start_kms(data_dir: Path, policy_file: Path | None = None) -> DemoKms:
    """Open a KMS over ``data_dir`` with a random root key and one random principal, ``demo``.

    The credentials are written as an AWS shared-credentials file (0600) so ``aws``/boto3 can use
    it as ``AWS_SHARED_CREDENTIALS_FILE``; the secret is never printed. Everything dies with the
    demo: the root key exists only in this process.
    """
    from wafproxy.awsapi.credentials import CredentialStore
    from wafproxy.cli.inprocess_kms import kms_identity_policies
    from wafproxy.sidecars.kms.service import KmsService

    creds = data_dir / "credentials"
    access_key = "AKIADEMO" + secrets.token_hex(6).upper()
    fd = os.open(creds, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        secret = secrets.token_hex(20)
        fh.write(f"[demo]\naws_access_key_id = {access_key}\naws_secret_access_key = {secret}\n")
    service = KmsService.open(data_dir=data_dir / "kms", root_key=secrets.token_bytes(32),
                              credentials=CredentialStore.load(creds),
                              identity_policies=kms_identity_policies(policy_file))
    return DemoKms(service.app, creds, service.close, service)


def _bound(server: Any) -> str:
    """HOST:PORT a started server actually listens on (the port may have been 0)."""
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _loopback_socket() -> socket.socket:
    """An ephemeral loopback port for an in-process side server (never reachable from outside)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def run_demo(base: Settings) -> int:
    """``wafproxy demo``: the proxy + ``base.acl`` in front of the demo shop, with the KMS, on
    loopback ports of their own, all in this process and loop, until Ctrl-C."""
    import uvicorn
    import uvloop

    from wafproxy.cli import QuietServer, listen_socket, load_acl, log_config, serve_in_process

    demo_sock = _loopback_socket()
    # --kms-listen names where the demo's own KMS answers (its key store stays temporary).
    kms_sock = listen_socket(base.kms_listen, "--kms-listen") if base.kms_listen else _loopback_socket()
    demo_url = f"http://127.0.0.1:{demo_sock.getsockname()[1]}"
    settings = dataclasses.replace(base, upstreams=(UpstreamRoute(demo_url),), workers=1)
    if not settings.trusted_proxies:
        # Everything here is on loopback, which the detector never bans (its policy's never_ban):
        # trusting loopback as a proxy lets a local tool play a remote client with X-Forwarded-For.
        settings = dataclasses.replace(settings, trusted_proxies=("127.0.0.0/8",))
    acl = load_acl(settings)
    attacks = blocked_examples(acl)
    scheme = "https" if settings.tls_cert else "http"

    def side(app: Any) -> Any:
        return QuietServer(uvicorn.Config(app, loop="uvloop", http="httptools", access_log=False,
                                          lifespan="off", log_config=log_config(settings.log_level),
                                          log_level=settings.log_level))

    with tempfile.TemporaryDirectory(prefix="wafproxy-demo-") as tmp:
        kms = start_kms(Path(tmp), settings.policy_file)
        # The same generated principal may call the WAFv2 API on the admin port; API changes
        # persist in --state-dir when given (kept across runs, like `serve`), otherwise in the
        # temporary directory — never in the shipped rules. The KMS and credentials stay temporary.
        state = settings.state_dir or Path(tmp) / "state"
        settings = dataclasses.replace(settings, credentials=kms.credentials_file,
                                       state_dir=state, kms_listen=None,
                                       kms_data_dir=None, kms_root_key_file=None)
        profile = f"AWS_SHARED_CREDENTIALS_FILE={kms.credentials_file} AWS_PROFILE=demo"

        def banner(servers: Sequence[Any]) -> None:
            waf = f"{scheme}://{_bound(servers[0])}"
            admin = f"http://{_bound(servers[1])}"
            lines = [
                f"wafproxy {__version__} demo: web ACL {acl.name!r} in front of a demo shop (Ctrl-C stops).",
                f"  demo app, unprotected:  {demo_url}/",
                f"  the same, through WAF:  {waf}/",
                f"  a benign request:       curl -i '{waf}/search?q=teapot'",
                *(f"  an attack (blocked):    curl -i '{waf}{target}'" for target in attacks),
                "  a scanner (banned by the threat detector at its 3rd sensitive path):",
                "    for p in /.env /.git/config /backup.sql /; do curl -s -o /dev/null "
                f"-w '%{{http_code}} ' -H 'X-Forwarded-For: 203.0.113.9' '{waf}'$p; done",
                f"  JSON API:               curl -i -X POST {waf}/api/items -d '{{\"name\":\"mug\"}}'",
                f"  admin:                  {admin}/healthz  {admin}/readyz  {admin}/metrics",
                f"  console:                {admin}/console (sign in with the credentials file's key pair)",
                f"  credentials (demo):     {kms.credentials_file} (0600; the secret is not printed)",
                f"  state (API changes):    {state}"
                + ("" if base.state_dir else " (temporary: --state-dir DIR keeps it)"),
                f"  WAFv2 API:              {profile} "
                f"aws --region us-east-1 --endpoint-url {admin} wafv2 list-web-acls --scope REGIONAL",
                f"  Security Hub API:       {profile} "
                f"aws --region us-east-1 --endpoint-url {admin} securityhub get-findings",
                f"  KMS (AWS API):          {profile} "
                f"aws --region us-east-1 --endpoint-url http://{_bound(servers[3])} kms create-key",
            ]
            print("\n".join(lines), flush=True)

        extra = [(side(create_demo_app()), demo_sock), (side(kms.app), kms_sock)]
        try:
            uvloop.run(serve_in_process(settings, extra=extra, on_started=banner, kms_service=kms.service))
        finally:
            kms.close()
            demo_sock.close()
            kms_sock.close()
    return 0
