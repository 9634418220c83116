"""AWS Signature Version 4 verification, server side.

Recomputes the signature the way botocore computes it (canonical request → string to sign →
derived signing key) and compares in constant time. Errors follow AWS: no ``Authorization`` →
``MissingAuthenticationTokenException``; malformed → ``IncompleteSignatureException``; unknown
access key → ``UnrecognizedClientException``; wrong secret, tampered body or headers, wrong scope,
a date outside ±5 minutes, a credential scope naming another region (with ``region``) →
``InvalidSignatureException``. Two rules beyond botocore's arithmetic close gaps a replayed
request could use: every ``x-amz-*`` header present must be signed (``X-Amz-Target`` names the
operation), and the path must already be in canonical form (no ``.``/``..``/empty segments: the
signature covers the normalized path, while routing reads the path as sent).
Reference: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
"""

from __future__ import annotations

import hashlib
import hmac
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote, unquote

from wafproxy.awsapi import errors
from wafproxy.awsapi.credentials import CredentialStore, Principal

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 300.0  # AWS rejects requests signed more than 5 minutes from server time.
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True, slots=True)
class HttpRequestView:
    """What SigV4 covers, taken from the ASGI scope and the fully read body."""

    method: str
    raw_path: str
    query_string: str
    headers: tuple[tuple[str, str], ...]  # lower-case names, in arrival order
    body: bytes

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v
        return None


@dataclass(frozen=True, slots=True)
class _AuthHeader:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def _parse_authorization(value: str) -> _AuthHeader:
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise errors.incomplete_signature(f"Unsupported authorization algorithm {algorithm[:32]!r}")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            raise errors.incomplete_signature(
                "Authorization header requires Credential, SignedHeaders, Signature"
            )
        parts[key] = val
    try:
        credential, signed, signature = parts["Credential"], parts["SignedHeaders"], parts["Signature"]
    except KeyError:
        raise errors.incomplete_signature(
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'"
        ) from None
    scope = credential.split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise errors.incomplete_signature("Credential should be scoped to a valid region, service and date")
    return _AuthHeader(scope[0], scope[1], scope[2], scope[3], tuple(signed.split(";")), signature.strip())


def _canonical_uri(raw_path: str) -> str:
    # botocore normalises the path (dot segments) and URI-encodes it once more (non-S3 services).
    # The raw (still percent-encoded) path is what botocore signs, so '%' becomes '%25' here.
    path = raw_path or "/"
    normalized = posixpath.normpath(path) if path != "/" else "/"
    if normalized.startswith("//"):
        normalized = "/" + normalized.lstrip("/")
    if path.endswith("/") and normalized != "/":
        normalized += "/"
    return quote(normalized, safe="/~")


def _is_canonical_path(raw_path: str) -> bool:
    """No dot or empty segments: the path routed is then the path signed."""
    segments = (raw_path or "/").split("/")[1:]
    if segments and segments[-1] == "":
        segments = segments[:-1]  # one trailing slash is kept by the canonical form
    return all(seg not in ("", ".", "..") for seg in segments)


def _canonical_query(query_string: str) -> str:
    if not query_string:
        return ""
    pairs: list[tuple[str, str]] = []
    for item in query_string.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        pairs.append((quote(unquote(key), safe="-_.~"), quote(unquote(value), safe="-_.~")))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def _canonical_headers(headers: Iterable[tuple[str, str]], signed: tuple[str, ...]) -> str:
    wanted = set(signed)
    collected: dict[str, list[str]] = {}
    for name, value in headers:
        if name in wanted:
            collected.setdefault(name, []).append(" ".join(value.split()))
    return "".join(f"{name}:{','.join(collected.get(name, []))}\n" for name in signed)


@lru_cache(maxsize=256)  # capped: one entry per (secret, day, region, service)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def _payload_hash(req: HttpRequestView) -> str:
    body_hash = hashlib.sha256(req.body).hexdigest() if req.body else _EMPTY_SHA256
    declared = req.header("x-amz-content-sha256")
    if declared is not None and not hmac.compare_digest(declared.encode(), body_hash.encode()):
        # UNSIGNED-PAYLOAD and streaming modes are S3-only; our APIs sign their (small) bodies.
        raise errors.invalid_signature(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    return body_hash


def _request_time(req: HttpRequestView) -> tuple[str, datetime]:
    amz_date = req.header("x-amz-date")
    if amz_date is None:
        raise errors.incomplete_signature(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    try:
        # Fixed layout YYYYMMDDTHHMMSSZ; int slices are ~20x cheaper than strptime on the hot path.
        if len(amz_date) != 16 or amz_date[8] != "T" or amz_date[15] != "Z" or not amz_date[:8].isdigit():
            raise ValueError(amz_date)
        d = amz_date
        when = datetime(
            int(d[0:4]), int(d[4:6]), int(d[6:8]), int(d[9:11]), int(d[11:13]), int(d[13:15]), tzinfo=UTC
        )
    except ValueError:
        raise errors.incomplete_signature("X-Amz-Date must be in ISO8601 basic format") from None
    return amz_date, when


def verify(
    req: HttpRequestView,
    store: CredentialStore,
    *,
    now: float,
    service: str,
    region: str | None = None,
    max_skew: float = MAX_SKEW_SECONDS,
) -> Principal:
    """The principal whose secret signed ``req``; raises ``AwsError`` (nothing done) otherwise.
    ``region``: the one region this endpoint serves (``None``: any, echoed by the caller)."""
    authorization = req.header("authorization")
    if authorization is None:
        raise errors.missing_token()
    auth = _parse_authorization(authorization)
    if "host" not in auth.signed_headers:
        raise errors.incomplete_signature("Signed headers must include 'host'")
    if "x-amz-date" not in auth.signed_headers:
        raise errors.incomplete_signature("Signed headers must include 'x-amz-date'")
    unsigned = sorted({n for n, _ in req.headers if n.startswith("x-amz-")} - set(auth.signed_headers))
    if unsigned:
        raise errors.invalid_signature(
            f"There were headers present in the request which were not signed: {', '.join(unsigned)[:128]}"
        )
    if not _is_canonical_path(req.raw_path):
        raise errors.invalid_signature("The request path must not contain '.', '..' or empty segments")
    principal = store.lookup(auth.access_key_id)
    if principal is None:
        raise errors.unrecognized_client()
    token = req.header("x-amz-security-token")
    if token is not None or principal.session_token is not None:
        if (
            token is None
            or principal.session_token is None
            or not hmac.compare_digest(token.encode(), principal.session_token.encode())
        ):
            raise errors.unrecognized_client()
    amz_date, when = _request_time(req)
    skew = now - when.timestamp()
    if abs(skew) > max_skew:
        raise errors.invalid_signature(
            f"Signature expired: {amz_date} is now outside the {int(max_skew)}s window of the server time."
        )
    if auth.date != amz_date[:8]:
        raise errors.invalid_signature(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date"
        )
    if region is not None and auth.region != region:
        raise errors.invalid_signature(
            f"Credential should be scoped to a valid region, not '{auth.region[:32]}'."
        )
    if auth.service != service:
        raise errors.invalid_signature(f"Credential should be scoped to correct service: '{service}'.")
    canonical = "\n".join(
        (
            req.method.upper(),
            _canonical_uri(req.raw_path),
            _canonical_query(req.query_string),
            _canonical_headers(req.headers, auth.signed_headers),
            ";".join(auth.signed_headers),
            _payload_hash(req),
        )
    )
    scope = f"{auth.date}/{auth.region}/{auth.service}/aws4_request"
    to_sign = f"{ALGORITHM}\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = _signing_key(principal.secret_access_key, auth.date, auth.region, auth.service)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
        raise errors.invalid_signature(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method."
        )
    return principal


def region_of(req: HttpRequestView) -> str | None:
    """The region named in the credential scope (services echo it in ARNs)."""
    authorization = req.header("authorization")
    if authorization is None:
        return None
    try:
        return _parse_authorization(authorization).region
    except errors.AwsError:
        return None


def signed_service(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The service named in an ASGI request's SigV4 credential scope (``…/us-east-1/guardduty/…``),
    unverified: the admin listener uses it to hand a signed call to the API it was signed for, so an
    operation we do not serve still gets that service's AWS-shaped error instead of a plain 404."""
    for name, value in headers:
        if name.lower() == b"authorization":
            _, sep, rest = value.partition(b"Credential=")
            scope = rest.split(b",", 1)[0].split(b"/")
            if sep and len(scope) == 5:
                return scope[3].decode("latin-1")[:64]
            return None
    return None
