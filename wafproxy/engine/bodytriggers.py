"""The prefilter of streamed body inspection: cheap patterns that every attack the managed groups
catch in a body also hits.

``bodystream`` scans the part of a request body past the inspection limit. Running the managed
groups' own scans over every window costs ~35 ms per MB (their regexes and six-step transformation
chains, libinjection behind them), seven times the issue's budget (5 ms per MB). So each block of
the body is first scanned here: one multi-pattern set of short, simple patterns (hyperscan or RE2,
linear time), and only a block that hits, with context either side, goes to the managed groups.

The triggers are deliberately wide (a false trigger only costs a confirming evaluation; a missed
one is a missed attack), and they see the *raw* bytes, so each encoding the rules decode has its
own triggers: percent-encoded metacharacters (``%3c``, ``%27``, double ``%25``, ``%u``), HTML
entities, ``\\u``/``\\x`` escapes, and the base64 of high-signal markers (each of its three
alignments: ``base64_decode_embedded`` views). tests/engine/test_bodytriggers.py checks the
recall against the managed groups themselves: every corpus payload the groups block as a body
must hit a trigger.

``UPLOAD``: the subset used for multipart bodies past the limit (file parts): markers of server
scripts, web shells and active content in SVG/HTML uploads. The other classes (SQL, shell words,
NoSQL …) are skipped there by policy: binary and text files are full of them, and an uploaded
file is data the application stores, not a query it runs (docs/managed-rules.md).
"""

from __future__ import annotations

import base64

from wafproxy.engine.matchers import Pattern, PatternSet

# Markers searched for in base64 (an attacker wrapping a payload, the rules' base64 views).
_B64_MARKERS = (b"<script", b"<?php", b"<svg", b"javascript:", b"onerror=", b"onload=", b"union select",
                b"/etc/passwd", b"${jndi:", b"eval(", b"system(", b"/bin/sh", b"' or ", b"<!entity")

_ENCODED = (
    r"%(?:25|u00|00|0a|0d|2[2-9f]|3[b-f]|5[bcde]|60|7[b-e])",  # %-encoded metacharacters, double
    r"&#|&(?:lt|gt|quot|apos|amp|colon|lpar|rpar|sol|bsol|tab|newline|grave);?",  # HTML entities
    r"\\(?:u[0-9a-f]{2}|x[0-9a-f]{2}|[0-7]{3})",  # JSON / JS / C escapes
    r"\+ad[w4]-|\+ac[icj]-",  # UTF-7 ("+ADw-" is "<")
)
_MARKUP = (
    r"<[a-z!?/%]",
    r"on[a-z]{3,}\s*=",
    r"(?:java|vb|live)script|expression\s*\(|srcdoc|data\s*:\s*[a-z]+/|formaction|xlink",
    r"\{\{|\{%|\$\{|#\{|<%|%>|%\{|\*\{|\$\$",  # templates, EL, JNDI
)
_SQL = (
    r"(?:^|[^a-z])'|'(?:$|[^a-z])|`|\x22\s*(?:or|and|xor|\||&|;|\))",
    r"--|/\*|\*/|;",
    r"\b(?:union|select|sleep|benchmark|waitfor|having|insert|delete|drop|exec|execute|declare|shutdown|"
    r"truncate|load_file|outfile|dumpfile|information_schema|pg_sleep|xp_\w+|sp_\w+|sysobjects|"
    r"dbms_\w+|utl_\w+|extractvalue|updatexml)\b",
    r"\b(?:or|and|xor|div)\s*\(*\s*[\d@!~'\x22`(-]|[\d'\x22`)]\s*\)*\s*(?:or|and|xor)\b|"
    r"\b(?:or|and|xor)\s+(?:not|true|false|null|\w+\s*(?:[=<>!]|like|is|in|between|regexp|rlike)\b)",
    r"\|\||&&|[=<>!]=|<>|<=>",
)
_SHELL = (
    r"[|`]|\$\(|\$\{|\$[a-z_]{2,}|%[a-z_]{2,}%|\^",
    r"[\r\n]\s*[a-z-]{2,}\s*:|[\r\n]\s*(?:http/|get |post )",
    r"\.\.[/\\]|\.\.%|/(?:bin|usr|etc|dev|proc|tmp|var|home|root|sbin|opt|boot|lib|sys|run|srv|mnt)\b",
    r"[a-z]:\\|\\\\|\\(?:windows|system32|users|temp|winnt|boot)\b",
    r"\b(?:wget|curl|nc|ncat|netcat|socat|bash|sh|zsh|ksh|csh|dash|python[0-9.]*|perl|ruby|php|nmap|"
    r"chmod|chown|powershell|pwsh|cmd|certutil|bitsadmin|wmic|cscript|wscript|mshta|rundll32|regsvr32|"
    r"whoami|uname|nslookup|ifconfig|ipconfig|netstat|crontab|sudo|base64|xxd|nohup|telnet|tftp|"
    r"busybox|msfvenom|mkfifo|systeminfo|tasklist|taskkill|icacls|schtasks|vssadmin|"
    r"passthru|popen|proc_open|shell_exec|phpinfo|base64_decode|gzinflate|str_rot13|create_function|"
    r"call_user_func\w*|preg_replace|file_get_contents|file_put_contents|fsockopen|pcntl_exec|"
    r"getruntime|processbuilder|classloader|jndi|scriptengine)\b",
    r"\b[a-z]+\s+-{1,2}[a-z]",
    r"://|\b(?:localhost|metadata|169\.254|127\.0|0x7f|2130706433|0177|\[::)",
    r"\b(?:eval|exec|system|assert|include|require|include_once|require_once|import|open|spawn|"
    r"fromcharcode|alert|prompt|confirm)\s*[(\x22'`]",
)
_STRUCTURED = (
    r"\$[a-z]{2,}|\[\s*\$",
    r"\(\s*[|&!]|\*\s*\)|\)\s*\(|\\[0-9a-f]{2}",  # LDAP filters
    r"\bsystem\s*[\x22']|\bpublic\s*[\x22']",
    r"\bro0ab|aced0005|\bo:\d+:\x22|\ba:\d+:\{|__proto__|constructor|prototype|process\.|"
    r"child_process|java\.|javax\.|org\.apache|!!|__import__|__class__|__globals__|__builtins__|"
    r"__subclasses__|__init__|__mro__|objectinputstream|typenamehandling|\$type|@type",
    r"jsessionid|phpsessid|aspsessionid|sessionid|\bsid\b",
    r"transfer-encoding|content-length|http/\d",
)
_UPLOAD = (
    r"<\?(?:php|=)?|<%|%>|<script|<svg|<html|<body|<iframe|<object|<embed|<img|<a\b|<math|<xsl|"
    r"<!entity|<!doctype|on[a-z]{3,}\s*=|(?:java|vb)script\s*:|runat\s*=|eval\s*\(|assert\s*\(|"
    r"system\s*\(|passthru|shell_exec|proc_open|popen\s*\(|base64_decode|gzinflate|str_rot13|"
    r"create_function|preg_replace|\$_(?:get|post|request|cookie|server|files)|"
    r"getruntime|processbuilder|cmd\.exe|/bin/(?:ba)?sh|#!/|filename\s*=|\.(?:php\d?|phtml|phar|jsp|"
    r"jspx|asp|aspx|ashx|asmx|cer|cgi|pl|py|sh|htaccess|shtml|svg|html?|xhtml|xml)\b",
)


def _base64_triggers(markers: tuple[bytes, ...]) -> tuple[str, ...]:
    """The stable middle of each marker's base64, for each of the three alignments it can have."""
    out: set[str] = set()
    for marker in markers:
        for pad in range(3):
            encoded = base64.b64encode(b"\0" * pad + marker).decode()
            # Whole 3-byte groups of the marker only: the first group holds the padding when
            # there is one, the last is partial unless the length is a multiple of three.
            stable = encoded[4 if pad else 0:len(encoded) - (4 if (pad + len(marker)) % 3 else 0)]
            for text in (stable, stable.replace("+", "-").replace("/", "_")):
                if len(text) >= 6:
                    out.add("".join("\\" + c if not c.isalnum() else c for c in text))
    return tuple(sorted(out))


GENERAL = (*_ENCODED, *_MARKUP, *_SQL, *_SHELL, *_STRUCTURED)
UPLOAD = (*_ENCODED[:2], *_UPLOAD)
BASE64 = _base64_triggers(_B64_MARKERS)


def trigger_set(upload: bool) -> PatternSet:
    """One caseless set of the triggers (general, or the multipart upload policy's)."""
    texts = (UPLOAD if upload else GENERAL) + BASE64
    # Base64 is case-sensitive; caseless keeps the set to one database and only widens it.
    return PatternSet.build([Pattern(i, "regex", text, caseless=True) for i, text in enumerate(texts)])
