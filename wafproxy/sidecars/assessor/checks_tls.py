"""TLS of every https target (the listener, each upstream): chain, hostname, expiry, key size,
old protocol versions and weak ciphers offered.

Blocking ``ssl`` handshakes in a thread (a handful per target). A version or cipher the local
OpenSSL will not even offer cannot be tested; that is said in the evidence of an INFORMATIONAL
observation rather than passed silently.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import warnings
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

from wafproxy.sidecars.assessor.context import AssessContext, Target
from wafproxy.sidecars.assessor.model import CheckError, CheckSpec, Fix, Observation, Severity
from wafproxy.sidecars.assessor.registry import FamilyResult, register

FAMILY = "tls"
EXPIRY_WARNING_DAYS = 30
TIMEOUT = 3.0
WEAK_CIPHERS = "RC4:3DES:DES:NULL:EXPORT:aNULL:eNULL:MD5:@SECLEVEL=0"


def _spec(suffix: str, severity: Severity, title: str, remediation: str) -> CheckSpec:
    return CheckSpec(
        f"WAFP-TLS-{suffix}", FAMILY, "NETWORK_REACHABILITY", severity, title, title + ".", remediation
    )


HANDSHAKE = _spec(
    "HANDSHAKE", "HIGH", "TLS handshake fails", "Check the certificate/key pair and the TLS settings."
)
CHAIN = _spec(
    "CHAIN",
    "HIGH",
    "Certificate chain does not verify",
    "Serve the full chain (leaf + intermediates) issued by a CA clients trust.",
)
HOSTNAME = _spec(
    "HOSTNAME",
    "HIGH",
    "Certificate does not match the host name",
    "Issue the certificate with the served name in subjectAltName.",
)
EXPIRY = _spec(
    "EXPIRY",
    "MEDIUM",
    f"Certificate expires within {EXPIRY_WARNING_DAYS} days or has expired",
    "Renew the certificate (automate it: ACME) and reload wafproxy (SIGHUP).",
)
KEYSIZE = _spec(
    "KEYSIZE", "MEDIUM", "Certificate key too small", "Use RSA >= 2048 bits or an EC key on P-256 or larger."
)
PROTOCOL = _spec("PROTOCOL", "MEDIUM", "TLS 1.0/1.1 accepted", "Accept TLS 1.2 and 1.3 only.")
CIPHERS = _spec(
    "CIPHERS",
    "MEDIUM",
    "Weak cipher suites accepted",
    "Offer only AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305).",
)
UNTESTED = _spec(
    "UNTESTED",
    "INFORMATIONAL",
    "TLS property could not be tested from here",
    "Test it with sslyze or testssl.sh from a client that still offers it.",
)
SPECS = (HANDSHAKE, CHAIN, HOSTNAME, EXPIRY, KEYSIZE, PROTOCOL, CIPHERS, UNTESTED)
_RESOURCE = "AWS_WAFPROXY_ENDPOINT"


@dataclass(frozen=True, slots=True)
class Handshake:
    ok: bool
    error: str | None = None
    verify_code: int | None = None
    der: bytes | None = None
    client_refused: bool = False  # our own OpenSSL would not offer it: untestable
    cipher: str | None = None


def _handshake(host: str, port: int, context: ssl.SSLContext, server_name: str) -> Handshake:
    try:
        with socket.create_connection((host, port), timeout=TIMEOUT) as raw:
            with context.wrap_socket(raw, server_hostname=server_name) as tls:
                suite = tls.cipher()
                return Handshake(
                    True, der=tls.getpeercert(binary_form=True), cipher=suite[0] if suite else None
                )
    except ssl.SSLCertVerificationError as exc:
        return Handshake(False, exc.verify_message or str(exc), exc.verify_code)
    except (ssl.SSLError, OSError) as exc:
        text = f"{type(exc).__name__}: {exc}"
        refused = (
            "NO_CIPHERS_AVAILABLE" in text or "NO_PROTOCOLS_AVAILABLE" in text or "no cipher" in text.lower()
        )
        return Handshake(False, text[:300], client_refused=refused)


def _unverified(
    minimum: ssl.TLSVersion | None = None, maximum: ssl.TLSVersion | None = None, ciphers: str | None = None
) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if ciphers is not None:
        context.set_ciphers(ciphers)
    with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: testing that they are refused
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum is not None:
            context.minimum_version = minimum
        if maximum is not None:
            context.maximum_version = maximum
    return context


def assess_endpoint(
    target: Target, ca_file: Path | None, now: datetime
) -> tuple[list[Observation], str | None]:
    parts = urlsplit(target.url)
    host, port = parts.hostname or "", parts.port or 443
    obs: list[Observation] = []
    verified = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    first = _handshake(host, port, verified, host)
    # Lenient on purpose (any suite, security level 0): a weak server must still be reached to be
    # reported, not refused by our own client.
    plain = _handshake(host, port, _unverified(ciphers="ALL:@SECLEVEL=0"), host)
    if not plain.ok:
        obs.append(Observation(HANDSHAKE, target.url, _RESOURCE, plain.error or "handshake failed"))
        return obs, plain.error
    if not first.ok:
        # 62/64: X509_V_ERR_HOSTNAME_MISMATCH / _IP_ADDRESS_MISMATCH; 10: X509_V_ERR_CERT_HAS_EXPIRED
        # (reported by EXPIRY).
        if first.verify_code in (62, 64):
            obs.append(Observation(HOSTNAME, target.url, _RESOURCE, f"{host}: {first.error}"))
        elif first.verify_code != 10:
            obs.append(Observation(CHAIN, target.url, _RESOURCE, first.error or "verification failed"))
    assert plain.der is not None
    cert = x509.load_der_x509_certificate(plain.der)
    days = (cert.not_valid_after_utc - now).total_seconds() / 86400
    if days <= EXPIRY_WARNING_DAYS:
        sev: Severity = "HIGH" if days <= 0 else "MEDIUM"
        obs.append(
            Observation(
                EXPIRY,
                target.url,
                _RESOURCE,
                f"notAfter {cert.not_valid_after_utc.isoformat()} ({days:.1f} days)",
                severity=sev,
            )
        )
    key = cert.public_key()
    bits = (
        key.key_size
        if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey | ec.EllipticCurvePublicKey)
        else None
    )
    small = bits is not None and (bits < 256 if isinstance(key, ec.EllipticCurvePublicKey) else bits < 2048)
    if small:
        obs.append(Observation(KEYSIZE, target.url, _RESOURCE, f"{type(key).__name__} {bits} bits"))
    accepted = []
    for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        try:
            old = _handshake(host, port, _unverified(version, version, "ALL:@SECLEVEL=0"), host)
        except ssl.SSLError as exc:
            old = Handshake(False, str(exc), client_refused=True)
        if old.ok:
            accepted.append(version.name)
        elif old.client_refused:
            obs.append(
                Observation(
                    UNTESTED,
                    f"{target.url}#{version.name}",
                    _RESOURCE,
                    "this host's OpenSSL refuses to offer it",
                    title=f"{version.name} could not be tested",
                    scope=target.url,
                )
            )
    if accepted:
        obs.append(
            Observation(PROTOCOL, target.url, _RESOURCE, f"{' and '.join(accepted)} handshakes accepted")
        )
    try:
        weak = _handshake(host, port, _unverified(maximum=ssl.TLSVersion.TLSv1_2, ciphers=WEAK_CIPHERS), host)
    except ssl.SSLError:
        weak = Handshake(False, "no weak cipher available locally", client_refused=True)
    if weak.ok:
        obs.append(Observation(CIPHERS, target.url, _RESOURCE, f"weak suite negotiated: {weak.cipher}"))
    elif weak.client_refused:
        obs.append(
            Observation(
                UNTESTED,
                f"{target.url}#ciphers",
                _RESOURCE,
                "this host's OpenSSL has no weak suite to offer",
                title="Weak cipher suites could not be tested",
                scope=target.url,
            )
        )
    return obs, None


def _renew_fix() -> Fix:
    return Fix(
        "cli_flag",
        "renew and point wafproxy at the new pair, then SIGHUP",
        {"flags": ["--tls-cert", "PATH", "--tls-key", "PATH"]},
    )


_TLS_CONFIG = Fix(
    "app",
    "offer TLS 1.2+ with AEAD suites only (the server or load balancer terminating TLS)",
    {"minimumVersion": "TLSv1.2", "ciphers": "ECDHE+AESGCM:ECDHE+CHACHA20"},
)
_FIXES = {s.id: _renew_fix() for s in (EXPIRY, CHAIN, HOSTNAME, KEYSIZE, HANDSHAKE)} | {
    PROTOCOL.id: _TLS_CONFIG,
    CIPHERS.id: _TLS_CONFIG,
}


@register(FAMILY, SPECS)
async def run(ctx: AssessContext) -> FamilyResult:
    result = FamilyResult()
    now = datetime.fromtimestamp(ctx.now, UTC) if ctx.now else datetime.now(UTC)
    targets = [t for t in ctx.targets if urlsplit(t.url).scheme == "https"]
    outcomes = await asyncio.gather(
        *(asyncio.to_thread(assess_endpoint, t, ctx.ca_file, now) for t in targets), return_exceptions=True
    )
    for target, outcome in zip(targets, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            result.errors.append(CheckError(FAMILY, target.url, f"{type(outcome).__name__}: {outcome}"))
            continue
        observations, error = outcome
        if error is not None:
            result.errors.append(CheckError(FAMILY, target.url, f"TLS handshake failed: {error}"))
        for o in observations:
            fix = _FIXES.get(o.spec.id)
            result.observations.append(replace(o, fix=fix) if fix else o)
        result.covered.add(f"{FAMILY}|{target.url}")
    return result
