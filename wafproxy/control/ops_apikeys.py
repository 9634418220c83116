"""CreateAPIKey, ListAPIKeys, GetDecryptedAPIKey, DeleteAPIKey: the keys a CAPTCHA/challenge
JavaScript integration carries, each naming the token domains it may be used for.

As AWS's, an API key is self-describing and opaque: its token domains and creation time sealed
with AES-256-GCM under a secret of this control plane (``.wafproxy/api-key-secret``, 32 random
bytes, made on first use, 0600), bound to the account and region by the AAD. GetDecryptedAPIKey
opens it — a key we did not seal (or sealed elsewhere) does not open and is
WAFInvalidParameterException, never a guess. The keys issued are also listed in
``.wafproxy/api-keys.json`` (written atomically), which is what ListAPIKeys lists and DeleteAPIKey
removes from: a deleted key still opens but is WAFNonexistentItemException. AWS's rules: one to
five token domains per key, no public suffixes (``co.uk``; the single-label suffixes and the common
two-label ones below — the full public-suffix list is not shipped). No ApplicationIntegrationURL:
wafproxy hosts no integration SDK, so ListAPIKeys leaves that optional member out rather than
give a URL that serves nothing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wafproxy.awsapi.jsonproto import CallContext
from wafproxy.awsapi.params import Params
from wafproxy.control import errors
from wafproxy.control.persist import atomic_write
from wafproxy.control.plane_util import paginate
from wafproxy.control.sidestate import JsonTable, TableFull
from wafproxy.control.store import META_DIR

if TYPE_CHECKING:
    from wafproxy.control.plane import ControlPlane
    from wafproxy.control.wire import AsyncHandler

MAX_API_KEYS = 100
MAX_DOMAINS = 5  # AWS: "a single key for up to 5 domains"
MAX_KEY_CHARS = 2048  # the model's APIKey max
_PUBLIC_SUFFIXES = frozenset(
    {
        "co.uk",
        "org.uk",
        "gov.uk",
        "ac.uk",
        "gov.au",
        "com.au",
        "net.au",
        "org.au",
        "co.jp",
        "ne.jp",
        "or.jp",
        "com.br",
        "com.cn",
        "com.mx",
        "co.nz",
        "co.za",
        "co.in",
        "com.tr",
        "github.io",
    }
)
_DOMAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_/")


def _bad_domain(domain: str, reason: str) -> errors.WafError:
    return errors.invalid("TOKEN_DOMAIN", "TokenDomains", f"{domain[:253]!r} {reason}")


def check_domains(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise errors.invalid("TOKEN_DOMAIN", "TokenDomains", "must list one to five domains")
    out: list[str] = []
    for value in raw:
        if not isinstance(value, str) or not 1 <= len(value) <= 253:
            raise errors.invalid("TOKEN_DOMAIN", "TokenDomains", "each domain is 1 to 253 characters")
        domain = value.lower()
        if not set(domain) <= _DOMAIN_CHARS:
            raise _bad_domain(value, "must match ^[\\w\\.\\-/]+$")
        bare = domain.strip(".")
        if "." not in bare or bare in _PUBLIC_SUFFIXES:
            raise _bad_domain(value, "is a public suffix")
        if domain not in out:
            out.append(domain)
    if len(out) > MAX_DOMAINS:
        raise errors.invalid("TOKEN_DOMAIN", "TokenDomains", f"a key holds at most {MAX_DOMAINS} domains")
    return out


class KeySealer:
    """Seals and opens API keys with the control plane's secret (made once, kept on disk)."""

    def __init__(self, path: Path, aad: bytes, *, persist: bool) -> None:
        self._path, self._aad, self._persist = path, aad, persist
        self._aes: AESGCM | None = None
        self._lock = threading.Lock()  # one secret, even when the first two calls race

    def _cipher(self) -> AESGCM:
        with self._lock:
            return self._cipher_locked()

    def _cipher_locked(self) -> AESGCM:
        if self._aes is None:
            try:
                secret = self._path.read_bytes()
            except FileNotFoundError:
                secret = os.urandom(32)
                if self._persist:
                    atomic_write(self._path, secret)
            if len(secret) != 32:
                raise OSError(f"{self._path}: not a 32-byte secret")
            self._aes = AESGCM(secret)
        return self._aes

    def seal(self, payload: Mapping[str, Any]) -> str:
        nonce = os.urandom(12)
        sealed = self._cipher().encrypt(nonce, json.dumps(payload, separators=(",", ":")).encode(), self._aad)
        return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, key: str) -> dict[str, Any] | None:
        try:
            raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
            opened = json.loads(self._cipher().decrypt(raw[:12], raw[12:], self._aad))
        except (ValueError, binascii.Error, InvalidTag, UnicodeEncodeError):
            return None
        return opened if isinstance(opened, dict) else None


def operations(plane: ControlPlane) -> dict[str, AsyncHandler]:
    from wafproxy.control.plane import check_scope

    store, names = plane.store, plane.reloader.names
    meta = store.root / META_DIR
    table = JsonTable(meta / "api-keys.json", limit=MAX_API_KEYS, persist=store.persist)
    sealer = KeySealer(
        meta / "api-key-secret",
        f"wafproxy api key|{names.account}|{names.region}".encode(),
        persist=store.persist,
    )
    resource = f"arn:aws:wafv2:{names.region}:{names.account}:regional/apikey/*"

    def issued(p: Params) -> tuple[str, dict[str, Any]]:
        key = p.str("APIKey", max_len=MAX_KEY_CHARS)
        opened = sealer.open(key)
        if opened is None or not isinstance(opened.get("n"), str):
            raise errors.WafError(
                "WAFInvalidParameterException", "The API key is not one this WAF issued.", parameter="APIKey"
            )
        entry = table.get(opened["n"])
        if not isinstance(entry, dict) or entry.get("APIKey") != key:
            raise errors.nonexistent("API key (deleted)")
        return opened["n"], entry

    async def create(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        plane.authorize(ctx, resource)
        domains = check_domains(p.raw("TokenDomains"))
        kid, now = str(uuid.uuid4()), round(plane.reloader.clock(), 3)
        async with plane.reloader.lock:
            key = await asyncio.to_thread(sealer.seal, {"n": kid, "d": domains, "t": now, "v": 0})
            entry = {"APIKey": key, "TokenDomains": domains, "CreationTimestamp": now, "Version": 0}
            try:
                await asyncio.to_thread(table.put, kid, entry)
            except TableFull:
                raise errors.limits(f"at most {MAX_API_KEYS} API keys") from None
        return {"APIKey": key}

    async def list_keys(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        plane.authorize(ctx, resource)
        rows = sorted(
            ({"Name": f"{e['CreationTimestamp']:017.3f}/{k}", **e} for k, e in table.items()),
            key=lambda r: r["Name"],
        )
        page, marker = paginate(rows, p, ctx.operation)
        return {
            **({"NextMarker": marker} if marker else {}),
            "APIKeySummaries": [{k: v for k, v in r.items() if k != "Name"} for r in page],
        }

    async def decrypted(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        plane.authorize(ctx, resource)
        _, entry = issued(p)
        return {"TokenDomains": entry["TokenDomains"], "CreationTimestamp": entry["CreationTimestamp"]}

    async def delete(ctx: CallContext, p: Params) -> Mapping[str, Any]:
        check_scope(p)
        plane.authorize(ctx, resource)
        async with plane.reloader.lock:
            kid, _ = issued(p)
            await asyncio.to_thread(table.delete, kid)
        return {}

    return {
        "CreateAPIKey": create,
        "ListAPIKeys": list_keys,
        "GetDecryptedAPIKey": decrypted,
        "DeleteAPIKey": delete,
    }
