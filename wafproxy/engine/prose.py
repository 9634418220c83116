"""Benign shapes libinjection mistakes for SQLi, recognised from its fingerprint and tokens.

The SQLi prose veto (``sqli_veto.py``) calls these only *after* libinjection said "sqli", and each
only ever turns that verdict into "no" when the whole value has a shape an SQL injection cannot
take (or, for multipart, decides how the value is split). The shapes, and why none is an injection:

* **Boolean search syntax** (``(wool OR linen) AND NOT "dry clean"``): libinjection folds it into
  ``n&(n&`` / ``n&n)&``. A value made only of plain words, double-quoted phrases, parentheses and
  AND/OR/NOT has no comparison, no function call, no comment, no single quote and no SQL keyword:
  ANDed and ORed column names are not an injection (every word is checked to be one libinjection
  types as a bare word, so ``x AND (a OR select ...)`` keeps its verdict).
  Field terms of query-string search syntax count as words: ``color:navy``, ``title:"a b"``,
  ``price:[10 TO 50]``, ``year:>2019``, a trailing wildcard ``cashmere*`` (libinjection's ``o``).
* **An e-mail address** (``john+or@var.es``, its ``+`` decoded to a space: ``n&v``): a local part,
  ``@`` glued to it, a domain. ``x OR @var`` needs the ``@`` set apart or a ``@@`` system variable.
* **A C-family block** (``if (a && b || !c) { ... }``, ``f(n&n``): ``if``/``while`` then a
  condition without quotes, calls or commas, then ``{``. SQL's IF() takes commas and no brace; the
  text after the brace is judged on its own.
* **Arithmetic** (``sqrt(16) = 4``, ``e^(i*pi) + 1 = 0``, ``-(-5) = 5``): numbers, one-letter
  variables, math functions (no probe function: ``ascii(1)=49`` keeps its verdict), operators and
  balanced parentheses, and a comparison. It cannot close a quote or a parenthesis of the query.
* **Python's ``with open('data.csv') as fh:``** (``nk(s)``): OPEN is a cursor statement in SQL, never
  preceded by WITH and followed by ``AS name:``; the text after the colon is judged on its own.
* **multipart/form-data bodies**: split on the ``&`` of a URL inside a part, an argument ran on
  into the part's end, ``2026-03-31\\r\\n--boundary--``: a number then a "comment" to libinjection.
  The body's boundary delimiter separates arguments as ``&`` does (nothing is dropped: a form body
  dressed up as multipart still has every piece read).

All regexes are linear (no nested repetition) and bounded.
"""

from __future__ import annotations

import re

import libinjection

# --- token offsets ---------------------------------------------------------------------------------


def char_offset(value: str, byte_pos: int) -> int:
    """libinjection reports byte offsets into the UTF-8 text; the vetoes index the ``str``."""
    if value.isascii():
        return byte_pos
    return len(value.encode("utf-8")[:byte_pos].decode("utf-8", "ignore"))


# --- boolean search syntax ---------------------------------------------------------------------------

MAX_SEARCH = 512
_SEARCH_FINGERPRINT = re.compile(r"[n(s][n&()so]*")
# One term: a word (starts with a letter; letters, digits, -, _, . inside; a trailing wildcard), a
# "phrase", or a paren; a word or phrase may follow a field name (field:word, field:"a b",
# field:[10 TO 50], field:>=4).
_SEARCH_VALUE = r"(?:[^\W\d_][\w.-]{0,63}\*?|\"[^\"\\\n]{0,200}\")"
_SEARCH_FIELD_VALUE = r"(?:[<>]=?)?\d[\d.-]{0,19}|\[[\w. :-]{1,64}\]"
_SEARCH_FIELD_TERM = rf"[^\W\d_][\w.-]{{0,63}}:(?:{_SEARCH_FIELD_VALUE}|{_SEARCH_VALUE})"
_SEARCH_TERM = rf"(?:{_SEARCH_FIELD_TERM}|{_SEARCH_VALUE}|[()])"
# Terms are set apart by blanks; only a parenthesis may touch its neighbour ("a""b", x"y" are no
# search syntax but the quote games of an injection: " or ""=").
_SEARCH_SEP = r"(?:\s+|(?<=[()])\s*|\s*(?=[()]))"
_SEARCH = re.compile(rf"\s*{_SEARCH_TERM}(?:{_SEARCH_SEP}{_SEARCH_TERM}){{0,127}}\s*")
_SEARCH_WORD = re.compile(r"\"[^\"]*\"|[^\W\d_][\w.-]*")
# A field term (status:open, title:"a b"): a literal to the search engine, never an SQL word.
_FIELD_TERM = re.compile(_SEARCH_FIELD_TERM)
_CONNECTORS = frozenset(("and", "or", "not"))


def is_search_syntax(value: str, fingerprint: str) -> bool:
    """``wool AND NOT (linen OR "dry clean")``: words, phrases, parentheses and AND/OR/NOT only."""
    if len(value) > MAX_SEARCH or _SEARCH_FINGERPRINT.fullmatch(fingerprint) is None:
        return False
    if _SEARCH.fullmatch(value) is None or value.count("(") != value.count(")"):
        return False
    if "o" in fingerprint and "*" not in value:
        return False  # the only operator the grammar admits is a wildcard
    for word in _SEARCH_WORD.findall(_FIELD_TERM.sub(" ", value)):
        if word[0] == '"' or word.lower() in _CONNECTORS:
            continue
        if libinjection.is_sql_injection(word)["fingerprint"] != "n":
            return False
    return True


# --- e-mail addresses -----------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"\s*[\w.%+-]{1,64}(?: [\w.%+-]{1,64}){0,3}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}\s*"
)


def is_email_address(value: str, fingerprint: str) -> bool:
    """``john+or@var.es`` (``john or@var.es`` once ``+`` is a space): the whole value is one address."""
    return fingerprint == "n&v" and len(value) <= 320 and _EMAIL.fullmatch(value) is not None


# --- C-family blocks ------------------------------------------------------------------------------------

_C_BLOCK = re.compile(r"\s*(?:if|while)\s*\(([^()'\"`;,]{1,200})\)\s*\{")


def c_block_end(value: str, fingerprint: str) -> int | None:
    """Where ``if (a && b || !c) {`` ends when the value starts with it, else None."""
    if not fingerprint.startswith("f("):
        return None
    match = _C_BLOCK.match(value)
    return None if match is None else match.end()


# --- arithmetic -------------------------------------------------------------------------------------------

_MATH = re.compile(
    r"(?:\s|\d|[.,+\-*/^%=<>!()]|\b(?:sqrt|cbrt|sin|cos|tan|log|ln|exp|abs|pi|floor|ceil|round|min|max|[a-z])\b){1,200}",
    re.IGNORECASE,
)


def is_arithmetic(value: str) -> bool:
    """``sqrt(16) = 4, 4! = 24``: a formula, balanced, with a comparison (see the module docstring)."""
    return (
        len(value) <= 200
        and _MATH.fullmatch(value) is not None
        and value.count("(") == value.count(")")
        and any(op in value for op in "=<>")
    )


# --- Python with open(...) as name: --------------------------------------------------------------------

_WITH_AS = re.compile(r"\s+as\s+[A-Za-z_]\w{0,63}\s*:")

Tokens = list[tuple[str, str, int, int]]


def python_with_open_end(value: str, fingerprint: str, tokens: Tokens) -> int | None:
    """Where ``with open(...) as fh:`` ends in ``value`` (the text after it still needs judging), or
    None when the value does not start with that statement."""
    if not fingerprint.startswith("nk(s)") or [t[1] for t in tokens[:2]] != ["with", "open"]:
        return None
    if tokens[0][2] != 0:
        return None
    _, _, pos, length = tokens[4]
    match = _WITH_AS.match(value, pos + length)
    return None if match is None else match.end()


# --- plain word chains ----------------------------------------------------------------------------------

# English words libinjection types as SQL keywords (``k``) and that a sentence uses after AND/OR:
# "pick it up and then pay before noon", "bread and as much butter", "read and change the address".
# CASE, WHEN-less SQL words that start expressions (SELECT, UNION, LIKE, IN, IS, EXISTS) are not here:
# libinjection types them otherwise, and the fingerprint below admits only ``n``, ``&`` and ``k``.
_PROSE_KEYWORDS = frozenset(("then", "as", "before", "after", "change", "else", "from", "into", "when",
                             "to", "by", "at", "on", "of", "for", "with", "end"))
_WORD_CHAIN_FINGERPRINT = re.compile(r"n[n&k]*")
_WORDS_ONLY = re.compile(r"[^\W\d_]+(?:[ \t]+[^\W\d_]+)*")


def word_chain_end(value: str, fingerprint: str, tokens: Tokens) -> int | None:
    """Where the judged words end when libinjection's "sqli" rests on a chain of plain words joined
    by AND/OR and prose keywords ("about and then easy before ..."), else None.

    Without a literal, an operator, a parenthesis, a comment or a quote, words ANDed or ORed with
    each other cannot leave a string or numeric context nor call anything: the judged text must be
    letters and blanks only, and its keywords sentence words (the text after it is judged apart).
    """
    if _WORD_CHAIN_FINGERPRINT.fullmatch(fingerprint) is None or "&" not in fingerprint:
        return None
    if any(kind == "k" and text not in _PROSE_KEYWORDS for kind, text, _, _ in tokens):
        return None
    start = tokens[0][2]
    _, _, pos, length = tokens[-1]
    if _WORDS_ONLY.fullmatch(value, start, pos + length) is None:
        return None
    return pos + length


# --- multipart bodies ------------------------------------------------------------------------------------

_BOUNDARY = re.compile(r"(--[0-9A-Za-z'()+_,./:=?-]{1,70})\r?\n")


def multipart_delimiter(value: str) -> str | None:
    """``--boundary`` when ``value`` starts with a multipart boundary line and a part's
    Content-Disposition header, else None."""
    if not value.startswith("--"):
        return None
    match = _BOUNDARY.match(value)
    if match is None or value[match.end() : match.end() + 20].lower() != "content-disposition:":
        return None
    return match.group(1)
