"""SQL injection and XSS detection: what ``SqliMatchStatement`` and ``XssMatchStatement`` do.

Both run on a value *after* the rule's text transformations (the evaluator applies them), so a rule
decides itself whether ``%27`` counts as a quote (URL_DECODE) — exactly as on AWS.

* ``is_sqli(value, "LOW")`` is libinjection's SQLi tokenizer/fingerprint check alone: precise,
  few false positives (``O'Brien``, ``select the union of``, ``drop me a line`` pass: the prose
  veto over its verdict is ``sqli_veto``).
* ``is_sqli(value, "HIGH")`` adds the checks AWS describes for HIGH sensitivity ("detects more
  attacks ... but generates more false positives"): one multi-pattern set (hyperscan / RE2, linear
  time) of SQL shapes libinjection lets through on purpose — stacked statements, ``UNION ...
  SELECT`` with comments in between, time-based blind functions, catalog probing, file I/O,
  quote-then-boolean tautologies, inline/version comments.
* ``is_xss(value)`` is libinjection's HTML5-tokenizer XSS check (AWS has no sensitivity level).

libinjection takes ``str`` and encodes it as strict UTF-8; a value holding raw invalid bytes
(``U+DC80..U+DCFF`` escapes, see ``transforms._bytes``) has each such byte replaced by U+FFFD
first — still a non-ASCII "word" character to the tokenizer, so detection is unchanged.
Managed rule groups with wider coverage are a separate module; these stay AWS-sized.

Form-encoded values (a raw query string or ``application/x-www-form-urlencoded`` body, as the
``QueryString`` and ``Body`` fields deliver them) are also inspected one argument at a time:
libinjection's HTML contexts read ``q=a <= b`` as an attribute assignment (a false positive on
``a <= b``), and its SQL tokenizer folds the ``name=`` into the first token. ``_arguments``
yields each ``&``-separated value without its ``name=`` prefix (at most ``MAX_ARGUMENTS``).
SQLi is checked on the whole value (without its leading ``name=``) *and* each argument (an
injection may contain ``&&``); XSS
on the arguments only when the value is form-shaped.
"""

from __future__ import annotations

import re
from typing import Literal

import libinjection

from wafproxy.engine import markup, prose
from wafproxy.engine.matchers import Pattern, PatternSet
from wafproxy.engine.sqli_veto import ONE_TOKEN, for_libinjection, libinjection_sqli

Sensitivity = Literal["LOW", "HIGH"]

# HIGH-sensitivity extras: (name, regex). Case-insensitive; only bounded repetitions, so the
# automaton stays small. Each has a should-match / should-pass pair in the tests.
HIGH_CHECKS: tuple[tuple[str, str], ...] = (
    ("union_select", r"\bunion(?:\s|\(|/\*[^*]*\*/)+(?:(?:all|distinct)(?:\s|\(|/\*[^*]*\*/)+)?select\b"),
    (
        "stacked_statement",
        r";\s*(?:(?:drop|alter|create|truncate)\s+(?:table|database|schema|index|view|user|procedure)\b"
        r"|delete\s+from\b|insert\s+into\b|update\s+[\w.`\"\[\]]+\s+set\b|shutdown\b|exec(?:ute)?\s|declare\s+@)",
    ),
    ("time_blind", r"\b(?:sleep|pg_sleep|benchmark)\s*\(|\bwaitfor\s+delay\b|\bdbms_lock\.sleep\b"),
    (
        "catalog_probe",
        r"\binformation_schema\b|\bsys(?:objects|columns|databases)\b|\bpg_catalog\b|\bsqlite_master\b",
    ),
    ("file_io", r"\binto\s+(?:out|dump)file\b|\bload_file\s*\(|\bxp_cmdshell\b"),
    (
        "quote_boolean",
        r"['\"`]\s*\)*\s*(?:or|and|\|\||&&)\s*\(*\s*['\"`]?\w*['\"`]?\s*(?:=|<>|!=|<|>|\blike\b|\bis\b)",
    ),
    ("quote_comment", r"['\"`]\s*\)*\s*(?:--|#|/\*)"),
    ("version_comment", r"/\*!\d{0,5}"),
    ("select_from", r"\bselect\s+(?:\*|[\w.`\"\[\]()*]+(?:\s*,\s*[\w.`\"\[\]()*]+)*)\s+from\s+[\w.`\"\[\]]+"),
)

_HIGH = PatternSet.build([Pattern(i, "regex", rx, caseless=True) for i, (_, rx) in enumerate(HIGH_CHECKS)])


MAX_ARGUMENTS = 256
# "name=" at the start of a form argument: a short run without spaces or markup. One class, linear.
_KEY = re.compile(r"[\w.\[\]$-]{1,64}=")


def _arguments(value: str) -> list[str] | None:
    """The argument values of a form-shaped ``value`` (``a=1&b=2`` -> ``["1", "2"]``), else None.
    In a multipart body, its boundary delimiter separates arguments too (``prose.multipart_delimiter``)."""
    key = _KEY.match(value)
    if key is None and "&" not in value:
        return None
    out: list[str] = []
    for part in value.split("&", MAX_ARGUMENTS)[:MAX_ARGUMENTS]:
        match = _KEY.match(part)
        out.append(part[match.end() :] if match else part)
    delimiter = prose.multipart_delimiter(value)
    if delimiter is not None:
        out = [piece for arg in out for piece in arg.split(delimiter, MAX_ARGUMENTS)][:MAX_ARGUMENTS]
    return out


# libinjection reads "<?" as an HTML bogus comment (an old-IE vector) and flags every XML document;
# the declaration itself cannot run script, so it is skipped. Bounded: one short, fixed-shape prefix.
_XML_DECL = re.compile(r"<\?xml[^<>?]{0,200}\?>")


def _without_xml_declaration(value: str) -> str:
    if "<?" not in value:
        return value
    return _XML_DECL.sub("", value, count=1)


def is_sqli(value: str, sensitivity: Sensitivity = "LOW") -> bool:
    """SqliMatchStatement: ``is_sqli("1' OR '1'='1") is True``; ``is_sqli("O'Brien") is False``."""
    if not value:
        return False
    if ONE_TOKEN.fullmatch(value) is not None:  # not form-shaped, never libinjection SQLi (sqli_veto)
        return sensitivity == "HIGH" and bool(_HIGH.scan(value))
    args = _arguments(value)
    whole = value if args is None else _without_first_key(value)
    if libinjection_sqli(whole) and (args is None or not _each_argument_clean(value)):
        return True
    if args is not None and any(libinjection_sqli(arg) for arg in args if arg):
        return True
    return sensitivity == "HIGH" and bool(_HIGH.scan(value))


def _each_argument_clean(value: str) -> bool:
    """The whole form read as one value is SQLi, but it holds several ``name=`` arguments, each of
    which is not SQLi: the verdict rests on text of two fields read together (``(a OR b) AND NOT
    c*`` then ``&name=O'Connor``), which no query concatenates. An ``&`` that starts no ``name=``
    (``&&``, ``page 3 & 4``) is part of its argument, read whole (``1' && '1'='1`` stays SQLi)."""
    merged: list[str] = []
    for piece in value.split("&", MAX_ARGUMENTS)[:MAX_ARGUMENTS]:
        key = _KEY.match(piece)
        if key is not None or not merged:
            merged.append(piece[key.end() :] if key else piece)
        else:
            merged[-1] += "&" + piece
    if len(merged) < 2:
        return False
    return not any(libinjection_sqli(arg) for arg in merged if arg)


def _without_first_key(value: str) -> str:
    """A form-shaped value without its leading ``name=``: the tokenizer would fold the name into the
    first token and read ``q='Select all' then save`` as a string after a bareword (``noskn``)."""
    key = _KEY.match(value)
    return value[key.end() :] if key else value


#: Not None for a value ``is_sqli(value, "LOW")`` is False for without looking further (one C call:
#: the detector node skips such values, most JSON keys and scalars, without calling ``is_sqli``).
sqli_never = ONE_TOKEN.fullmatch


def _libinjection_xss(value: str) -> bool:
    """libinjection's verdict, read again without benign markup it mistakes (``markup.py``)."""
    value = for_libinjection(value)
    return _libinjection_says_xss(value) and markup.xss_reread(value, _libinjection_says_xss)


def _libinjection_says_xss(value: str) -> bool:
    return bool(libinjection.is_xss(value)["is_xss"])


def high_checks_matching(value: str) -> tuple[str, ...]:
    """Names of the HIGH-sensitivity checks ``value`` trips (for logs and ``wafproxy explain``)."""
    return tuple(HIGH_CHECKS[i][0] for i in sorted(_HIGH.scan(value)))


def is_xss(value: str) -> bool:
    """XssMatchStatement: ``is_xss("<img src=x onerror=alert(1)>") is True``; ``is_xss("a < b")`` False."""
    if not value:
        return False
    value = _without_xml_declaration(value)
    args = _arguments(value)
    if args is None:
        return _libinjection_xss(value)
    return any(_libinjection_xss(arg) for arg in args if arg)
