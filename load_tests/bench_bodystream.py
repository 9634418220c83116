"""CPU cost of streamed whole-body inspection per MB (issue 15 target: <= 5 ms per MB).

Same-run anchor: SHA-256 of the same MB (hashlib, C), so the ratio survives a loaded machine.
Each body is 1 MiB; the first 16 KiB are the ACL's first window (not counted: the engine's
normal evaluation); the rest goes through ``BodyStream.feed`` in 16 KiB chunks, as the server reads
it. Process CPU time, best of ``--repeat`` runs.

    PYTHONPATH=. python load_tests/bench_bodystream.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import time
from collections.abc import Callable
from pathlib import Path

from wafproxy.aclfiles import load_web_acl
from wafproxy.engine.bodycodec import BodyDecoder, DecodeLimits
from wafproxy.engine.bodystream import BodyStream, StreamPolicy, stream_plan
from wafproxy.engine.evaluation import evaluate
from wafproxy.engine.request import WafRequest

ROOT = Path(__file__).resolve().parents[1]
MB = 1 << 20
WORDS = ("the quick brown fox jumps over a lazy dog as customers browse items in our shop and "
         "review their delivery options before checkout it's easy to pick a plan then change the "
         "address don't worry about fees in Paris Zürich Tōkyō").split()
# The worst case for the trigger prefilter: English that reads like SQL to it (every block goes to
# the rules, which is what inspecting the whole body with the managed groups costs).
SQLISH = ("please select the order from your account and update it where needed or delete it if it's "
          "not needed union members like having options").split()


def bodies(rnd: random.Random) -> dict[str, tuple[str, bytes]]:
    prose = " ".join(rnd.choice(WORDS) for _ in range(250_000)).encode()[:MB]
    form = b"&".join(b"f%d=%s" % (i, "+".join(rnd.choice(WORDS) for _ in range(10)).encode())
                     for i in range(30_000))[:MB]
    records = [{"id": i, "name": " ".join(rnd.choice(WORDS) for _ in range(4)),
                "email": f"u{i}@example.com", "active": i % 2 == 0, "score": i * 1.5, "tags": ["a", "b"]}
               for i in range(14_000)]
    js = json.dumps(records).encode()[:MB]
    binary = bytes(rnd.getrandbits(8) for _ in range(MB))
    part = b"--b\r\nContent-Disposition: form-data; name=f; filename=doc.txt\r\n\r\n"
    sqlish = " ".join(rnd.choice(SQLISH) for _ in range(250_000)).encode()[:MB]
    # A JSON API's records, each with a URL (the rules look at some URLs, not at these).
    linked = json.dumps([{"id": i, "url": f"https://example.com/item/{i}?ref=home", "name": "item"}
                         for i in range(20_000)]).encode()[:MB]
    # One trigger (";") every 4 KiB of prose: each is a confirmation of its own.
    sparse = b"; ".join(prose[at:at + 4096] for at in range(0, MB, 4096))[:MB]
    # A trigger (";") after every word, nothing is an attack: every byte goes to the rules.
    dense = "; ".join(rnd.choice(WORDS) for _ in range(250_000)).encode()[:MB]
    return {
        "prose (text/plain)": ("text/plain", prose),
        "form (urlencoded)": ("application/x-www-form-urlencoded", form),
        "JSON records": ("application/json", js),
        "JSON records, a URL in each": ("application/json", linked),
        "binary upload (octet-stream)": ("application/octet-stream", binary),
        "multipart text file": ("multipart/form-data; boundary=b", part + prose[: MB - len(part)]),
        "worst case: SQL-keyword prose (text/plain)": ("text/plain", sqlish),
        "prose, a trigger every 4 KiB, no attack": ("text/plain", sparse),
        "worst case: a trigger after every word, no attack": ("text/plain", dense),
    }


def best(fn: Callable[[], object], repeat: int) -> float:
    out = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        out = min(out, time.process_time() - t0)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    acl = load_web_acl(ROOT / "rules" / "default-web-acl.json")
    plan = stream_plan(acl)
    assert plan is not None
    rnd = random.Random(15)
    anchor_data = bytes(rnd.getrandbits(8) for _ in range(MB))
    anchor = best(lambda: hashlib.sha256(anchor_data).digest(), args.repeat)
    print(f"anchor: sha256 of 1 MiB {anchor * 1e3:.2f} ms")
    print(f"{'body (1 MiB)':50} {'ms CPU':>7} {'x sha256':>9} {'blocks':>7} {'confirmed':>9}  streamed"
          "  (first 16 KB, whole ACL)")
    for name, (ctype, body) in bodies(rnd).items():
        head = WafRequest(client_ip="10.0.0.1", method="POST", uri_path="/upload", query_string="",
                          headers=(("host", "app"), ("user-agent", "bench"), ("content-type", ctype)),
                          body=body[:16384],
                          body_size=len(body))
        last: list[BodyStream] = []

        def run(body: bytes = body, head: WafRequest = head) -> object:
            stream = BodyStream(plan, StreamPolicy(), head)
            last[:] = [stream]
            for at in range(16384, len(body), 16384):
                if stream.feed(body[at:at + 16384]) is not None:
                    return "BLOCK"
            return stream.finish()

        seconds = best(run, args.repeat)
        outcome = run()
        stream = last[0]
        verdict = "allow" if outcome is None else "BLOCK"
        first = evaluate(acl, head).action.value.lower()
        print(f"{name:50} {seconds * 1e3:7.2f} {seconds / anchor:9.1f} {stream.scans:7} "
              f"{stream.confirms:9}  {verdict:8}  ({first})")
    data = bodies(random.Random(15))["JSON records"][1]
    packed = gzip.compress(data)

    def inflate() -> None:
        dec = BodyDecoder("gzip", DecodeLimits())
        for at in range(0, len(packed), 16384):
            dec.feed(packed[at:at + 16384])

    seconds = best(inflate, args.repeat)
    label = "gzip inflate of the JSON MiB (before the scan)"
    print(f"{label:50} {seconds * 1e3:7.2f} {seconds / anchor:9.1f}")


if __name__ == "__main__":
    main()
