"""Every admin route requires credentials, except the probes and the metrics scrape.

Enumerated, not listed by hand: the admin Starlette app's routes, every operation the mounted
WAFv2 API serves (and every one in botocore's wafv2 model), every KMS operation (and botocore's
kms model). Each is called without credentials and with an unknown key on real listeners.

Open on purpose: ``/healthz`` and ``/readyz`` (Kubernetes probes), and ``/metrics`` (the
Prometheus scrape, which carries no SigV4; the admin listener is kept off the data path so
attacker traffic never reaches it — ``wafproxy/asgi/admin.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import botocore.session
import httpx
import pytest
from starlette.routing import Route

from tests.control.stack import Stack, running_stack
from tests.sidecars.kms.conftest import Kms, start_kms
from wafproxy.asgi.admin import Readiness, create_admin_app

OPEN = {"/healthz": {"GET", "HEAD"}, "/readyz": {"GET", "HEAD"}, "/metrics": {"GET", "HEAD"}}
AUTH_CODES = {"MissingAuthenticationTokenException", "UnrecognizedClientException"}
FORGED = ("AWS4-HMAC-SHA256 Credential=AKIAUNKNOWN000000000/20260101/us-east-1/{service}/aws4_request, "
          "SignedHeaders=host;x-amz-date;x-amz-target, Signature=" + "0" * 64)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("admin")) as s:
        yield s


@pytest.fixture(scope="module")
def kms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kms]:
    running, stop = start_kms(tmp_path_factory.mktemp("kms"))
    try:
        yield running
    finally:
        stop()


def _model_operations(service: str) -> set[str]:
    return set(botocore.session.get_session().get_service_model(service).operation_names)


def _refused(url: str, target: str, service: str, forged: bool) -> str:
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
    if forged:
        headers |= {"Authorization": FORGED.format(service=service), "X-Amz-Date": "20260101T000000Z"}
    response = httpx.post(url + "/", content=b"{}", headers=headers)
    assert response.status_code in (400, 403), (target, response.status_code, response.text[:200])
    return str(json.loads(response.content)["__type"])


def test_the_admin_apps_own_routes_are_only_the_open_ones() -> None:
    """A route added to the admin app fails here until it is authenticated and listed below."""
    app = create_admin_app(Readiness(acl_name="x"), lambda: (b"", "text/plain"))
    routes = {r.path: set(r.methods or ()) for r in app.routes if isinstance(r, Route)}
    assert len(routes) == len(app.routes)  # no Mount or other route kind slipped in
    assert routes == OPEN


@pytest.mark.parametrize("forged", [False, True], ids=["no-credentials", "unknown-key"])
def test_every_wafv2_operation_requires_credentials(stack: Stack, forged: bool) -> None:
    served = stack.plane.app.operations
    assert len(served) > 20 and "UpdateIPSet" in served
    codes = {op: _refused(stack.admin_url, f"AWSWAF_20190729.{op}", "wafv2", forged)
             for op in sorted(served | _model_operations("wafv2"))}
    assert set(codes.values()) == {"UnrecognizedClientException" if forged else
                                   "MissingAuthenticationTokenException"}


@pytest.mark.parametrize("forged", [False, True], ids=["no-credentials", "unknown-key"])
def test_every_kms_operation_requires_credentials(kms: Kms, forged: bool) -> None:
    served = set(kms.service.operations)
    assert len(served) > 30 and "Decrypt" in served
    codes = {op: _refused(kms.url, f"TrentService.{op}", "kms", forged)
             for op in sorted(served | _model_operations("kms"))}
    assert set(codes.values()) == {"UnrecognizedClientException" if forged else
                                   "MissingAuthenticationTokenException"}


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("path", ["/", "/healthz", "/readyz", "/metrics", "/admin", "/api",
                                  "/.wafproxy/audit.log", "/healthz/", "/metrics/", "/%2e%2e/", "//",
                                  "/docs", "/openapi.json"])
def test_nothing_else_answers_without_credentials(stack: Stack, method: str, path: str) -> None:
    response = httpx.request(method, stack.admin_url + path, headers={"content-type": "application/json"},
                             content=b"{}" if method in ("POST", "PUT", "PATCH") else None)
    if method in OPEN.get(path, set()):
        assert response.status_code in (200, 503)
    elif path == "/" and method == "POST":
        assert response.json()["__type"] == "MissingAuthenticationTokenException"
    elif response.status_code == 307:  # Starlette's slash redirect: only ever to an open route
        assert httpx.URL(response.headers["location"]).path in OPEN
    else:
        assert response.status_code in (400, 401, 403, 404, 405), response.status_code


def test_open_routes_say_nothing_secret(stack: Stack) -> None:
    body = httpx.get(stack.admin_url + "/readyz").text + httpx.get(stack.admin_url + "/metrics").text
    from tests.control.stack import KEYS

    assert not [who for who, (key, secret) in KEYS.items() if key in body or secret in body]
