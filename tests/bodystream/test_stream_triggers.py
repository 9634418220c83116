"""What sends a streamed block to the managed groups (the confirmations are the scan's cost):
ordinary text must not, wherever the blocks happen to cut it; a body's real end still counts."""

from __future__ import annotations

import json
import random

import pytest

from tests.bodystream.test_engine_stream import pad, run
from wafproxy.engine.bodystream import stream_plan
from wafproxy.engine.compiler import CompiledWebACL

# Apostrophes inside words and non-ASCII letters: every 8 KiB block and 1 KiB piece boundary
# falls somewhere in such words over a megabyte.
WORDS = "it's don't we'll you're o'clock Zürich Tōkyō São naïve café the order of a plan".split()


def prose(size: int, seed: int) -> bytes:
    rnd = random.Random(seed)
    out = bytearray()
    while len(out) < size:
        out += rnd.choice(WORDS).encode() + b" "
    return bytes(out[:size])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_apostrophes_cut_by_block_edges_cost_no_confirmation(acl: CompiledWebACL, seed: int) -> None:
    found, stream = run(acl, prose(1 << 20, seed), piece=16384, ctype="text/plain")
    assert found is None
    assert stream.confirms == 0


def test_quote_beside_a_non_letter_still_triggers(acl: CompiledWebACL) -> None:
    plan = stream_plan(acl)
    assert plan is not None
    for text in (b"x=1' ", b"a 'b", b"(')", b"\xc3\xa9'x"):
        assert plan.general.hits(text), text
    for text in (b"it's", b"don't", b"'", b"o'"):
        assert not plan.general.hits(text), text


def test_a_quote_ending_the_body_is_sent_to_the_rules(acl: CompiledWebACL) -> None:
    body = pad(200_000) + b"&name=O'"
    found, stream = run(acl, body, piece=16384)
    assert found is None and stream.confirms == 1
    found, stream = run(acl, body + b"Brien", piece=16384)
    assert found is None and stream.confirms == 0


def test_non_ascii_bytes_do_not_hide_a_trigger(acl: CompiledWebACL) -> None:
    plan = stream_plan(acl)
    assert plan is not None
    assert plan.general.hits("Zürich<script>".encode())
    assert plan.general.hits(b"\xff\xfe union select")
    assert not plan.general.hits("Zürich Tōkyō".encode())


def test_ordinary_urls_cost_no_confirmation(acl: CompiledWebACL) -> None:
    records = [{"id": i, "url": f"https://example.com/item/{i}?ref=home", "name": "item"}
               for i in range(6000)]
    body = json.dumps(records).encode()
    found, stream = run(acl, body, piece=16384, ctype="application/json")
    assert found is None and stream.confirms == 0


@pytest.mark.parametrize("url", [
    "http://evil.example/shell.txt?", "http://10.0.0.1/x", "http://[::1]/", "http://user@evil/",
    "gopher://x/_", "ftp://x/a", "http://\u2460\u2461\u2462/", "http://%31%32%37.0.0.1/"])
def test_urls_the_rules_look_at_still_trigger(acl: CompiledWebACL, url: str) -> None:
    plan = stream_plan(acl)
    assert plan is not None
    for placed in (f"see {url} now", json.dumps({"u": url})):
        assert plan.general.hits(placed.encode()), placed


def sparse(seed: int) -> bytes:
    """Prose with a benign trigger ("; ") every 4 KiB."""
    text = prose(1 << 20, seed)
    return b"; ".join(text[at:at + 4096] for at in range(0, len(text), 4096))


def test_sparse_triggers_are_read_together_not_one_evaluation_each(acl: CompiledWebACL) -> None:
    found, stream = run(acl, sparse(4), piece=16384, ctype="text/plain")
    assert found is None
    assert stream.confirms <= 40  # ~250 flagged pieces, read in batches of up to 32 KiB


@pytest.mark.parametrize("at", [300_000, 500_007, 1_000_000])
def test_an_attack_among_benign_triggers_is_found(acl: CompiledWebACL, at: int) -> None:
    body = sparse(5)
    attack = b" x' UNION SELECT password FROM users-- "
    found, _ = run(acl, body[:at] + attack + body[at:], piece=16384, ctype="text/plain")
    assert found is not None


@pytest.mark.parametrize("url", ["http://evil.example/" + "a" * 100 + "/shell.txt?",
                                 "http://evil.example/" + "a" * 100 + "?"])
def test_a_long_url_across_a_block_edge_is_found(acl: CompiledWebACL, url: str) -> None:
    """Block edges sit at fixed offsets: each trigger fits in the bytes a scan overlaps."""
    for shift in range(0, 120, 7):
        at = 16384 + 8192 * 5 - shift
        body = pad(at) + b"&q=" + url.encode() + b"&z=1"
        assert run(acl, body + pad(20_000), piece=16384)[0] is not None, shift
