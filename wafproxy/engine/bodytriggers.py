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
                b"/etc/passwd", b"${jndi:", b"eval(", b"system(", b"/bin/sh", b"' or ", b"<!entity",
                b"processbuilder", b"invokertransformer", b"getruntime", b"whileclosure", b"forclosure",
                b"instantiatetransformer", b"chainedtransformer", b"templatesimpl", b"transformer",
                b"factory", b"closure", b"serialization", b"prototype")

# Literals, matched caseless anywhere (one literal automaton: the cheap part of the scan). Words
# are not bounded by \b: "selection" triggers "select", which costs one confirmation only.
_LITERALS = """
%25 %u0 %00 %0a %0d %22 %23 %24 %26 %27 %28 %29 %2a %2f %3a %3b %3c %3d %3e %3f %5b %5c %5d %5e %60
%7b %7c %7d %7e &# &lt &gt &quot &apos &amp; &colon &lpar &rpar &sol &bsol &tab &newline &grave
\\u000 \\u001 \\u002 \\u003 \\u004 \\u005 \\u006 \\u007 \\uff \\ufe \\u{ \\x0 \\x1 \\x2 \\x3 \\x4 \\x5
\\x6 \\x7 +adw- +ad4- +aci- +acc-
javascript vbscript livescript expression( srcdoc formaction xlink data:text data:image data:app
{{ {% ${ #{ <% %> %{ *{ $$ [[ ]]
-- /* */ ; ` || && == != <> <=> @@
union select sleep benchmark waitfor having insert delete drop exec declare shutdown truncate
load_file outfile dumpfile information_schema pg_sleep xp_ sp_ sysobjects msysobjects dbms_ utl_
extractvalue updatexml current_ version() database() user() char( chr( concat( substr ascii( hex(
$( | ^ ../ ..\\ ..; ..% /etc /bin /usr /dev /proc /tmp /var /home /root /sbin /opt /boot /lib /sys
/run /srv /mnt /.docker /.ssh /.aws /.git /.env c:\\ \\\\ \\windows \\system32 \\users \\temp \\winnt
wget curl ncat netcat socat bash zsh python perl ruby php nmap chmod chown chgrp chattr powershell pwsh
certutil bitsadmin wmic cscript wscript mshta rundll32 regsvr32 whoami uname nslookup ifconfig ipconfig
netstat crontab sudo visudo base64 xxd hexdump nohup telnet tftp busybox msfvenom mkfifo mknod systeminfo
tasklist taskkill icacls schtasks vssadmin useradd usermod passwd shadow ansible chef- puppet salt-
errorlevel comspec cmd.exe command.com iex( invoke- downloadstring downloadfile
passthru popen proc_open shell_exec phpinfo gzinflate str_rot13 create_function call_user_func
preg_replace file_get_contents file_put_contents fsockopen pcntl_exec unserialize serialize
assert( eval( exec( system( include( require( import( open( spawn( alert( prompt( confirm(
fromcharcode while( settimeout setinterval function( constructor prototype __proto__ process.
child_process require( java. javax. org.apache getruntime processbuilder classloader scriptengine
jndi: ldap: rmi: dns: iiop: corba: nis: nds: ro0ab aced0005 !! __import__ __class__ __globals__
__builtins__ __subclasses__ __init__ __mro__ objectinputstream typenamehandling $type @type
localhost localtest metadata 169.254 127.0.0. 0x7f 0177.0 2130706433 [:: file: gopher: dict: phar:
expect: glob: zlib: ogg: jar: netdoc: ftp:// sftp:// smb:// ssh:// ldaps:// zip:// rar:// php:// jdbc:
url: local_file: compress. mysql:// redis:// mongodb:// postgres:// _path= basedir root_dir include_path
_conf mosconfig ?&
objectclass (| (& (! *) )( \\2a \\28 \\29 \\00
session jsessionid phpsessid aspsessionid sessionid sid=
transfer-encoding content-length content-type http/ bcc: cc: to: from: subject:
x-mailer rcpt helo ehlo
$ne $eq $gt $gte $lt $lte $in $nin $regex $where $exists $expr $or $and $not $nor $elemmatch
$function $accumulator $lookup [$
__js rO0 aced yv66vg xKztAA AACs7QAF ch.qos logback web.config cscli bsdtar ~+ ~- !- 4294967296
2.225073858507201 window. document. location 0x2f 0x2e 0x5c transformer factory closure runtime
corba serializ jrmp openrowset opendatasource posix_ sodium_ _url_ _dir= extension lvh.me nip.io xip.io
.internal http? https? ftp? binding vml +[] []+ \\r\\n $[ {, $c net+user exist
<!doctype <!entity <![cdata
!entity %21entity schema_name setsid ~%2b %21- %c2%bc like+null like%20null regexp+null regexp%20null
""".split()

# Combinations spelled out as literals: a regex over such short words costs ~1.5 ms per MB alone.
_COMMANDS = ("nc", "sh", "cmd", "ls", "cat", "id", "ps", "rm", "cp", "mv", "dir", "type", "net", "reg",
             "echo", "ping", "kill", "find", "env", "set")
_SHORT_COMMANDS = [f"{word}{space}{arg}" for word in _COMMANDS for space in (" ", "+", "\t")
                   for arg in "-/$.~\\%0123456789"]
_BOOLEANS = [*(f"{op}{space}{arg}" for op in ("or", "and", "xor", "not") for space in (" ", "+")
               for arg in "0123456789(@'\"!~-"),
             *(f"{arg}{space}{op}" for arg in "0123456789'\")" for space in ("", " ", "+")
               for op in ("or", "and", "xor") if space or arg != '"')]  # '"and': a JSON string
_TAUTOLOGIES = [f"{a}{space}{op}{space}{b}" for a in "0123456789" for b in "0123456789" for op in "=<>"
                for space in ("", " ", "+") if space == "" or a == b]
# SQL keywords nested in themselves, so that a filter deleting the keyword once rejoins it
# ("frfromom", "selselectect"), and digit-dot-e probes of a catalog ("1.e.tables").
_NESTED_KEYWORDS = [word[:cut] + word for word in ("union", "select", "insert", "update", "delete", "drop",
                                                   "from", "where", "having", "concat")
                    for cut in range(1, len(word))]
_DIGIT_E = [f"{d}.e." for d in "0123456789"]
_MAIL_COMMANDS = [f" {word} " for word in ("login", "select", "examine", "fetch", "store", "uid", "logout",
                                           "authenticate", "capability", "rcpt", "vrfy", "expn")]

# The few regexes (each costs more than all the literals together).
_REGEXES = (
    r"<[a-z!?/%]",
    r"[a-z0-9_]\(",  # a function call
    r"on[a-z]{3,}\s*=",
    # A quote beside a non-letter (not "don't"). No ^/$: a block or piece edge cutting "it's"
    # before its quote would flag it; the body's real end is checked by ``BodyStream.finish``.
    r"[^a-z]'|'[^a-z]",
    r"[\r\n]\s*[a-z-]{2,}\s*:",
    r"\s-{1,2}[a-z]",
    r"\bo:\d+:\x22|\ba:\d+:\{",
    r"\b(?:system|public)\s*[\x22']",  # XML external entities
    # URLs (every JSON API and web page is full of https://…): those the rules look at only. A
    # query cut off (RFI), a numeric or IPv6 host (SSRF, RFI), user@host; other schemes: literals.
    # Bounded, as every trigger is, to fit in the 64 bytes a scan overlaps the previous block
    # (block edges are at fixed offsets: an attacker can straddle one): a long URL ending in
    # "?" is seen by its last path segment, or as a form value ending in "?" ("?&").
    r"://[^\s\x22'<>?]{0,48}\?[\s\x22'&<>]",
    r"[/.][^\s\x22'<>/?]{0,48}\?[\s\x22'&<>]",
    r"://[\[\d\x1a%\\]",  # \x1a: any non-ASCII byte (``Triggers.hits``): "①②⑦", \u2460 digits
    r"://[^/\s\x22'?#@<>]{0,48}@",
)
_UPLOAD_LITERALS = """
<? <% %> <script <svg <html <body <iframe <object <embed <img <a <math <xsl <!entity <!doctype
javascript: vbscript: runat= eval( assert( system( passthru shell_exec proc_open popen( base64_decode
gzinflate str_rot13 create_function preg_replace $_get $_post $_request $_cookie $_server $_files
getruntime processbuilder cmd.exe /bin/sh /bin/bash #!/ filename= .php .phtml .phar .jsp .asp .cer
.cgi .htaccess .shtml .svg .htm .xhtml
""".split()
_UPLOAD_REGEXES = (r"on[a-z]{3,}\s*=",)


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


def _literal(text: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "\\" + c if c not in " " else c for c in text)


_ALL_LITERALS = (*_LITERALS, *_SHORT_COMMANDS, *_BOOLEANS, *_TAUTOLOGIES, *_MAIL_COMMANDS, *_NESTED_KEYWORDS,
                 *_DIGIT_E)
GENERAL = (*(_literal(w) for w in _ALL_LITERALS), *_REGEXES)
UPLOAD = (*(_literal(w) for w in _UPLOAD_LITERALS), *_UPLOAD_REGEXES)
BASE64 = _base64_triggers(_B64_MARKERS)


# Every byte outside ASCII becomes SUB (0x1a): no trigger holds either, and to the triggers' regexes
# both are a non-letter, non-space, non-word byte alike.
_TO_ASCII = bytes(range(128)) + b"\x1a" * 128


class Triggers:
    """One caseless set of the triggers, scanning raw body bytes.

    The triggers are ASCII, so a block is scanned as ASCII (non-ASCII bytes substituted): one
    byte-mode scan. Handed a non-ASCII ``str``, ``PatternSet.scan`` runs both of its databases
    and converts the text twice, which made a block of European prose cost 4× a block of JSON."""

    __slots__ = ("patterns",)

    def __init__(self, patterns: PatternSet) -> None:
        self.patterns = patterns

    def hits(self, data: bytes) -> frozenset[int]:
        """Ids of the triggers found in ``data`` (empty: nothing for the rules to confirm)."""
        if not data.isascii():
            data = data.translate(_TO_ASCII)
        return self.patterns.scan(data.decode("ascii"))


def trigger_set(upload: bool) -> Triggers:
    """The triggers (general, or the multipart upload policy's)."""
    texts = (UPLOAD if upload else GENERAL) + BASE64
    # Base64 is case-sensitive; caseless keeps the set to one database and only widens it.
    return Triggers(PatternSet.build([Pattern(i, "regex", text, caseless=True)
                                      for i, text in enumerate(texts)]))
