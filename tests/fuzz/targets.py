"""The fuzz targets: every parser that reads outside input and is ours to fuzz here, each with the
error types it documents and seeds from the test corpora.

Engine parsing (query, cookies, form, multipart, JSON) and the WafRequest field extraction document
no error at all: any input yields values. The WAFv2 document compiler (through ``aclfiles``) raises
``WebAclError`` naming a JSON path. The SigV4 verifier raises ``AwsError``. The KMS ciphertext blob
parser raises ``BadCiphertext``; the encrypted-log reader ``LogCryptError``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.fuzz.harness import Target
from tests.rules.cases import CASES
from wafproxy.engine import WebAclError
from wafproxy.engine.extract import extract
from wafproxy.engine.fields import FieldSpec
from wafproxy.engine.parsing import (
    multipart_boundary,
    parse_cookies,
    parse_form,
    parse_json,
    parse_multipart,
    parse_query,
)
from wafproxy.engine.request import WafRequest

REPO = Path(__file__).resolve().parents[2]
ATTACKS = tuple(p.encode() for case in CASES for p in case.block[:3])[:120]


def _latin1(data: bytes) -> str:
    return data.decode("latin-1")


# ---- engine parsing -----------------------------------------------------------------------------

def _multipart(data: bytes) -> None:
    content_type, _, body = data.partition(b"\n")
    boundary = multipart_boundary(_latin1(content_type))
    if boundary is not None:
        parse_multipart(body, boundary)


MULTIPART_SEED = (b"multipart/form-data; boundary=xYz\n"
                  b"--xYz\r\nContent-Disposition: form-data; name=\"a\"\r\n"
                  b"\r\n1\r\n--xYz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.php\"\r\n"
                  b"Content-Type: text/plain\r\n\r\n<?php system($_GET[c]); ?>\r\n--xYz--\r\n")
JSON_SEEDS = (b'{"a": [1, 2.5e3, "x\\u0041", {"b": null, "c": true}], "d": {"e": {"f": "<script>"}}}',
              b'[{"k": "v"}, [], {}, "\\ud83d\\ude00", -0.0]', b'"plain"', b"{")

# ---- WafRequest field extraction ----------------------------------------------------------------

SPECS = (
    FieldSpec("UriPath"), FieldSpec("QueryString"), FieldSpec("Method"), FieldSpec("UriFragment"),
    FieldSpec("AllQueryArguments"), FieldSpec("SingleQueryArgument", name="id"),
    FieldSpec("SingleHeader", name="user-agent"), FieldSpec("Body", oversize="MATCH"),
    FieldSpec("Headers", scope="ALL"), FieldSpec("Headers", scope="KEY", included=("x-a",)),
    FieldSpec("Cookies", scope="VALUE"), FieldSpec("Cookies", scope="ALL", excluded=("s",)),
    FieldSpec("HeaderOrder"),
    FieldSpec("JsonBody", scope="ALL", fallback="EVALUATE_AS_STRING"),
    FieldSpec("JsonBody", scope="VALUE", included=("/a/0", "/d"), fallback="MATCH"),
    FieldSpec("JA3Fingerprint", fallback="NO_MATCH"), FieldSpec("JA4Fingerprint", fallback="MATCH"),
)


def _request(data: bytes) -> WafRequest:
    """``METHOD PATH?QUERY#FRAG\\nName: value\\n...\\n\\nBODY`` → a WafRequest, as the adapter builds one."""
    head, _, body = data.partition(b"\n\n")
    line, *header_lines = _latin1(head).split("\n")
    method, _, target = line.partition(" ")
    target, _, fragment = target.partition("#")
    path, _, query = target.partition("?")
    headers = tuple((k.strip(), v.strip()) for k, _, v in (h.partition(":") for h in header_lines))
    return WafRequest("203.0.113.5", method, path, query, headers, body, len(body) + (len(body) & 1) * 9000,
                      uri_fragment=fragment, ja3_fingerprint=None, ja4_fingerprint=None)


def _fields(data: bytes) -> None:
    request = _request(data)
    for spec in SPECS:
        extract(spec, request)


REQUEST_SEEDS = (
    b"GET /a/b?id=1&x=%3Cscript%3E&id=2#frag\nUser-Agent: curl\nCookie: s=1; t=\"q\"\nX-A: b\n\n",
    b"POST /api?x=1\nContent-Type: application/json\nCookie: a=b\n\n" + JSON_SEEDS[0],
    b"PUT /u\nContent-Type: application/x-www-form-urlencoded\n\na=1&b=%41%zz&c",
)

# ---- the WAFv2 document compiler, through aclfiles -----------------------------------------------


@functools.cache
def _acl_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="wafproxy-fuzz-acl-"))


@contextlib.contextmanager
def _no_db_cache() -> Iterator[None]:
    """Fuzzed regexes must not fill the shared DB cache — for this compile only: the environment
    is the whole test session's, and every later ``wafproxy`` subprocess would compile cold."""
    before = os.environ.get("WAFPROXY_HS_CACHE")
    os.environ["WAFPROXY_HS_CACHE"] = "off"
    try:
        yield
    finally:
        if before is None:
            del os.environ["WAFPROXY_HS_CACHE"]
        else:
            os.environ["WAFPROXY_HS_CACHE"] = before


def _web_acl(data: bytes) -> None:
    from wafproxy.aclfiles import load_web_acl

    path = _acl_dir() / "web-acl.json"
    path.write_bytes(data)
    with _no_db_cache():
        load_web_acl(path, managed_dir=None)


def _names_a_path(exc: BaseException) -> None:
    assert isinstance(exc, WebAclError) and exc.path.startswith("$") and exc.reason, exc


def _acl_seeds() -> tuple[bytes, ...]:
    from tests.control.stack import web_acl_doc

    export = json.loads((REPO / "tests/engine/data/export/web-acl.json").read_text())
    export["WebACL"]["Rules"] = [r for r in export["WebACL"]["Rules"]
                                 if "ManagedRuleGroupStatement" not in r["Statement"]
                                 and "ReferenceStatement" not in json.dumps(r["Statement"])]
    stack = web_acl_doc()
    stack["Rules"] = [r for r in stack["Rules"] if "ReferenceStatement" not in json.dumps(r["Statement"])]
    return (json.dumps(export).encode(), json.dumps(stack, indent=1).encode())


# ---- SigV4 -------------------------------------------------------------------------------------

SIGV4_NOW = 1_780_000_000.0


@functools.cache
def _sigv4_store() -> object:
    from wafproxy.awsapi.credentials import CredentialStore

    return CredentialStore.parse("[a]\naws_access_key_id = AKIAFUZZ\naws_secret_access_key = fuzz-secret\n")


def _sigv4_view(data: bytes) -> object:
    """``METHOD\\nPATH\\nQUERY\\nname: value...\\n\\nBODY`` → the view the dispatcher builds."""
    from wafproxy.awsapi.sigv4 import HttpRequestView

    head, _, body = data.partition(b"\n\n")
    method, path, query, *lines = _latin1(head).split("\n") + ["", "", ""]
    headers = tuple((k.strip().lower(), v.strip()) for k, sep, v in (x.partition(":") for x in lines) if sep)
    return HttpRequestView(method, path, query, headers, body)


def _sigv4(data: bytes) -> None:
    from wafproxy.awsapi.sigv4 import verify

    verify(_sigv4_view(data), _sigv4_store(), now=SIGV4_NOW, service="kms", region="us-east-1")  # type: ignore[arg-type]


def _sigv4_seed() -> bytes:
    import datetime as dt

    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = b'{"KeyId":"alias/x","Plaintext":"aGk="}'
    headers = {"X-Amz-Target": "TrentService.Encrypt", "Content-Type": "application/x-amz-json-1.1"}
    req = AWSRequest(method="POST", url="http://127.0.0.1:8443/?a=1&b=%2F", data=body, headers=headers)
    real = botocore.auth.datetime.datetime
    fixed = dt.datetime.fromtimestamp(SIGV4_NOW, dt.UTC).replace(tzinfo=None)

    class At(real):  # type: ignore[misc, valid-type]
        @classmethod
        def utcnow(cls) -> dt.datetime:
            return fixed

        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:
            return fixed.replace(tzinfo=tz) if tz else fixed

    botocore.auth.datetime.datetime = At
    try:
        botocore.auth.SigV4Auth(Credentials("AKIAFUZZ", "fuzz-secret"), "kms", "us-east-1").add_auth(req)
    finally:
        botocore.auth.datetime.datetime = real
    lines = ["POST", "/", "a=1&b=%2F", "host: 127.0.0.1:8443",
             *(f"{k}: {v}" for k, v in req.headers.items())]
    return "\n".join(lines).encode() + b"\n\n" + body


# ---- KMS: ciphertext blobs and encrypted logs ---------------------------------------------------

MATERIAL = bytes(range(32))


def _blob(data: bytes) -> None:
    from wafproxy.sidecars.kms.blob import open_, parse

    open_(MATERIAL, parse(data), {"purpose": "fuzz"})


def _blob_seeds() -> tuple[bytes, ...]:
    from wafproxy.sidecars.kms.blob import seal

    return (seal(MATERIAL, "1234abcd-12ab-34cd-56ef-1234567890ab", 1, b"hello", {"purpose": "fuzz"}),
            seal(MATERIAL, "k", 7, b"", {"purpose": "fuzz"}))


class _FixedKeys:
    """A ``ports.KeyProvider`` holding one data key: unwraps only its own wrapped bytes (the
    reader's parsing, not the KMS, is under test; the KMS blob has its own target)."""

    key = bytes(range(32, 64))
    wrapped = b"wrapped-data-key"

    async def generate_data_key(self, key_id: str, context: dict[str, str]) -> tuple[bytes, bytes]:
        return self.key, self.wrapped

    async def decrypt_data_key(self, wrapped: bytes, context: dict[str, str]) -> bytes:
        from wafproxy.sidecars.kms.logcrypt import LogCryptError

        if wrapped != self.wrapped:
            raise LogCryptError(1, "the KMS refused the wrapped data key")
        return self.key


@functools.cache
def _log_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="wafproxy-fuzz-log-"))


def _encrypted_log(data: bytes) -> None:
    from wafproxy.sidecars.kms.logs_cli import decrypt_file

    path = _log_dir() / "waf.log.enc"
    path.write_bytes(data)
    asyncio.run(decrypt_file(_FixedKeys(), path))


def _log_seed() -> bytes:
    from wafproxy.sidecars.kms.logcrypt import LineSealer

    sealer = LineSealer("key-1", _FixedKeys.key, _FixedKeys.wrapped, {"log": "waf"})
    lines = [sealer.header(), *(sealer.seal(json.dumps({"n": i}).encode()) for i in range(3)), sealer.end()]
    return b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines)


def _log_errors() -> tuple[type[BaseException], ...]:
    from wafproxy.sidecars.kms.logcrypt import LogCryptError

    return (LogCryptError,)


def _aws_errors() -> tuple[type[BaseException], ...]:
    from wafproxy.awsapi.errors import AwsError

    return (AwsError,)


def _blob_errors() -> tuple[type[BaseException], ...]:
    from wafproxy.sidecars.kms.blob import BadCiphertext

    return (BadCiphertext,)


BUILDERS: dict[str, Callable[[], Target]] = {
    "query": lambda: Target("query", lambda d: parse_query(_latin1(d)), (),
                            (b"a=1&b=%3Cx%3E&a=2&c&=&%zz=%", *(b"q=" + a for a in ATTACKS[:40]))),
    "cookies": lambda: Target("cookies", lambda d: parse_cookies(_latin1(d).split("\n")), (),
                              (b"a=1; b=\"x y\"; c\n d=4;;e", b"session=abc%20def; $Version=1")),
    "form": lambda: Target("form", parse_form, (),
                           (b"a=1&b=%41+%42&c=&&d", *(b"x=" + a for a in ATTACKS[40:80]))),
    "multipart": lambda: Target("multipart", _multipart, (), (MULTIPART_SEED,),
                                (b"\r\n--xYz", b"; boundary=", b"filename*=UTF-8''",
                                 b"Content-Disposition: ")),
    "json": lambda: Target("json", parse_json, (), JSON_SEEDS, (b"[" * 100, b'{"a":' * 70, b"\\u", b"1e999")),
    "request-fields": lambda: Target("request-fields", _fields, (), REQUEST_SEEDS,
                                     (b"\nCookie: ", b"\nContent-Type: application/json", b"%00", b"\n\n")),
    "webacl-document": lambda: Target("webacl-document", _web_acl, (WebAclError,), _acl_seeds(),
                                      (b'"Statement": {}', b"null", b'"RegexString": "(a+)+$"', b"[]"),
                                      check=_names_a_path),
    "sigv4": lambda: Target("sigv4", _sigv4, _aws_errors(), (_sigv4_seed(),),
                            (b"AWS4-HMAC-SHA256 ", b"Credential=", b"SignedHeaders=", b"/../", b"%2F")),
    "kms-blob": lambda: Target("kms-blob", _blob, _blob_errors(), _blob_seeds()),
    "kms-log": lambda: Target("kms-log", _encrypted_log, _log_errors(), (_log_seed(),),
                              (b'"wafproxyEncryptedLog": 2', b"\n", b"=", b'{"fileId": "zz"}')),
}


@functools.cache
def target(name: str) -> Target:
    return BUILDERS[name]()


def encoded(data: bytes) -> str:
    """How a crashing input is written into a regression test."""
    return base64.b64encode(data).decode()


def _register_more() -> None:
    """The targets kept in their own modules (each module one family of parsers)."""
    from tests.fuzz import targets_more, targets_wire

    BUILDERS.update(targets_wire.BUILDERS)
    BUILDERS.update(targets_more.BUILDERS)


_register_more()
