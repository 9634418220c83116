"""Recall of the streamed body scan against the managed groups themselves (issue 15).

Every attack payload of the development corpora and of tests/rules is placed in a body three ways
(form value, raw text, JSON string). Where the managed groups block that body as the *first*
window, the streamed scan must block it too when it comes after 100 KB of harmless padding.
A miss means a trigger (``engine/bodytriggers``) is missing for a class the rules catch.

    PYTHONPATH=. python load_tests/bodystream_recall.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_plus

from wafproxy.aclfiles import load_web_acl
from wafproxy.engine.bodystream import BodyStream, StreamPolicy, stream_plan
from wafproxy.engine.evaluation import evaluate
from wafproxy.engine.request import WafRequest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = next((d / "shared" / "corpus" for d in ROOT.parents if (d / "shared" / "corpus").is_dir()), None)
PLACEMENTS = {
    "form": ("application/x-www-form-urlencoded",
             lambda p: b"note=hello&q=" + quote_plus(p).encode() + b"&z=1"),
    "raw": ("text/plain", lambda p: p.encode("utf-8", "surrogateescape")),
    "json": ("application/json",
             lambda p: b'{"note": "hello", "q": ' + json.dumps(p).encode() + b', "z": 1}'),
}


def payloads() -> Iterator[tuple[str, str]]:
    from tests.rules.cases import CASES

    for case in CASES:
        for text in case.block:
            yield f"rules:{case.rule_class}", text
    if CORPUS is not None:
        for name in ("evasion-dev.jsonl", "crs-attacks.jsonl"):
            for line in (CORPUS / name).open(encoding="utf-8"):
                case = json.loads(line)
                text = case.get("raw_payload") or case.get("payload")
                if case.get("expect") == "block" and isinstance(text, str) and text:
                    yield f"{name.split('.')[0]}:{case.get('category', '')}", text


def request(body: bytes, ctype: str) -> WafRequest:
    return WafRequest(client_ip="192.0.2.1", method="POST", uri_path="/submit", query_string="",
                      headers=(("host", "app"), ("user-agent", "recall"), ("content-type", ctype)),
                      body=body, body_size=len(body))


def padding(size: int) -> bytes:
    rnd = random.Random(size)
    words = b"alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
    out = bytearray(b"pad=")
    while len(out) < size:
        out += rnd.choice(words) + b"+"
    return bytes(out[:size]) + b"&"


def streamed(acl, body: bytes, ctype: str) -> bool:
    plan = stream_plan(acl)
    assert plan is not None
    pad = padding(100 * 1024)
    head = request(pad[:16384], ctype)
    stream = BodyStream(plan, StreamPolicy(), head)
    whole = pad[16384:] + body
    for at in range(0, len(whole), 16384):
        if stream.feed(whole[at:at + 16384]) is not None:
            return True
    return stream.finish() is not None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    acl = load_web_acl(ROOT / "rules" / "default-web-acl.json")
    plan = stream_plan(acl)
    assert plan is not None
    total: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    examples: list[str] = []
    items = list(payloads())
    if args.limit:
        items = random.Random(7).sample(items, min(args.limit, len(items)))
    for source, text in items:
        for where, (ctype, place) in PLACEMENTS.items():
            body = place(text)
            if evaluate(plan.acl, request(body, ctype)).action.value.upper() != "BLOCK":
                continue  # the rules do not block it as a body: nothing to find
            total[where] += 1
            if not streamed(acl, body, ctype):
                missed[where] += 1
                if len(examples) < 60:
                    examples.append(f"{source} [{where}] {text[:100]!r}")
    for where in PLACEMENTS:
        n, m = total[where], missed[where]
        rate = 100 * (n - m) / max(n, 1)
        print(f"{where:5} blocked as first window: {n:5}  found streamed: {n - m:5}  recall {rate:.2f}%")
    for line in examples:
        print("  miss", line)


if __name__ == "__main__":
    main()
