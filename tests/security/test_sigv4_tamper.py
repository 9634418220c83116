"""SigV4 tamper suite over the wire: boto3 signs a real mutating call, a ``before-send`` hook alters
one signed element in flight, and the real listener (the WAFv2 admin listener, the KMS) must refuse
it with AWS's error code and do nothing.

Covered: method, path (incl. dot segments that normalize back to the signed path), query, each
signed header (altered, then removed), an unsigned ``x-amz-*`` header added, the body, the date,
a replay outside the 5-minute window, a credential scope naming another region or service, no
Authorization at all, an unknown key, a wrong secret.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.auth
import botocore.credentials
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.control.stack import KEYS as WAF_KEYS
from tests.control.stack import running_stack
from tests.sidecars.kms.conftest import KEYS as KMS_KEYS
from tests.sidecars.kms.conftest import start_kms

Tamper = Callable[[Any], None]  # mutates a botocore AWSPreparedRequest in place


def _header(request: Any, name: str) -> str:
    value = request.headers[name]
    return value.decode() if isinstance(value, bytes) else str(value)


def _signed_names(request: Any) -> list[str]:
    match = re.search(r"SignedHeaders=([^,]+)", _header(request, "Authorization"))
    assert match is not None
    return match.group(1).split(";")


def _set_path(path: str) -> Tamper:
    def tamper(request: Any) -> None:
        parts = urlsplit(request.url)
        request.url = urlunsplit(parts._replace(path=path))

    return tamper


def _set_query(request: Any) -> None:
    request.url = request.url + "?Extra=1"


def _method(request: Any) -> None:
    request.method = "PUT"


def _body(request: Any) -> None:
    body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
    assert b"tampered" in body
    request.body = body.replace(b"tampered", b"tamperex")  # same length: Content-Length still fits


def _date(request: Any) -> None:
    when = dt.datetime.strptime(_header(request, "X-Amz-Date"), "%Y%m%dT%H%M%SZ") + dt.timedelta(seconds=1)
    del request.headers["X-Amz-Date"]
    request.headers["X-Amz-Date"] = when.strftime("%Y%m%dT%H%M%SZ")


def _alter_header(name: str) -> Tamper:
    def tamper(request: Any) -> None:
        if name == "x-amz-date":
            _date(request)
        elif name == "host":
            parts = urlsplit(request.url)
            request.headers["Host"] = f"localhost:{parts.port}"
        else:
            value = _header(request, name)
            del request.headers[name]
            request.headers[name] = value + "x"

    return tamper


def _drop_header(name: str) -> Tamper:
    def tamper(request: Any) -> None:
        del request.headers[name]

    return tamper


def _unsigned_amz_header(request: Any) -> None:
    request.headers["X-Amz-Extra"] = "1"


def _narrow_signed_headers(request: Any) -> None:
    auth = _header(request, "Authorization")
    names = [n for n in _signed_names(request) if n in ("host", "x-amz-date")]
    del request.headers["Authorization"]
    narrowed = re.sub(r"SignedHeaders=[^,]+", "SignedHeaders=" + ";".join(names), auth)
    request.headers["Authorization"] = narrowed


def _no_authorization(request: Any) -> None:
    del request.headers["Authorization"]


@dataclass
class Target:
    """One listener under test: how to make a signed mutating call and see that nothing happened."""

    service: str
    url: str
    keys: tuple[str, str]
    call: Callable[[Any], Any]  # the mutating call
    count: Callable[[], int]  # how many things it would have created
    headers: tuple[str, ...]  # the signed headers botocore sends for it
    routed_by_path: bool  # True: another method/path never reaches the API (Starlette 404/405)

    def client(self, *, region: str = "us-east-1", service: str | None = None,
               key: str | None = None, secret: str | None = None) -> Any:
        return boto3.client(
            service or self.service, endpoint_url=self.url, region_name=region,
            aws_access_key_id=key or self.keys[0], aws_secret_access_key=secret or self.keys[1],
            config=Config(retries={"max_attempts": 1}),
        )


@pytest.fixture(scope="module", params=["wafv2-admin", "kms"])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "kms":
        kms, stop = start_kms(tmp)
        try:
            yield Target(
                "kms", kms.url, KMS_KEYS["alice"],
                call=lambda c: c.create_key(Description="tampered"),
                count=lambda: len(kms.client().list_keys()["Keys"]),
                headers=("content-type", "host", "x-amz-date", "x-amz-target"),
                routed_by_path=False,
            )
        finally:
            stop()
        return
    with running_stack(tmp) as stack:
        def count() -> int:
            return len(stack.client().list_ip_sets(Scope="REGIONAL")["IPSets"])

        yield Target(
            "wafv2", stack.admin_url, WAF_KEYS["admin"],
            call=lambda c: c.create_ip_set(Name="tampered", Scope="REGIONAL", IPAddressVersion="IPV4",
                                           Addresses=["198.51.100.1/32"]),
            count=count,
            headers=("content-type", "host", "x-amz-date", "x-amz-target"),
            routed_by_path=True,
        )


def _refused(target: Target, tamper: Tamper | None = None, client: Any = None,
             during: contextlib.AbstractContextManager[object] | None = None) -> ClientError:
    """Make the call through ``tamper`` (inside ``during``); it must fail and change nothing."""
    client = client or target.client()
    before = target.count()
    if tamper is not None:
        client.meta.events.register("before-send", lambda request, **_: tamper(request))
    with pytest.raises(ClientError) as raised, during or contextlib.nullcontext():
        target.call(client)
    assert target.count() == before  # nothing created
    return raised.value


def _code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def test_the_untampered_call_is_accepted(target: Target) -> None:
    client = target.client()
    seen: list[list[str]] = []
    client.meta.events.register("before-send", lambda request, **_: seen.append(_signed_names(request)))
    if target.service == "kms":
        target.call(client)
    else:  # created once: the name is then taken, so the tamper cases below stay refused for auth
        with contextlib.suppress(ClientError):
            target.call(client)
    assert sorted(seen[0]) == sorted(target.headers)  # what the per-header cases below alter


@pytest.mark.parametrize("name", ["content-type", "host", "x-amz-date", "x-amz-target"])
def test_each_signed_header_altered(target: Target, name: str) -> None:
    assert _code(_refused(target, _alter_header(name))) == "InvalidSignatureException"


@pytest.mark.parametrize(("name", "code"), [
    ("content-type", "InvalidSignatureException"),
    ("x-amz-target", "InvalidSignatureException"),
    ("x-amz-date", "IncompleteSignatureException"),  # AWS: requires X-Amz-Date or Date
])
def test_each_signed_header_removed(target: Target, name: str, code: str) -> None:
    assert _code(_refused(target, _drop_header(name))) == code


@pytest.mark.parametrize(("tamper", "code"), [
    (_set_query, "InvalidSignatureException"),
    (_body, "InvalidSignatureException"),
    (_date, "InvalidSignatureException"),
    (_unsigned_amz_header, "InvalidSignatureException"),
    (_narrow_signed_headers, "InvalidSignatureException"),
    (_no_authorization, "MissingAuthenticationTokenException"),
], ids=["query", "body", "date", "unsigned-x-amz-header", "fewer-signed-headers", "no-authorization"])
def test_signed_element_altered(target: Target, tamper: Tamper, code: str) -> None:
    assert _code(_refused(target, tamper)) == code


@pytest.mark.parametrize("tamper", [_method, _set_path("/other"), _set_path("/other/.."), _set_path("//")],
                         ids=["method", "path", "dot-segments", "empty-segments"])
def test_method_and_path_altered(target: Target, tamper: Tamper) -> None:
    error = _refused(target, tamper)
    if target.routed_by_path:  # the admin app answers other paths and methods itself, never the API
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] in (404, 405)
    else:
        assert _code(error) == "InvalidSignatureException"


@contextlib.contextmanager
def _signing_clock_moved(seconds: float) -> Iterator[None]:
    """botocore's signer reads the time through ``datetime``: sign as if ``seconds`` from now."""
    real = botocore.auth.datetime.datetime
    then = real.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=seconds)

    class Moved(real):  # type: ignore[misc, valid-type]
        @classmethod
        def utcnow(cls) -> dt.datetime:
            return then

        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:
            return then.replace(tzinfo=tz) if tz else then

    botocore.auth.datetime.datetime = Moved
    try:
        yield
    finally:
        botocore.auth.datetime.datetime = real


@pytest.mark.parametrize("seconds", [-301, 301])
def test_replay_outside_the_five_minute_window(target: Target, seconds: int) -> None:
    error = _refused(target, during=_signing_clock_moved(seconds))
    assert _code(error) == "InvalidSignatureException"
    assert "Signature expired" in error.response["Error"]["Message"]


def test_scope_with_another_region(target: Target) -> None:
    error = _refused(target, client=target.client(region="eu-west-1"))
    assert _code(error) == "InvalidSignatureException"
    assert "region" in error.response["Error"]["Message"]


def test_scope_with_another_service(target: Target) -> None:
    other = "kms" if target.service == "wafv2" else "wafv2"
    signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(*target.keys), other, "us-east-1")

    def resign(request: Any) -> None:  # the same request, signed for the other service's name
        kept = [k for k in request.headers if k not in ("Authorization", "X-Amz-Date")]
        headers = {k: _header(request, k) for k in kept}
        again = AWSRequest(method=request.method, url=request.url, data=request.body, headers=headers)
        signer.add_auth(again)
        for name in ("Authorization", "X-Amz-Date"):
            del request.headers[name]
            request.headers[name] = again.headers[name]

    error = _refused(target, resign)
    assert _code(error) == "InvalidSignatureException"
    assert "service" in error.response["Error"]["Message"]


def test_unknown_key_and_wrong_secret(target: Target) -> None:
    assert _code(_refused(target, client=target.client(key="AKIAUNKNOWN00000000"))) == (
        "UnrecognizedClientException"
    )
    wrong_secret = _refused(target, client=target.client(secret="not-the-secret"))
    assert _code(wrong_secret) == "InvalidSignatureException"

