#!/usr/bin/env python3
"""The sixth held-out round: score the default ACL on sources no earlier round used, each split
deterministically into a tuning half and a held-out half (``load_tests/heldout_sources.py``).

    PYTHONPATH=. .venv/bin/python load_tests/heldout_eval.py --src /tmp/d6src            # table
    ... --half tune --misses                      # every wrong case of the tuning half
    ... --save /tmp/after.json --compare /tmp/before.json   # decisions by id, and what flipped
    ... --write /tmp/d6jsonl                      # JSONL of both halves for ../shared/tools/waf_eval.py

A case belongs to the half its *source item* hashes to (sha256 of source and key), so every
placement and encoding of one payload or text is in one half. Only the tuning half's misses are
read while writing rules; the held-out half is scored, never read case by case.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from load_tests import heldout_sources as hs  # noqa: E402
from tests.rules.setkit import _http, place  # noqa: E402

TEXT = ("URLParam", "HTMLForm", "HTMLMultipartForm", "JSONRequest")
ATTACK = (*TEXT, "Header", "Cookie")


def half(source: str, key: str) -> str:
    return "tune" if hashlib.sha256(f"{source}\0{key}".encode()).digest()[0] & 1 == 0 else "held"


def _case(source: str, key: str, n: int, shape: str, expect: str, fields: dict[str, Any]) -> dict[str, Any]:
    tag = hashlib.sha256(key.encode()).hexdigest()[:10]
    return {
        "id": f"{source}/{tag}/{n}/{shape}",
        "set": half(source, key),
        "category": source,
        "family": source,
        "param": "q",
        "expect": expect,
        "shape": shape,
        "key": key,
        **fields,
    }


def _mixed_case(value: str) -> str:
    return "".join(ch.upper() if i % 2 else ch.lower() for i, ch in enumerate(value))


def _js_escaped(value: str) -> str:
    return "".join(ch if ch.isalnum() else f"\\u{ord(ch):04x}" for ch in value)


def attack_cases(src: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n, (source, key, payload) in enumerate(hs.attack_items(src)):
        value = str(payload)
        shapes = ATTACK + (("URLPath",) if "traversal" in source.lower() else ())
        for label, fields in place(value, shapes):
            out.append(_case(source, key, n, f"plain:{label}", "block", fields))
        out.append(
            _case(
                source,
                key,
                n,
                "double-url:URLParam",
                "block",
                {"placement": "URLParam", "payload": quote(quote(value, safe=""), safe="")},
            )
        )
        out.append(
            _case(
                source,
                key,
                n,
                "mixed-case:URLParam",
                "block",
                {"placement": "URLParam", "payload": quote(_mixed_case(value), safe="")},
            )
        )
        body = '{"id": 7, "q": "' + _js_escaped(value) + '"}'
        out.append(
            _case(
                source,
                key,
                n,
                "js-unicode:JSON",
                "block",
                {
                    "placement": "HTTP",
                    "request": _http("POST", "/api/search", [["Content-Type", "application/json"]], body),
                },
            )
        )
        b64 = base64.b64encode(value.encode()).decode()
        out.append(
            _case(source, key, n, "base64:JSONRequest", "block", {"placement": "JSONRequest", "payload": b64})
        )
        if source.startswith("sqlmap"):
            for t in (hs.TAMPERS[n % len(hs.TAMPERS)], hs.TAMPERS[(n * 7 + 3) % len(hs.TAMPERS)]):
                wire = quote(hs.tamper(src, t, value), safe="%/:=,()*'!-_.~")
                for pl in ("URLParam", "HTMLForm"):
                    out.append(
                        _case(source, key, n, f"tamper-{t}:{pl}", "block", {"placement": pl, "payload": wire})
                    )
    return out


def _upload(text: str, filename: str, ctype: str) -> dict[str, Any]:
    bnd = "----d6" + hashlib.sha256(text.encode()).hexdigest()[:20]
    body = (
        f'--{bnd}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {ctype}\r\n\r\n{text}\r\n--{bnd}--\r\n"
    )
    return {
        "placement": "HTTP",
        "request": _http("POST", "/upload", [["Content-Type", f"multipart/form-data; boundary={bnd}"]], body),
    }


def benign_cases(src: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n, (source, key, payload) in enumerate(hs.benign_items(src)):
        if isinstance(payload, str):
            for label, fields in place(payload, TEXT):
                out.append(_case(source, key, n, label, "allow", fields))
            continue
        assert isinstance(payload, tuple)
        kind, value = str(payload[0]), payload[1]
        if kind == "json":
            out.append(
                _case(source, key, n, "JSONBody", "allow", {"placement": "JSONBody", "payload": value})
            )
        elif kind == "xml":
            out.append(_case(source, key, n, "XMLBody", "allow", {"placement": "XMLBody", "payload": value}))
        elif kind == "ua":
            out.append(
                _case(source, key, n, "UserAgent", "allow", {"placement": "UserAgent", "payload": value})
            )
        elif kind == "query":
            out.append(
                _case(
                    source,
                    key,
                    n,
                    "RawQuery",
                    "allow",
                    {"placement": "HTTP", "request": _http("GET", "/search?" + value, [])},
                )
            )
        elif kind == "headers":
            hdrs = [
                [k, v]
                for k, v in value.items()
                if k.lower() not in ("host", "content-length", "content-type")
            ]
            out.append(
                _case(
                    source,
                    key,
                    n,
                    "Headers",
                    "allow",
                    {"placement": "HTTP", "request": _http("GET", "/", hdrs)},
                )
            )
        elif kind == "upload":
            out.append(_case(source, key, n, "Upload", "allow", _upload(value, "app.cfg", "text/plain")))
            out.append(
                _case(
                    source,
                    key,
                    n,
                    "HTMLMultipartForm",
                    "allow",
                    {"placement": "HTMLMultipartForm", "payload": value},
                )
            )
    return out


def _evaluate(cases: list[dict[str, Any]]) -> dict[str, str]:
    from tests.rules import corpuskit as ck
    from wafproxy.aclfiles import load_web_acl

    acl = load_web_acl(ck.DEFAULT_ACL)
    return {o.case["id"]: (o.rule or "?") if o.blocked else "" for o in ck.run(acl, cases)}


def _table(title: str, cases: list[dict[str, Any]], decided: dict[str, str]) -> None:
    total, blocked = Counter[tuple[str, str]](), Counter[tuple[str, str]]()
    for c in cases:
        for src in (c["family"], "ALL"):
            total[(src, c["set"])] += 1
            blocked[(src, c["set"])] += bool(decided[c["id"]])
    print(f"\n{title}: blocked % (n)      tune            held")
    for src in sorted({s for s, _ in total}, key=lambda s: (s == "ALL", s)):
        cells = [
            f"{100 * blocked[(src, h)] / max(total[(src, h)], 1):6.1f} % ({total[(src, h)]:5d})"
            for h in ("tune", "held")
        ]
        print(f"  {src:28s} {cells[0]}  {cells[1]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", type=Path, required=True)
    ap.add_argument(
        "--half", choices=("tune", "held"), default="tune", help="whose wrong cases --misses lists"
    )
    ap.add_argument("--misses", action="store_true")
    ap.add_argument("--save", type=Path)
    ap.add_argument("--compare", type=Path)
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    attacks, benign = attack_cases(args.src), benign_cases(args.src)
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        for name, rows in (("attacks", attacks), ("benign", benign)):
            for h in ("tune", "held"):
                with (args.write / f"{name}-{h}.jsonl").open("w", encoding="utf-8") as fh:
                    for row in rows:
                        if row["set"] == h:
                            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    decided = _evaluate(attacks + benign)
    _table("attacks", attacks, decided)
    _table("benign", benign, decided)
    if args.save:
        args.save.write_text(json.dumps(decided))
    if args.compare:
        before = json.loads(args.compare.read_text())
        flips = Counter(
            f"{c['set']}:{c['expect']}:{bool(before.get(c['id']))}->{bool(decided[c['id']])}"
            for c in attacks + benign
            if bool(before.get(c["id"])) != bool(decided[c["id"]])
        )
        print("\nflips:", dict(flips))
    if args.misses:
        for c in attacks + benign:
            if c["set"] == args.half and bool(decided[c["id"]]) != (c["expect"] == "block"):
                shown = c.get("payload") or c.get("request", {}).get("uri", "") + " " + c.get(
                    "request", {}
                ).get("body", "")
                print(f"{c['id']} rule={decided[c['id']] or '-'}: {shown[:220]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
