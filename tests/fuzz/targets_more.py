"""Fuzz targets of the documents the engine and the sidecars read: XML bodies, access-log lines,
ASFF findings.

* ``xml``: ``engine.parsing._xml`` and the XML views built on it (``views.xml_views``); no
  documented error; at most ``max_values`` values, each a string.
* ``log-lines``: the detector's access-log parsers (nginx/Apache combined, AWS WAF JSON records, ALB),
  picked by ``sniff`` as ``wafproxy detect --log`` does; a line that does not parse is None, so no
  error is documented; an ``Observation`` returned must hold what the scenarios compute with
  (a finite time, string address/method/path, an integer status).
* ``asff-import``: ``BatchImportFindings`` as its handler runs it (the request body as the rest-json
  dispatcher decodes it, then ``HubApi.batch_import`` into a real hub on an in-memory SQLite store);
  documented error: the AWS-shaped ``AwsError`` (``SerializationException``, ``ValidationException``),
  while an invalid finding becomes a ``FailedFindings`` entry, never an error.
"""

from __future__ import annotations

import asyncio
import functools
import json
import math
from typing import Any

from tests.fuzz.harness import Target
from wafproxy.engine.parsing._xml import MAX_VALUES, xml_values

# ---- XML bodies -------------------------------------------------------------------------------------


def _xml(data: bytes) -> None:
    from wafproxy.engine.views import MAX_VIEWS, xml_views

    for text in (data.decode("latin-1"), data.decode("utf-8", "replace")):
        values = xml_values(text)
        assert len(values) <= MAX_VALUES
        assert all(isinstance(n, str) and isinstance(v, str) for n, v in values)
        assert len(xml_views(text)) <= MAX_VIEWS


XML_SEEDS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/'
    b'soap/envelope/"><soap:Body><m:GetUser xmlns:m="urn:users"><m:Id>1&apos; OR &apos;1&apos;=&apos;1'
    b"</m:Id></m:GetUser></soap:Body></soap:Envelope>",
    b"<?xml version=\"1.0\"?><methodCall><methodName>system.exec</methodName><params><param><value>"
    b"<string>&#x3C;script&#x3E;alert(1)&#60;/script&#62;</string></value></param></params></methodCall>",
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r a="&xxe;">&xxe;</r>',
    b"<doc><note lang='en' title=\"x&quot;y\"><![CDATA[<img src=x onerror=alert(1)>]]> tail </note>"
    b"<![CDATA[unclosed",
    b'<a b="QUxURVIgVEFCTEUgdXNlcnM=">PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==</a>',
)
XML_TOKENS = (b"<![CDATA[", b"]]>", b"&#x", b"&#", b"&amp;", b" x='", b'="', b"<", b">", b"xmlns:a=")

# ---- the detector's log lines ---------------------------------------------------------------------


def _log_line(data: bytes) -> None:
    from wafproxy.sidecars.detector.logformats import PARSERS, sniff
    from wafproxy.sidecars.detector.observation import normalized_path

    for line in data.decode("utf-8", "replace").splitlines()[:8]:  # read as ``replay`` reads a file
        if not line.strip():
            continue
        obs = PARSERS[sniff(line)](line)
        if obs is None:
            continue
        assert isinstance(obs.ts, float) and math.isfinite(obs.ts), obs.ts
        assert all(isinstance(v, str) for v in (obs.ip, obs.method, obs.path, obs.ua)), vars_of(obs)
        assert type(obs.status) is int, obs.status
        assert all(isinstance(label, str) for label in obs.labels), obs.labels
        normalized_path(obs.path)


def vars_of(obs: Any) -> dict[str, Any]:
    return {name: getattr(obs, name) for name in ("ts", "ip", "method", "path", "status", "ua")}


LOG_SEEDS = (
    b'203.0.113.9 - - [10/Oct/2023:13:55:36 +0200] "GET /.env?x=1 HTTP/1.1" 404 12 "-" "sqlmap/1.7"',
    b'198.51.100.7 - bob [01/Dec/2026:00:00:01 -0500] "POST /wp-login.php HTTP/1.1" 200 5120 '
    b'"https://example.com/" "Mozilla/5.0 (X11; Linux x86_64)"\n'
    b'198.51.100.7 - - [01/Dec/2026:00:00:02 +0000] "GET /%2e%2e/etc/passwd HTTP/1.0" 400 0 "-" "-"',
    b"https 2024-05-01T12:00:00.123456Z app/lb/1 198.51.100.4:5555 10.0.0.1:80 0.001 0.002 0.000 "
    b'401 401 10 20 "POST https://shop.example:443/login HTTP/1.1" "Mozilla/5.0" '
    b"ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2",
    json.dumps({"timestamp": 1714564800123, "action": "BLOCK", "httpRequest": {
        "clientIp": "192.0.2.7", "httpMethod": "GET", "uri": "/search", "args": "q=1",
        "headers": [{"name": "User-Agent", "value": "Mozilla/5.0"}]},
        "labels": [{"name": "awswaf:managed:aws:sql-database:SQLi_QueryArguments"}]}).encode(),
    json.dumps({"timestamp": 1714564800999, "action": "ALLOW", "responseCodeSent": 200, "httpRequest": {
        "clientIp": "2001:db8::1", "uri": "/", "headers": []}, "labels": None}).encode(),
)
LOG_TOKENS = (b'"', b"[", b"]", b" ", b"\n", b"{", b'"timestamp": ', b'"clientIp": ', b"1e999", b"null",
              b'"responseCodeSent": ', b"/Feb/", b" +9999]", b"http ")

# ---- ASFF import (BatchImportFindings) ----------------------------------------------------------------


@functools.cache
def _hub_api() -> Any:
    from wafproxy.awsapi.credentials import CredentialStore
    from wafproxy.sidecars.hub.api import HubApi
    from wafproxy.sidecars.hub.core import Hub
    from wafproxy.sidecars.hub.store import FindingStore

    hub = Hub(FindingStore(":memory:"), account="123456789012", region="us-east-1")
    keys = CredentialStore.parse("[fuzz]\naws_access_key_id = AKIAFUZZ\naws_secret_access_key = s\n")
    return HubApi(hub, credentials=keys, policies=None)  # None: every call allowed


def _decoded_body(data: bytes) -> dict[str, Any]:
    """The request body as ``restjson.RestJsonService`` decodes it (the same errors)."""
    from wafproxy.awsapi.errors import AwsError

    try:
        raw = json.loads(data) if data else {}
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise AwsError("SerializationException", "Request body is not valid JSON") from None
    if not isinstance(raw, dict):
        raise AwsError("SerializationException", "Request body must be a JSON object")
    return raw


def _asff_import(data: bytes) -> None:
    from wafproxy.awsapi.credentials import Principal
    from wafproxy.awsapi.jsonproto import CallContext
    from wafproxy.awsapi.params import Params

    ctx = CallContext(Principal("fuzz", "AKIAFUZZ"), "BatchImportFindings", "req-1", "127.0.0.1", "us-east-1")
    answer = asyncio.run(_hub_api().batch_import(ctx, Params(_decoded_body(data))))
    json.dumps(answer)  # what the dispatcher sends back must serialize
    assert answer["SuccessCount"] + answer["FailedCount"] == len(_decoded_body(data)["Findings"]), answer


def _asff_seeds() -> tuple[bytes, ...]:
    from tests.sidecars.hub.factory import finding

    return (
        json.dumps({"Findings": [finding(1), finding(2, Severity={"Normalized": 55})]}).encode(),
        json.dumps({"Findings": [finding(3, Note={"Text": "seen", "UpdatedBy": "me"},
                                         Workflow={"Status": "NOTIFIED"}, RecordState="ARCHIVED",
                                         ProductFields={"k": "v"}, Compliance={"Status": "FAILED"},
                                         FirstObservedAt="2026-12-01T09:00:00.5+02:00",
                                         RelatedFindings=[{"Id": "x", "ProductArn": "y"}])]}).encode(),
        json.dumps({"Findings": [finding(4, Types="bad"), {"Id": 5}, finding(1)]}, indent=1).encode(),
    )


def _aws_errors() -> tuple[type[BaseException], ...]:
    from wafproxy.awsapi.errors import AwsError

    return (AwsError,)


BUILDERS: dict[str, Any] = {
    "xml": lambda: Target("xml", _xml, (), XML_SEEDS, XML_TOKENS),
    "log-lines": lambda: Target("log-lines", _log_line, (), LOG_SEEDS, LOG_TOKENS),
    "asff-import": lambda: Target("asff-import", _asff_import, _aws_errors(), _asff_seeds(),
                                  (b"null", b"[]", b"{}", b'"2026-13-01T00:00:00Z"', b'"Normalized": ',
                                   b"1e999", b'"Label": "HIGH"', b"-1")),
}
