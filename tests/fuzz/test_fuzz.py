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
BUDGET = {"webacl-document": 300, "kms-log": 300, "request-fields": 3000}
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
