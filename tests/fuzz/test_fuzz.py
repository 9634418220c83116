"""Short fuzz runs in CI (the whole directory in well under a minute): a fixed budget of byte
mutations per target, from fixed seeds, plus Hypothesis strategies that build structured inputs.
``load_tests/fuzz.py --seconds N`` runs the same targets for as long as asked."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import Target, fuzz, run_one
from tests.fuzz.targets import BUILDERS, target

# Executions per target in CI: fast targets many, the slow ones (a compile per input, a file and an
# event loop per input) fewer; ~30 s in all on the 2 shared cores.
BUDGET = {"webacl-document": 300, "kms-log": 300, "request-fields": 3000,
          "http1": 1500, "asff-import": 1500, "xml": 3000, "body-decoding": 3000, "log-lines": 3000,
          "ws-frames": 3000}
DEFAULT_BUDGET = 5000


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_mutations_never_crash(name: str) -> None:
    stats = fuzz(target(name), execs=BUDGET.get(name, DEFAULT_BUDGET), seed=17)
    assert stats.execs == BUDGET.get(name, DEFAULT_BUDGET)
    assert [str(c) for c in stats.crashes[:3]] == []


def _no_crash(t: Target, data: bytes) -> None:
    crash = run_one(t, data)
    assert crash is None, str(crash)


HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)


@HYPOTHESIS
@given(st.lists(st.tuples(texts, texts), max_size=12), st.sampled_from(["&", ";", "&&"]), st.booleans())
def test_query_and_form_from_pairs(pairs: list[tuple[str, str]], sep: str, encode: bool) -> None:
    enc = (lambda s: quote(s, safe="")) if encode else (lambda s: s)
    raw = sep.join(f"{enc(k)}={enc(v)}" for k, v in pairs).encode("utf-8", "surrogatepass")
    _no_crash(target("query"), raw)
    _no_crash(target("form"), raw)
    _no_crash(target("cookies"), raw.replace(b"&", b"; "))


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=30,
)


@HYPOTHESIS
@given(json_values, st.integers(0, 3))
def test_json_documents(value: object, cut: int) -> None:
    raw = json.dumps(value).encode()
    _no_crash(target("json"), raw)
    _no_crash(target("json"), raw[: len(raw) - cut])  # truncated: InvalidJson, not an exception


@HYPOTHESIS
@given(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20),
       st.lists(st.tuples(texts, st.one_of(st.none(), texts), st.binary(max_size=60)), max_size=5),
       st.booleans())
def test_multipart_bodies(boundary: str, parts: list[tuple[str, str | None, bytes]], closed: bool) -> None:
    body = b"".join(
        b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; name=\"" + name.encode() + b"\""
        + (b"; filename=\"" + filename.encode() + b"\"" if filename is not None else b"") + b"\r\n\r\n"
        + value + b"\r\n"
        for name, filename, value in parts
    ) + (b"--" + boundary.encode() + b"--\r\n" if closed else b"")
    _no_crash(target("multipart"), f'multipart/form-data; boundary="{boundary}"\n'.encode() + body)


HEADER_NAMES = ["Cookie", "Content-Type", "User-Agent", "X-A", ""]


@HYPOTHESIS
@given(st.sampled_from(["GET", "POST", "", "get", "M" * 40]), texts, texts,
       st.lists(st.tuples(st.sampled_from(HEADER_NAMES), texts), max_size=6),
       st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_request_fields(method: str, path: str, query: str, headers: list[tuple[str, str]],
                        body: bytes) -> None:
    head = f"{method} /{path}?{query}\n" + "\n".join(f"{k}: {v}" for k, v in headers)
    _no_crash(target("request-fields"), head.encode("utf-8", "surrogatepass") + b"\n\n" + body)


@HYPOTHESIS
@given(st.data())
def test_sigv4_headers_replaced(data: st.DataObject) -> None:
    seed = target("sigv4").seeds[0]
    head, _, body = seed.partition(b"\n\n")
    lines = head.split(b"\n")
    i = data.draw(st.integers(0, len(lines) - 1))
    name = lines[i].split(b":", 1)[0] if i >= 3 else b""
    value = data.draw(st.binary(max_size=120) | texts.map(str.encode))
    lines[i] = (name + b": " + value) if name else value
    _no_crash(target("sigv4"), b"\n".join(lines) + b"\n\n" + body)


header_values = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)


@HYPOTHESIS
@given(st.sampled_from(["GET", "POST", "PUT", "OPTIONS", "CONNECT", "G T"]),
       st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1, max_size=30),
       st.sampled_from(["1.1", "1.0", "2.0", "0.9"]),
       st.lists(st.tuples(st.sampled_from(["Host", "Content-Length", "Transfer-Encoding", "X-A", "Expect",
                                           "Upgrade", "Connection"]), header_values), max_size=6),
       st.binary(max_size=80), st.integers(0, 40))
def test_http1_requests_from_parts(method: str, target_: str, version: str, headers: list[tuple[str, str]],
                                   body: bytes, chunk: int) -> None:
    """Heads built field by field (the mutator rarely lands on a valid Content-Length or Host)."""
    head = f"{method} /{target_} HTTP/{version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    raw = head.encode() + b"\r\n" + body
    _no_crash(target("http1"), raw)
    _no_crash(target("http1"), b"\x00" + bytes([chunk]) + raw)  # the same bytes, cut in chunks


@HYPOTHESIS
@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts,
                 st.lists(json_values, max_size=3), st.dictionaries(texts, json_values, max_size=3)),
       st.sampled_from(["timestamp", "httpRequest", "clientIp", "responseCodeSent", "labels", "headers"]))
def test_waf_log_record_members_replaced(value: object, member: str) -> None:
    record = json.loads(target("log-lines").seeds[3])
    holder = record["httpRequest"] if member in ("clientIp", "headers") else record
    holder[member] = value
    _no_crash(target("log-lines"), json.dumps(record).encode())


@HYPOTHESIS
@given(st.sampled_from(["Severity", "Types", "CreatedAt", "Resources", "Note", "Workflow", "ProductFields",
                        "RelatedFindings", "Compliance", "Id", "Title"]), json_values)
def test_asff_finding_members_replaced(member: str, value: object) -> None:
    document = json.loads(target("asff-import").seeds[0])
    document["Findings"][0][member] = value
    _no_crash(target("asff-import"), json.dumps(document).encode())
