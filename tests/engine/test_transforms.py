"""Table-driven tests of every registered text transformation (tests/engine/data/transforms_cases.json).

Each case is ``{type, input, expected}``; positive cases decode/normalise something, negative cases
(plain text, invalid escapes) must come back unchanged. Property-style checks below make sure no
transformation raises or grows a value without bound on hostile input.
"""

from __future__ import annotations

import ast
import hashlib
import json
import sys
from pathlib import Path

import pytest

from wafproxy.engine.transforms import (
    EXTENSIONS,
    MAX_VALUE_CHARS,
    TRANSFORMS,
    UNSUPPORTED,
    apply_chain,
    from_bytes,
    to_bytes,
)

CASES = json.loads((Path(__file__).parent / "data" / "transforms_cases.json").read_text())

# The 21 types of the issue (the original WAFv2 set) must all be there.
ORIGINAL_21 = {
    "NONE",
    "COMPRESS_WHITE_SPACE",
    "HTML_ENTITY_DECODE",
    "LOWERCASE",
    "CMD_LINE",
    "URL_DECODE",
    "BASE64_DECODE",
    "HEX_DECODE",
    "MD5",
    "REPLACE_COMMENTS",
    "ESCAPE_SEQ_DECODE",
    "SQL_HEX_DECODE",
    "CSS_DECODE",
    "JS_DECODE",
    "NORMALIZE_PATH",
    "NORMALIZE_PATH_WIN",
    "REMOVE_NULLS",
    "REPLACE_NULLS",
    "BASE64_DECODE_EXT",
    "URL_DECODE_UNI",
    "UTF8_TO_UNICODE",
}


def _botocore_types() -> set[str]:
    import gzip

    import botocore

    models = Path(botocore.__file__).parent / "data" / "wafv2"
    path = next(models.glob("*/service-2.json*"))
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return set(json.loads(raw)["shapes"]["TextTransformationType"]["enum"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['type']}:{c['input'][:20]!r}")
def test_case(case: dict[str, str]) -> None:
    assert TRANSFORMS[case["type"]](case["input"]) == case["expected"]


def test_every_aws_type_is_registered_or_explicitly_unsupported() -> None:
    aws = _botocore_types()
    assert ORIGINAL_21 <= set(TRANSFORMS)
    assert aws == (set(TRANSFORMS) - EXTENSIONS) | set(UNSUPPORTED)
    assert not set(TRANSFORMS) & set(UNSUPPORTED)
    assert not aws & EXTENSIONS  # an extension must never shadow an AWS type


def test_every_registered_type_has_a_positive_and_a_negative_case() -> None:
    for name in TRANSFORMS:
        if name in ("NONE", "MD5", "SHA256"):
            continue  # identity / digests: covered below
        rows = [c for c in CASES if c["type"] == name]
        assert any(c["input"] != c["expected"] for c in rows), f"{name}: no positive case"
        assert any(c["input"] == c["expected"] for c in rows), f"{name}: no negative case"


def _doc(func: object) -> str | None:
    """The function's docstring; a compiled (mypyc) function keeps none, so read it from its source."""
    doc = getattr(func, "__doc__", None)
    if doc is None:
        origin = Path(sys.modules[func.__module__].__file__)  # type: ignore[attr-defined,arg-type]
        tree = ast.parse(origin.with_name(origin.name.split(".", 1)[0] + ".py").read_text())
        defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == func.__name__]  # type: ignore[attr-defined]
        doc = ast.get_docstring(defs[0]) if defs else None
    return doc


def test_every_transformation_documents_an_example() -> None:
    for name, func in TRANSFORMS.items():
        doc = _doc(func)
        assert doc and ("->" in doc or "==" in doc), name


@pytest.mark.parametrize(("name", "algo"), [("MD5", "md5"), ("SHA256", "sha256")])
def test_digests_are_raw_bytes_of_the_input_bytes(name: str, algo: str) -> None:
    for value in ("", "a", "café", "\udcff\x00"):
        expected = hashlib.new(algo, to_bytes(value)).digest()
        assert to_bytes(TRANSFORMS[name](value)) == expected


def test_bytes_mapping_round_trips_every_byte() -> None:
    data = bytes(range(256)) + "é€😀".encode()
    assert to_bytes(from_bytes(data)) == data
    assert to_bytes("\ud800x") == b"\xed\xa0\x80x"  # a non-escape lone surrogate does not raise


def test_chain_applies_in_order() -> None:
    assert apply_chain(("URL_DECODE", "LOWERCASE"), "%53ELECT") == "select"
    assert apply_chain(("URL_DECODE", "URL_DECODE"), "%2553") == "S"
    assert apply_chain(("LOWERCASE", "URL_DECODE"), "%2F") == "/"
    assert apply_chain((), "As Is") == "As Is"
    assert apply_chain(("HTML_ENTITY_DECODE", "JS_DECODE", "CMD_LINE"), "&lt;\\x53 ^E") == "<s e"


def test_chain_output_is_bounded() -> None:
    big = "é" * (MAX_VALUE_CHARS // 2)
    assert len(apply_chain(("UTF8_TO_UNICODE",), big)) == MAX_VALUE_CHARS


HOSTILE = [
    "%",
    "%%%",
    "%u",
    "%uZZZZ",
    "\\",
    "\\\\\\",
    "\\x",
    "\\u",
    "&#",
    "&#x;",
    "&#99999999999;",
    "0x",
    "/*",
    "*/",
    "..",
    "../..",
    "/",
    "=",
    "====",
    "\udcff" * 5,
    "\ud800",
    "\x00" * 3,
    "a" * 10_000,
    "%ff%fe%u00ff\\xff\\377\\uffff&#xffff;0xffff" * 50,
]


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_never_raises_on_hostile_input(name: str) -> None:
    for value in HOSTILE:
        out = TRANSFORMS[name](value)
        assert isinstance(out, str)
        to_bytes(out)  # every output can be handed to a matcher
