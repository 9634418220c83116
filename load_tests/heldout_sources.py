"""Readers for the sixth held-out round's sources (packages no earlier round used), as items.

An item is ``(source, key, payload)``: ``key`` names the source item (a payload template, a
text, a document), and every case built from it lands in the same half of the split
(``heldout_eval.half``), so an encoding of a held-out payload never tunes the rules.

The sources are not committed (licences, size); ``--src DIR`` points at them, laid out as

    apt-get download wfuzz sqlmap && dpkg-deb -x <each>.deb DIR/deb     (Debian 3.1.0-2, 1.7.2-1)
    pip download --no-deps mimesis==22.2.0 fake-useragent==2.2.0; unzip each wheel into DIR/pip/x

plus the CPython 3.11 test data and ``pydoc_data`` of the interpreter running this (email
messages, XML documents, ``configparser`` files, CJK texts, the reference manual's topics).
"""

from __future__ import annotations

import json
import random
import sys
import sysconfig
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

Item = tuple[str, str, object]
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _lines(path: Path) -> list[str]:
    seen: dict[str, None] = {}
    for line in path.read_text("utf-8", "replace").splitlines():
        if len(line.strip()) >= 4:  # a lone quote or '#' is a probe, not an attack by itself
            seen.setdefault(line, None)
    return list(seen)


# ---------------------------------------------------------------- attacks
def wfuzz(src: Path) -> Iterator[Item]:
    """wfuzz's injection lists and (sampled) traversal lists."""
    base = src / "deb/usr/share/wfuzz/wordlist"
    for name in ("XSS", "SQL", "XML", "Traversal", "All_attack"):
        for line in _lines(base / "Injections" / f"{name}.txt"):
            yield f"wfuzz-{name.lower()}", line, line
    for name in ("dirTraversal-nix", "dirTraversal-win", "sql_inj"):
        lines = _lines(base / "vulns" / f"{name}.txt")
        for line in random.Random(name).sample(lines, min(120, len(lines))):
            yield f"wfuzz-{name.lower()}", line, line


_SQLMAP_FILL = {
    "[RANDNUM]": "4821",
    "[RANDNUM1]": "7310",
    "[RANDNUM2]": "1296",
    "[RANDNUM3]": "5540",
    "[RANDNUM4]": "8802",
    "[RANDNUM5]": "3177",
    "[SLEEPTIME]": "5",
    "[RANDSTR]": "hWqz",
    "[RANDSTR1]": "kXyp",
    "[RANDSTR2]": "aBcd",
    "[DELIMITER_START]": "0x716a766b71",
    "[DELIMITER_STOP]": "0x7178707a71",
    "[INFERENCE]": "5621=5621",
    "[QUERY]": "SELECT 1",
    "[ORIGVALUE]": "1",
    "[ORIGINAL]": "1",
    "[GENERIC_SQL_COMMENT]": "-- -",
    "[CHAR]": "NULL",
    "[SPACE_REPLACE]": " ",
    "[DBMS]": "MySQL",
    "[ORIGVALUE_1]": "1",
}
# Boundaries sqlmap tries first (level 1-2): (prefix, suffix), the original value before.
_BOUNDARIES = (("1", ""), ("1'", " AND 'x'='x"), ("1)", " AND (1=1"), ("1'", "-- -"), ('x"', "#"))
TAMPERS = (
    "space2comment",
    "randomcase",
    "between",
    "equaltolike",
    "versionedkeywords",
    "space2randomblank",
    "charencode",
    "chardoubleencode",
    "charunicodeencode",
    "halfversionedmorekeywords",
    "space2hash",
    "space2dash",
    "symboliclogical",
    "percentage",
    "greatest",
    "apostrophemask",
    "modsecurityversioned",
    "randomcomments",
    "space2plus",
    "informationschemacomment",
    "unmagicquotes",
    "0eunion",
)


def sqlmap(src: Path) -> Iterator[Item]:
    """sqlmap's detection payloads (boolean, error, stacked, time, inline), each in a boundary;
    UNION probes built as sqlmap builds them (1-6 NULL columns then the delimiters)."""
    root = src / "deb/usr/share/sqlmap/data/xml/payloads"
    for name in ("boolean_blind", "error_based", "stacked_queries", "time_blind", "inline_query"):
        for i, test in enumerate(ET.parse(root / f"{name}.xml").getroot().findall("test")):
            req = test.find("request")
            assert req is not None
            body = (req.findtext("payload") or "") + (req.findtext("comment") or "")
            for k, v in _SQLMAP_FILL.items():
                body = body.replace(k, v)
            if not body.strip() or "[" in body:
                continue
            pre, suf = _BOUNDARIES[i % len(_BOUNDARIES)]
            value = f"{pre} {body}{suf}" if name != "inline_query" else f"({body})"
            yield f"sqlmap-{name}", f"{name}/{i}", value
    for cols in range(1, 7):
        nulls = ",".join(["NULL"] * (cols - 1) + ["CONCAT(0x716a766b71,0x4b4c,0x7178707a71)"])
        for pre in ("1", "1'", "-4821"):
            yield "sqlmap-union", f"union/{cols}/{pre}", f"{pre} UNION ALL SELECT {nulls}-- -"


def tamper(src: Path, name: str, value: str) -> str:
    """``value`` through one of sqlmap's tamper scripts (imported from the Debian package)."""
    home = str(src / "deb/usr/share/sqlmap")
    if home not in sys.path:
        sys.path.insert(0, home)
    import importlib

    from lib.core.data import kb  # versionedkeywords & co. read sqlmap's keyword list from kb

    if not hasattr(kb, "keywords") or "keywords" not in kb:
        words = (src / "deb/usr/share/sqlmap/data/txt/keywords.txt").read_text().split()
        kb.keywords = {w.upper() for w in words if not w.startswith("#")}
    module = importlib.import_module(f"tamper.{name}")
    random.seed(len(value))  # randomcase / randomcomments draw from the global generator
    return str(module.tamper(value))


# ---------------------------------------------------------------- benign
def mimesis_records(src: Path, per_locale: int = 6) -> Iterator[Item]:
    """Fake people, addresses, quotes, sentences, URLs and request headers in mimesis' 48 locales."""
    home = str(src / "pip/x")
    if home not in sys.path:
        sys.path.insert(0, home)
    from mimesis import Generic
    from mimesis.locales import Locale

    for loc in Locale:
        g = Generic(locale=loc, seed=f"d6-{loc.value}")
        for i in range(per_locale):
            k = f"{loc.value}/{i}"
            yield "mimesis-text", f"q/{k}", g.text.quote()
            yield "mimesis-text", f"t/{k}", g.text.text(2 + i % 3)
            yield (
                "mimesis-address",
                f"a/{k}",
                f"{g.address.address()}, {g.address.postal_code()} {g.address.city()}",
            )
            record = {
                "name": g.person.full_name(),
                "email": g.person.email(),
                "phone": g.person.telephone(),
                "company": g.finance.company(),
                "street": g.address.address(),
                "city": g.address.city(),
                "dish": g.food.dish(),
                "title": g.text.title(),
                "language": g.development.programming_language(),
            }
            yield "mimesis-json", f"j/{k}", ("json", json.dumps(record, ensure_ascii=False))
            row = "|".join(str(v) for v in record.values())
            yield "mimesis-csv", f"c/{k}", row if i % 2 else row.replace("|", ";")
            yield "mimesis-url", f"u/{k}", g.internet.uri(query_params_count=1 + i % 4)
            yield "mimesis-url", f"qs/{k}", ("query", g.internet.query_string(length=2 + i % 5))
            headers = {a: str(b) for a, b in g.internet.http_request_headers().items()}
            yield "mimesis-headers", f"h/{k}", ("headers", headers)


def user_agents(src: Path) -> Iterator[Item]:
    seen: set[str] = set()
    with (src / "pip/x/fake_useragent/data/browsers.jsonl").open() as fh:
        for line in fh:
            ua = json.loads(line)["useragent"]
            if ua not in seen:
                seen.add(ua)
                yield "fake-useragent", ua, ("ua", ua)
    lines = _lines(src / "deb/usr/share/sqlmap/data/txt/user-agents.txt")
    for ua in random.Random("ua").sample([x for x in lines if not x.startswith("#")], 600):
        yield "sqlmap-user-agents", ua, ("ua", ua)


def stdlib_texts() -> Iterator[Item]:
    """CPython's own test data: e-mail messages, XML documents, configparser files, CJK texts."""
    test = STDLIB / "test"
    for path in sorted((test / "test_email/data").glob("msg_*.txt")):
        raw = path.read_text("utf-8", "replace")
        head, _, body = raw.partition("\n\n")
        subject = next((h[8:].strip() for h in head.splitlines() if h.lower().startswith("subject:")), "")
        if body.strip():
            yield "py-email", path.name, body[:4000]
        if subject:
            yield "py-email-subject", path.name, subject
    for path in sorted((test / "xmltestdata").rglob("*.xml")):
        yield "py-xml", str(path.relative_to(test)), ("xml", path.read_text("utf-8", "replace")[:6000])
    for path in sorted((test / "configdata").glob("cfgparser.*")):
        text = path.read_text("utf-8", "replace")
        for j, chunk in enumerate(text.split("\n\n")):
            if chunk.strip():
                yield "py-config", f"{path.name}/{j}", ("upload", chunk)
    for path in sorted((test / "cjkencodings").glob("*-utf8.txt")):
        for j, para in enumerate(p for p in path.read_text("utf-8", "replace").split("\n\n") if p.strip()):
            yield "py-cjk", f"{path.name}/{j}", para[:1500]


def pydoc_topics(n: int = 400) -> Iterator[Item]:
    """Paragraphs of the Python reference manual (prose quoting code), a deterministic sample."""
    from pydoc_data.topics import topics

    paras = [
        (name, j, p.strip())
        for name, text in sorted(topics.items())
        for j, p in enumerate(text.split("\n\n"))
        if 40 <= len(p.strip()) <= 1200
    ]
    for name, j, para in random.Random("pydoc").sample(paras, min(n, len(paras))):
        yield "pydoc-topics", f"{name}/{j}", para


def attack_items(src: Path) -> list[Item]:
    return [*wfuzz(src), *sqlmap(src)]


def benign_items(src: Path) -> list[Item]:
    return [*mimesis_records(src), *user_agents(src), *stdlib_texts(), *pydoc_topics()]
