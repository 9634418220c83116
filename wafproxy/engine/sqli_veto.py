"""libinjection's SQLi verdict, and the prose veto that may overturn it (``detectors.is_sqli``).

Split from ``detectors`` because the veto is its own concept, about as large as the detectors
themselves: typed checks over libinjection's token stream that turn "sqli" into "no" when the
tokens are prose by SQL's own grammar (the comment block below says how, ``prose.py`` holds the
shape helpers). It re-reads text through ``libinjection_sqli`` (the rest after a judged part, a
value with its quoted labels masked), so the verdict and the veto live together. Also here:
``ONE_TOKEN`` (values that are never libinjection SQLi) and ``for_libinjection`` (the string
libinjection can encode), used by the detectors as well.
"""

from __future__ import annotations

import re

import libinjection

from wafproxy.engine import prose
from wafproxy.engine.transforms import to_bytes


def for_libinjection(value: str) -> str:
    """A str libinjection can encode: raw invalid bytes become U+FFFD (see ``detectors``' docstring)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return to_bytes(value).decode("utf-8", "replace")
    return value


# One word or one plain number (``sport``, ``W1``, ``current_user``, ``4711``, ``129.9``) is one
# libinjection token: a one-character fingerprint, and no fingerprint of its SQLi list has one
# character (every token type a word or number can take, ``n 1 k E T U & o f v A B`` and the
# dropped SQL type, is tested in ``tests/engine/test_detectors_sqli.py``). No quote, no comment:
# the quoted and MySQL re-reads never run. So it is never SQLi, and JSON keys and scalar values,
# mostly such words, skip the C call and its token-vector dict (~5 µs each). Capped at
# libinjection's 32-byte token size.
# Possessive: the same strings, but a longer value fails at once (sre's backtracking into the
# bounded repeat made ``fullmatch`` of a sentence cost ~2 µs, as much as it saved).
ONE_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}+|[0-9]{1,32}+(?:\.[0-9]{1,32}+)?")


def libinjection_sqli(value: str, depth: int = 0) -> bool:
    """libinjection says SQLi and the prose veto does not overturn it (``depth``: re-reads so far)."""
    if ONE_TOKEN.fullmatch(value) is not None:
        return False
    value = for_libinjection(value)
    result = libinjection.is_sql_injection(value)
    return bool(result["is_sqli"]) and not _prose_veto(value, result, depth)


# --- Prose veto -------------------------------------------------------------------------------------
# libinjection reads at most five folded tokens and, when the value holds a quote, re-reads it as if it
# began inside a string. Ordinary sentences then reach fingerprints of its SQLi list. The veto below
# runs only after libinjection said "sqli" and only ever turns that into "no", when the tokens it saw
# are prose by SQL's own grammar. Each case is typed (fingerprint + token types), looks only at a
# bounded window of text (``_TAIL``) with linear regexes, and is documented with why it is prose.
# libinjection reads only five tokens, so a veto also needs the text after what it judged to be clean
# (read again by libinjection, veto included, at most ``_MAX_DEPTH`` deep; deeper = no veto):
# "our values ('a') union select ..." and "done; drop it off; drop table t" stay SQLi.
# Everything else (the HIGH checks, the managed regex classes) still runs on the value independently.

_TAIL = 160
_MAX_DEPTH = 4
_QUOTES = "'\"`"
# Outside a quoted label: the value's edge, whitespace, or punctuation a sentence/JSON puts there.
_LABEL_BEFORE = ' \t\r\n([{"/'
_LABEL_AFTER = ' \t\r\n.,;:!?)]}"/'
# Token types that are SQL words or operators (libinjection): command T, expression E, keyword k,
# UNION U, logic & (OR/AND), operator o.
_LABEL_TYPES = "TEkU&o"

# After ``;``: what each command libinjection types ``T`` needs next in SQL (lower-cased text after the
# command word, comments and leading blanks removed). A command not listed keeps libinjection's verdict.
_STOP = r"(?:$|;|--|#|/\*)"  # the statement ends here
_END = rf"\s*{_STOP}"
_NAME = r"[\w$#@.\[\]`\"]+"
_SQLISH_NAME = r"\w*[_.$#\d\[][\w.$#\[\]]*"  # sp_who, master..xp_cmdshell, dbo.proc, t1
_PROC_CALL = rf"[(@'\"]|n'|{_SQLISH_NAME}|\w+(?:{_END}|\s*[(@'\"\d,-]|\s+n')"
_STACKED_GRAMMAR: dict[str, re.Pattern[str]] = {
    cmd: re.compile(rx)
    for cmds, rx in (
        # DROP <object kind> ...: "drop it off", "drop me a line", "drop by" are not an object kind.
        (
            ("drop",),
            r"(?:table|database|schema|view|index|user|procedure|proc|function|trigger|sequence|temporary"
            r"|temp|if|login|role|event|synonym|type|domain|extension|column|constraint|server|tablespace"
            r"|materialized|owned|assembly|rule|aggregate|policy|foreign|unique|clustered|external)\b",
        ),
        # DELETE [TOP] [FROM] <table> ...: a table name must end the statement or meet FROM/WHERE.
        (("delete",), rf"from\b|top\b|\*|{_NAME}(?:{_END}|\s+(?:where|from|output|with)\b)"),
        # INSERT INTO <table> then a column list, VALUES, SELECT, SET or DEFAULT: "insert into the slot".
        (
            ("insert into", "insert ignore into", "replace into"),
            rf"{_NAME}(?:\s*\(|\s+(?:values|value|select|set|default|output|with)\b)",
        ),
        # EXEC/CALL a procedure: a routine-shaped name, a call, @var or a literal ("execute the plan",
        # "call me later" are not).
        (("exec", "execute", "call"), _PROC_CALL),
        # DECLARE @v / DECLARE name type: "declare the winner now".
        (
            ("declare",),
            r"@|\w+\s+(?:cursor|table)\b|\w+\s+\w+(?:\s*\(|\s*:?=|\s*(?:$|;|--|#)|\s+(?:default|not|constant)\b)",
        ),
        # SHUTDOWN [WITH NOWAIT] ends the statement: "shutdown the laptop".
        (("shutdown",), rf"{_STOP}|with\b"),
        # USE <database> ends the statement: "use the form below".
        (("use",), rf"{_NAME}{_END}"),
        # BEGIN TRAN/TRY/... or a statement block: "begin again tomorrow".
        (
            ("begin",),
            rf"{_STOP}|(?:tran|transaction|try|catch|work|distributed|atomic|declare|exec|execute|select"
            r"|insert|update|delete|drop|if|while|waitfor|set|print)\b",
        ),
        # HANDLER <table> OPEN/READ/CLOSE.
        (("handler",), rf"{_NAME}\s+(?:open|read|close)\b"),
        # PRINT an expression (literal, @var, function call): "print it out".
        (("print",), r"[@'\"(\d-]|n'|\w+\s*\("),
        # GO is a batch separator alone on its line: "go ahead".
        (("go",), rf"{_STOP}|\d+{_END}"),
        # IF/WHILE a condition (a comparison, call, EXISTS, literal): "if you want", "while you wait".
        (
            ("if", "while"),
            rf"[(@'\"\d-]|(?:not\s+)?exists\b|{_SQLISH_NAME}|\w+\s*(?:[=<>!(]|(?:not\s+)?(?:like|in|is|between)\b)",
        ),
        # GOTO <label> ends the statement.
        (("goto",), rf"{_NAME}{_END}"),
    )
    for cmd in cmds
}
_COMMENT = re.compile(r"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/")  # C comment (unambiguous: linear)
_STACKED_PREFIX = re.compile(r"[1nsv]\)*;T")
# ``s&n`` reaches the SQLi list only by folding "<word> <operator> <word>" into one ``n``; the operator
# libinjection folds for a sentence is IS.
_IS_PROSE_RX = re.compile(r"\s+is\s+(?:not\s+)?([a-z]+)\b")


def _tokens(value: str, result: dict) -> list[tuple[str, str, int, int]]:
    """(type, lower-cased text, start, length) of each fingerprint token, as ``str`` offsets into
    ``value`` (libinjection's are UTF-8 byte offsets: ``佐藤: 'Delete'`` shifts them)."""
    out = []
    for t in result["token_vector"][: len(result["fingerprint"])]:
        start = prose.char_offset(value, t["pos"])
        end = prose.char_offset(value, t["pos"] + t["len"])
        out.append((chr(t["type"]), t["val"].decode("utf-8", "replace").lower(), start, end - start))
    return out


def _rest_is_clean(value: str, start: int, depth: int) -> bool:
    """The text after what a veto judged (``value[start:]``) is not SQLi on its own."""
    rest = value[start:].lstrip()
    if rest.startswith(";"):
        rest = "1" + rest  # a stacked statement: libinjection wants an operand before the ";"
    return not rest or not libinjection_sqli(rest, depth + 1)


def _prose_veto(value: str, result: dict, depth: int = 0) -> bool:
    """True when libinjection's "sqli" rests only on prose (see the comment block above)."""
    if depth >= _MAX_DEPTH:
        return False
    fingerprint: str = result["fingerprint"]
    if prose.is_search_syntax(value, fingerprint):
        return True  # (wool OR linen) AND NOT "dry clean": see prose.py
    if prose.is_email_address(value, fingerprint) or prose.is_arithmetic(value):
        return True  # john+or@var.es; sqrt(16) = 4
    block_end = prose.c_block_end(value, fingerprint)
    if block_end is not None:  # if (a && b || !c) { ... }
        return _rest_is_clean(value, block_end, depth)
    tokens = _tokens(value, result)
    masked = _mask_quoted_labels(value, tokens)
    if masked is not None:
        # 'Delete', 'Select all', '=' in quotes: SQL words only in libinjection's "began inside a
        # string" reading, where the quotes around a label become string ends. Read the value again
        # with the labels as plain words (a real SQL tail elsewhere still counts).
        return not libinjection_sqli(masked, depth + 1)
    if _STACKED_PREFIX.match(fingerprint):
        return _stacked_is_prose(value, tokens, fingerprint.index(";T") + 1, depth)
    if fingerprint.startswith("nT"):
        # "Please execute my order: ...", "please drop my referer": T-SQL runs a command after a
        # word without ";" too, so the command must be followed by what it needs in SQL (the same
        # grammar as after ";": EXEC xp_cmdshell, DROP TABLE t stay SQLi).
        return _stacked_is_prose(value, tokens, 1, depth)
    if fingerprint == "s&n" and tokens[1][1] in ("or", "and", "xor"):
        # "the Smiths' or Joneses is fine": folded <word> IS <word>; IS takes NULL/TRUE/FALSE/UNKNOWN.
        _, _, pos, length = tokens[2]
        match = _IS_PROSE_RX.match(value[pos + length : pos + length + _TAIL].lower())
        return (
            match is not None
            and match.group(1) not in ("null", "true", "false", "unknown", "distinct")
            and _rest_is_clean(value, pos + length + match.end(), depth)
        )
    chain_end = prose.word_chain_end(value, fingerprint, tokens)
    if chain_end is not None:  # about and then easy before fees ...
        return _rest_is_clean(value, chain_end, depth)
    with_end = prose.python_with_open_end(value, fingerprint, tokens)
    if with_end is not None:  # with open('data.csv') as fh: ...
        return _rest_is_clean(value, with_end, depth)
    if fingerprint.startswith("nk(") and tokens[1][1] == "values" and tokens[0][2] == 0:
        # "our values ('integrity', 'trust')": a value that *starts* with <word> VALUES ( is SQL only
        # as the table name of an INSERT, a place no application puts user input.
        last = tokens[-1]
        return tokens[0][1].isalpha() and _rest_is_clean(value, last[2] + last[3], depth)
    return False


def _mask_quoted_labels(value: str, tokens: list[tuple[str, str, int, int]]) -> str | None:
    """``value`` with each quoted label (a SQL word/operator token quoted on both sides and set
    apart like a word: ``click 'Delete' now``, ``the '=' sign``) replaced by x's, or None if none.
    A glued label (``1'='1``, ``admin'or'1``) is an injection and stays."""
    chars = None
    for kind, _, pos, length in tokens:
        end = pos + length
        if kind not in _LABEL_TYPES or length == 0 or pos < 1 or end >= len(value):
            continue
        quote = value[pos - 1]
        if quote not in _QUOTES or value[end] != quote or value[pos].isspace() or value[end - 1].isspace():
            continue
        if pos >= 2 and value[pos - 2] not in _LABEL_BEFORE:
            continue
        if end + 1 < len(value) and value[end + 1] not in _LABEL_AFTER:
            continue
        chars = chars or list(value)
        chars[pos:end] = ["x" if not c.isspace() else c for c in value[pos:end]]
    return None if chars is None else "".join(chars)


def _stacked_is_prose(value: str, tokens: list[tuple[str, str, int, int]], index: int, depth: int) -> bool:
    """``done; drop it off``: the command after ``;`` is not followed by what it needs in SQL. Every
    later ``;`` segment is judged as its own stacked statement (``done; call me; drop table t``)."""
    _, command, pos, length = tokens[index]
    grammar = _STACKED_GRAMMAR.get(" ".join(command.split()))
    if grammar is None:
        return False
    # libinjection folds "INSERT /*x*/INTO" into one token whose len is that of "INSERT INTO": the
    # command's arguments start at the next token when there is one.
    start = tokens[index + 1][2] if index + 1 < len(tokens) else pos + length
    tail = _COMMENT.sub(" ", value[start : start + _TAIL].lower()).lstrip()
    if grammar.match(tail):
        return False
    rest = value[start:]
    for _ in range(4):
        cut = rest.find(";")
        if cut < 0:
            return True
        rest = rest[cut + 1 :]
        if libinjection_sqli("1;" + rest, depth + 1):
            return False
    return False
