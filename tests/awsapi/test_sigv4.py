"""SigV4 verification against requests signed by botocore's own signer (the real client code)."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from wafproxy.awsapi.credentials import CredentialsError, CredentialStore
from wafproxy.awsapi.errors import AwsError
from wafproxy.awsapi.sigv4 import HttpRequestView, verify

STORE = CredentialStore.parse(
    """
[alice]
aws_access_key_id = AKIAALICE
aws_secret_access_key = alice-secret

[bob]
aws_access_key_id = AKIABOB
aws_secret_access_key = bob-secret
"""
)


def _signed(
    body: bytes = b'{"KeyId":"k"}',
    *,
    key: str = "AKIAALICE",
    secret: str = "alice-secret",
    service: str = "kms",
    url: str = "https://kms.local:8443/",
    when: float | None = None,
) -> HttpRequestView:
    req = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"X-Amz-Target": "TrentService.Encrypt", "Content-Type": "application/x-amz-json-1.1"},
    )
    auth = SigV4Auth(Credentials(key, secret), service, "us-east-1")
    if when is not None:
        # botocore reads the clock via datetime; sign "in the past" by patching its timestamp.
        import botocore.auth as ba

        real = ba.datetime.datetime
        fixed = dt.datetime.fromtimestamp(when, dt.UTC).replace(tzinfo=None)

        class _Frozen(real):  # type: ignore[misc, valid-type]
            @classmethod
            def utcnow(cls) -> dt.datetime:
                return fixed

            @classmethod
            def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:
                return fixed.replace(tzinfo=tz) if tz else fixed

        ba.datetime.datetime = _Frozen
        try:
            auth.add_auth(req)
        finally:
            ba.datetime.datetime = real
    else:
        auth.add_auth(req)
    parts = urlsplit(url)
    headers = [("host", parts.netloc)] + [(k.lower(), v) for k, v in req.headers.items()]
    return HttpRequestView("POST", parts.path or "/", parts.query, tuple(headers), body)


def _code(view: HttpRequestView, **kw: object) -> str:
    with pytest.raises(AwsError) as err:
        verify(view, STORE, now=kw.pop("now", time.time()), service="kms")  # type: ignore[arg-type]
    return err.value.code


def test_valid_signature_names_the_principal() -> None:
    assert verify(_signed(), STORE, now=time.time(), service="kms").name == "alice"
    bob = _signed(key="AKIABOB", secret="bob-secret")
    assert verify(bob, STORE, now=time.time(), service="kms").arn == "arn:aws:iam::123456789012:user/bob"


def test_query_string_and_path_are_covered() -> None:
    view = _signed(b"", url="https://h/some%20path/x?b=2&a=1&c=%2F")
    assert verify(view, STORE, now=time.time(), service="kms").name == "alice"
    tampered = HttpRequestView(view.method, view.raw_path, "b=2&a=1&c=3", view.headers, view.body)
    assert _code(tampered) == "InvalidSignatureException"


def test_unknown_access_key() -> None:
    assert _code(_signed(key="AKIANOBODY")) == "UnrecognizedClientException"


def test_wrong_secret() -> None:
    assert _code(_signed(secret="guess")) == "InvalidSignatureException"


def test_tampered_body() -> None:
    v = _signed()
    assert _code(HttpRequestView(v.method, v.raw_path, v.query_string, v.headers, b'{"KeyId":"x"}')) == (
        "InvalidSignatureException"
    )


def test_tampered_signed_header() -> None:
    v = _signed()
    headers = tuple((k, "TrentService.Decrypt" if k == "x-amz-target" else val) for k, val in v.headers)
    assert _code(HttpRequestView(v.method, v.raw_path, v.query_string, headers, v.body)) == (
        "InvalidSignatureException"
    )


def test_stale_and_future_dates() -> None:
    assert _code(_signed(when=time.time() - 600)) == "InvalidSignatureException"
    assert _code(_signed(when=time.time() + 600)) == "InvalidSignatureException"
    # Inside the window is fine.
    assert verify(_signed(when=time.time() - 200), STORE, now=time.time(), service="kms").name == "alice"


def test_wrong_service_scope() -> None:
    assert _code(_signed(service="wafv2")) == "InvalidSignatureException"


def test_missing_and_malformed_authorization() -> None:
    v = _signed()
    no_auth = tuple(h for h in v.headers if h[0] != "authorization")
    assert _code(HttpRequestView("POST", "/", "", no_auth, v.body)) == "MissingAuthenticationTokenException"
    bad = no_auth + (("authorization", "AWS4-HMAC-SHA256 Credential=AKIAALICE"),)
    assert _code(HttpRequestView("POST", "/", "", bad, v.body)) == "IncompleteSignatureException"
    other = no_auth + (("authorization", "Basic YWxpY2U6eA=="),)
    assert _code(HttpRequestView("POST", "/", "", other, v.body)) == "IncompleteSignatureException"


def test_declared_payload_hash_must_match_body() -> None:
    v = _signed()
    headers = v.headers + (("x-amz-content-sha256", "0" * 64),)
    assert _code(HttpRequestView(v.method, v.raw_path, "", headers, v.body)) == "InvalidSignatureException"


def test_credentials_file_errors() -> None:
    with pytest.raises(CredentialsError):
        CredentialStore.parse("[a]\naws_access_key_id = X\n")
    with pytest.raises(CredentialsError):
        CredentialStore.parse("[a]\naws_access_key_id = X\naws_secret_access_key = s\nregion = x\n")
    with pytest.raises(CredentialsError):
        CredentialStore.parse(
            "[a]\naws_access_key_id = X\naws_secret_access_key = s\n"
            "[b]\naws_access_key_id = X\naws_secret_access_key = t\n"
        )
    assert "alice-secret" not in repr(STORE.lookup("AKIAALICE"))
