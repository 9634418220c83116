"""Protocol classes over argument and header *values as sent*: what a decoder would hide.

Part of the protocol group (``attacks_protocol.CLASSES`` appends these). Every check reads the
bytes as the client sent them (the ``RAW`` chain): a percent-encoded CR, NUL or control byte, an
escaped ASCII letter and a percent-encoded method name are the signal, and decoding first would
erase it. Each class names the CRS rule it answers and the real traffic it must let through; the
trade-offs are in ``docs/managed-rules.md``.
"""

from __future__ import annotations

from typing import Any

from ruleclass import SKIPPED_HEADERS, I, RuleClass, all_of, any_of, header, method_is, not_one_of, regex

# Every header value but the fixed-grammar browser headers, Cookie and Referer included: the
# field the payload classes scan (``generate._ALL_HEADERS``), so one extraction serves both.
HEADER_VALUES: dict[str, Any] = {
    "Headers": {"MatchPattern": {"ExcludedHeaders": SKIPPED_HEADERS}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}
}
QUERY: dict[str, Any] = {"QueryString": {}}
BODY: dict[str, Any] = {"Body": {"OversizeHandling": "CONTINUE"}}
_FORM = regex(header("content-type"), I + r"^\s*application/x-www-form-urlencoded\s*(?:;|$)")
_MULTIPART_FORM = regex(header("content-type"), I + r"^\s*multipart/form-data\s*;")
_PCT = r"%(?:25)*"  # a percent sign, possibly itself percent-encoded (double encoding)

# Header injection (CRS 921140) and bytes no header value carries (CRS 920270/920271): an encoded
# CR or LF followed by `Name:` (`Headerdata%0dInjected: x`: code that decodes a header and writes
# it back into a response or an upstream request splits it into two headers), an encoded NUL, and
# an encoded control byte other than tab, CR, LF, VT and FF. llhttp already refuses the raw bytes
# (400); these are their percent-encoded forms. A browser encodes `:` in every query value it
# builds (`%3A`), so a Referer whose page carried a multi-line GET value passes; so do cookies
# holding URL-encoded JSON or base64.
_HEADER_INJECTION = regex(
    HEADER_VALUES,
    I + _PCT + r"0[ad](?:" + _PCT + r"0[ad])*[ \t]*[a-z0-9_-]+[ \t]*:|" + _PCT + r"00|%(?:0[1-8ef]|1[0-9a-f]|7f)",
)

# A Unicode escape of an ASCII letter or digit in a query or form argument (CRS 920540):
# `\u0061lert` is `alert` to a backend that unescapes (JSON-in-a-field, Java properties, some
# template engines) and `\u0061lert` to the WAF. No encoder writes ASCII letters as escapes
# (JSON encoders escape quotes, controls, `<>&` and non-ASCII: `\u00e9`, `\u003c` pass). Not in
# JSON bodies, where the JSON view already unescapes every string.
_ESCAPED = I + r"(?:\\|" + _PCT + r"5c)u00(?:[46][1-9a-f]|[57][0-9a]|3[0-9])"
_ESCAPED_ASCII = any_of(regex(QUERY, _ESCAPED), all_of(regex(BODY, _ESCAPED), _FORM))

# HTTP method override (CRS 920650). Rails, Laravel, Symfony and Express's method-override turn a
# POST carrying `_method=PUT|PATCH|DELETE` (a hidden form field, or the form action's query) into
# that method, and only a POST: real forms send exactly those three (Rails writes them in lower
# case). Blocked: an override to anything else (`TRACE`, `CONNECT`, `HEAD`, `GET` — Symfony 7.4
# refuses GET/HEAD/CONNECT/TRACE overrides, they poison caches — WebDAV verbs, garbage), a value
# with percent-encoded letters (`%44%45%4C%45%54%45`: no form encodes letters), and `_method` on
# a GET or HEAD (`GET /transfer?amount=1000&_method=POST`: a link that turns into a state change,
# CSRF through a framework's override).
OVERRIDES = ("put", "patch", "delete", "post")
_OVERRIDE_NAME = r"(?:^|&)(?:_|%5f)method="
_BAD_OVERRIDE = I + _OVERRIDE_NAME + not_one_of(OVERRIDES, stop=r"&#\s") + r"(?:&|$)"
_BAD_PART_OVERRIDE = (
    I + r"\bname\s*=\s*\"?_method\"?[^\r\n]*\r?\n(?:[a-z][a-z0-9-]*[ \t]*:[^\r\n]*\r?\n){0,4}\r?\n[ \t]*"
    + not_one_of(OVERRIDES) + r"[ \t]*\r?\n"
)
_METHOD_OVERRIDE = any_of(
    regex(QUERY, _BAD_OVERRIDE),
    all_of(regex(QUERY, I + _OVERRIDE_NAME), method_is("GET", "HEAD")),
    all_of(regex(BODY, _BAD_OVERRIDE), _FORM),
    all_of(regex(BODY, _BAD_PART_OVERRIDE), _MULTIPART_FORM),
)

# A line injected through a query value (CRS 921151): an encoded CR or LF followed by `name:` or
# `name=` written raw. Browsers, `encodeURIComponent`, `URLSearchParams` and every HTTP library
# encode `:` and `=` inside a value, so the raw separator after a line break is written by hand:
# a header or a parameter for code that copies the value into a header, a log line or a
# line-based protocol. A multi-line text value (`line1%0D%0Anote%3A+x`) passes.
_ARG_LINE_INJECTION = regex(QUERY, I + _PCT + r"0[ad](?:" + _PCT + r"0[ad])*[a-z0-9_-]+[:=]")

# A PHP-style array name with characters after a closing bracket (CRS 921210): `foo[1]a` is
# `foo[1]` to PHP (it drops what follows `]`), so two differently named arguments become one
# (parameter pollution past a WAF that keys on names). Encoders write `a[b][c]` (jQuery, qs,
# Rails) and `items[0].name` (ASP.NET MVC, Spring): a `[` or `.` after `]` passes.
_ARRAY_NAME = I + r"(?:^|&)[^=&\s+]*(?:\]|%5d)[a-z0-9_][^=&\s+]*(?:=|&|$)"
_ARRAY_NAME_TRAILER = any_of(regex(QUERY, _ARRAY_NAME), all_of(regex(BODY, _ARRAY_NAME), _FORM))

# An argument *name* that starts with a shell separator (or holds "||" / "&&") and then a command
# word ("?;id=1", "?| whoami=1", "?x||id=1", "?%26%26 ver="): code that builds a command line
# from every argument, names included, runs it; no form or client names a field that way. As
# sent, where "&" and "=" still delimit names ("a=1;id=2", the legacy ";" separator, has "="
# before its ";" and passes; so does a value "q=%7C+cat").
_NAME_WS = r"(?:\+|" + _PCT + r"(?:20|09))*"
_NAME_SEP = r"(?:[;|`]|" + _PCT + r"(?:3b|7c|60|26))"
_NAME_DOUBLE = r"(?:\|\||" + _PCT + r"7c" + _PCT + r"7c|" + _PCT + r"26" + _PCT + r"26)"
_NAME_COMMANDS = (
    "id|whoami|uname|ls|cat|pwd|env|printenv|ifconfig|netstat|ping|curl|wget|nc|ncat|bash|sh|sleep|echo"
    "|ver|set|hostname|ipconfig|tasklist|systeminfo|dir|type|net|cmd|powershell"
)
_COMMAND_NAME = (
    I + r"(?:^|&)(?:" + _NAME_SEP + r"{1,2}|[^=&]*" + _NAME_DOUBLE + r")" + _NAME_WS
    + r"(?:" + _NAME_COMMANDS + r")(?:" + _NAME_WS + r"(?:`|" + _PCT + r"60)?(?:=|&|$)|(?:\+|" + _PCT + r"20)+[^=&]*=)"
)
_ARGUMENT_NAME_COMMAND = any_of(regex(QUERY, _COMMAND_NAME), all_of(regex(BODY, _COMMAND_NAME), _FORM))

# A lookup (``${jndi:…}``, ``${env:X}``) in a fixed-grammar browser header (CRS 932/944 read every
# header): the payload scans skip these headers (``SKIPPED_HEADERS``: Accept, Accept-Language,
# Cache-Control, DNT, TE…), but Java services log them like any other, and Log4Shell scanners spray
# every header. No value of their grammars has ``${``, so one small scan of those values suffices.
_BROWSER_HEADERS: dict[str, Any] = {
    "Headers": {"MatchPattern": {"IncludedHeaders": SKIPPED_HEADERS}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}
}
_BROWSER_HEADER_LOOKUP = regex(_BROWSER_HEADERS, r"\$\{")

# A NUL in a body argument (CRS 920270, which reads every argument): ``%00`` (or IIS's ``%u0000``)
# in a form, ``\u0000`` in a JSON string. It truncates the value for C-backed code (an LDAP filter closed and cut,
# ``*))%00``; a file name cut before its extension), as the query's InvalidEncoding already says.
# No form encoder writes it and no JSON text carries it (binary goes as base64). Multipart
# parts are left alone: file bytes hold NULs.
_JSON = regex(header("content-type"), I + r"^\s*application/(?:[\w.+-]+\+)?json\s*(?:;|$)")
_NUL_IN_BODY = any_of(
    all_of(regex(BODY, I + _PCT + r"(?:00|u0000)"), _FORM),
    all_of(regex(BODY, r"\\u0000"), _JSON),
)

CLASSES: tuple[RuleClass, ...] = (
    RuleClass("protocol", "HeaderInjection", placements=("HEADER",), statement=_HEADER_INJECTION),
    RuleClass("protocol", "EscapedAscii", placements=("QUERYARGUMENTS",), statement=_ESCAPED_ASCII),
    RuleClass("protocol", "MethodOverride", placements=("QUERYARGUMENTS",), statement=_METHOD_OVERRIDE),
    RuleClass("protocol", "ArgumentLineInjection", placements=("QUERYARGUMENTS",), statement=_ARG_LINE_INJECTION),
    RuleClass("protocol", "ArrayNameTrailer", placements=("QUERYARGUMENTS",), statement=_ARRAY_NAME_TRAILER),
    RuleClass("protocol", "ArgumentNameCommand", placements=("QUERYARGUMENTS",), statement=_ARGUMENT_NAME_COMMAND),
    RuleClass("protocol", "NulInArgument", placements=("BODY",), statement=_NUL_IN_BODY),
    RuleClass("protocol", "BrowserHeaderLookup", placements=("HEADER",), statement=_BROWSER_HEADER_LOOKUP),
)
