"""Shell injection recognised by its metacharacter structure, whatever the command (linux-posix).

``attacks_shell.py`` needs a known command word (``;cat /etc/passwd``); an attacker probing for
command injection often uses a program the list does not name (``;./x``, ``|frob -v``,
``$(tool arg)``, ``127.0.0.1;anything``). Here the *shape* decides: a separator followed by an
executable path, by a word with an option, redirection or background marker, a command
substitution glued into a word, a quote closed and a command chained to it, ``$IFS`` as a space.
What passes: prose separators with a space after them and a plain word (``done; see below``,
``Tom & Jerry``), markdown tables (``| /api | GET |``), jQuery (``$(document).ready``,
``$(this).hide()``), CSV with quoted cells (``"a";"b"``), markdown inline code in a sentence.
See ``ruleclass.py`` for the conventions every regex here follows.
"""

from __future__ import annotations

from ruleclass import I, RuleClass, alt_whitespace_all

# A command-shaped token: a word (letters first) or a path, as a shell would read it (a backslash
# or an empty quote pair inside it is removed by the shell: ec\\ho, c''at).
_TOK = r"[a-z_./~$](?:[\w./~${}-]|\\|''|\"\")*"
# The same with at least one letter: what a lone separator at a value's start must be followed by
# to be a command ("&|." ending a sentence is punctuation).
_WORD = r"[./~$]*[a-z_][\w./~${}-]*"
# The same with a letter, digit or variable in it ("./x", "~/bin/x", "id"; not "." or "..").
_WORD_TOK = r"(?:[a-z_$][\w./~${}-]*|[./~]+[\w$][\w./~${}-]*)"
# An executable by path: ./x, ~/x, $HOME/x, /tmp/x and the other system roots.
_EXE = r"(?:\./|~/|\$\{?[a-z_]+\}?/|/(?:tmp|var|dev/shm|opt|usr|bin|sbin|home|root|srv|mnt|run|etc)/)[\w./-]*"
# Where a value starts: the field start, after "=" / "&" (query, form), '"' (JSON, XML attribute).
# (Not after ":=": grammar notation defines a rule "name ::= | alternative", Pascal and Go assign.)
_VS = r"(?:^=?|[^:]=|[&\"]|\n\r?\n)[ \t]*"
# Where a value ends: the field end, a quote (JSON), a line break (a multipart part), "&".
_END = r"(?:\s*$|[\"'&\r\n])"
# The same, but an apostrophe inside a word ("I'm") does not end a command word.
_END_WORD = r"(?:\s*$|[\"&\r\n]|'(?:$|[^a-z]))"
# A separator that chains commands: ";", "&&", "||", "|" (single "&" is a parameter separator).
_CHAIN = r"(?:;|&&|\|\||\|)"
_SP = r"(?:[ \t]+|\$\{?ifs\}?)"
# A short or long option after a command word (-a, -la, --flag), then an argument shape or the end.
_OPT = _SP + r"-{1,2}[a-z][\w-]*(?:[ \t]|$|=|[;|&<>\"'\r\n])"

_SHELL_STRUCTURE = (
    # $IFS / ${IFS} / ${IFS%??}: the shell's field separator written instead of a space.
    I + r"\$\{\s*ifs\s*(?:[%#:][^}]*)?\}|\$ifs(?:\$\d|[^a-z0-9_]|$)",
    # Command substitution reading a file ($(<flag.txt), `<flag.txt`), glued into a word
    # (x$(tool), 127.0.0.1$(tool)), after a separator and closed without a jQuery "." or ";"
    # after it (x;$(tool) — $(this).hide() and $(el); pass), or with arguments inside.
    I + r"\$\(\s*<|`<\s*[\w./~-]+\s*`",
    I + r"[a-z0-9_.\]]\$\(\s*[a-z_./~][\w./-]*(?:\s+[^)]*)?\)(?:[^.;,\w]|$)",
    I + r"(?:" + _CHAIN + r"|&|" + _VS + r")\s*\$\(\s*[a-z_./~][\w./-]*(?:\s+[^)]*)?\)(?:[^.;,\w]|$)",
    I + r"\$\(\s*[a-z_./~][\w./-]*[ \t]+(?:-{1,2}[a-z]|[\w.-]+\s*\))",
    # Backticks glued to a word or a separator (foo`tool`, 8.8.8.8`tool`, ;`tool`), or a whole
    # value that is one backticked command. Markdown's inline code sits between spaces, or starts
    # a value ("`npm install` then `npm test`").
    I + r"[a-z0-9_.;|&\]]`[a-z_./~][\w./-]*(?:[ \t]+[^`]*)?`(?:$|[\s;|&\"'<>)])",
    I + r"(?:^|[=&\"]|\n\r?\n)`[a-z_./~][\w./-]*(?:[ \t]+[^`]*)?`\s*(?:$|[;|&\"\r\n])",
    # A separator then an executable by path (;./exploit, && /tmp/payload, ;$HOME/bin/x).
    I + r"(?:;|&&|\|\|)\s*" + _EXE + r"|(?:^|[=&\"\w]|\n\r?\n)\|\s*" + _EXE + r"(?:\s+-|" + _END + r"|\s*[;&<>])",
    # A separator then any word with an option: "&& tool -x", "||tool -z", ";tool --flag", a
    # value starting "| tool -a" or "; tool -a", "& tool -d /var" (a space after a lone "&" is no
    # parameter separator). After "; " with a space (prose), only with a path or the end after
    # the option ("Tip; use -v for more" passes).
    I + r"(?:&&|\|\|)[ \t]*" + _TOK + r"(?:" + _OPT + r"|[ \t]+(?:/|~/|\./)[\w./-]*)" + r"|;" + _TOK + _OPT + r"|(?:^|[\w\"'])\|" + _TOK + _OPT,
    I + _VS + r"(?:;|&&)\s*" + _WORD + r"(?:" + _OPT + r"|" + _END + r"|\s*[<>])",
    I + _VS + r"\|[ \t]*" + _WORD_TOK + r"(?:" + _SP + r"-{1,2}[a-z][\w-]*(?:[ \t]+[/~.$]|" + _END + r")|" + _END_WORD + r"|\s*[<>])",
    I + r"(?:;|&)[ \t]+" + _TOK + _SP + r"-{1,2}[a-z][\w-]*(?:[ \t]+[/~.$]|" + _END + r")",
    # A separator, a word and a redirection to a path or descriptor (; tool > /tmp/x, |tool>/tmp/o,
    # ;tool 2>&1), or a comment ending the injected command (;tool #).
    I + _CHAIN + r"\s*" + _TOK + r"(?:[ \t]+[^;&|<>\r\n]{0,40})?[ \t]*(?:>>?|[12]>|&>)\s*(?:/|&\d)",
    # The same after a lone "&" and a space (no parameter separator has a space after it):
    # "& echo x > /var/www/html/s.php", "& e''cho x >> /tmp/y".
    I + r"&[ \t]+" + _TOK + r"(?:[ \t]+[^;&|<>\r\n]{0,40})?[ \t]*(?:>>?|[12]>|&>)[ \t]*(?:/|&\d)",
    # (A "#" glued to the word is part of it, no comment: "…;Test;C#", "|F#" are language names.)
    I + r"(?:;|&&|\|\|)\s*" + _TOK + r"[ \t]+#" + _END,
    # A value that starts by redirecting output into a system directory (">/tmp/x", ">> /var/x").
    I + _VS + r">{1,2}\s*/(?:tmp|var|dev|etc|home|root|usr|opt|srv)/",
    # An address (IPv4, or a host with an option after the command) chained to a command: the
    # "ping this host" parameter (127.0.0.1;x, 127.0.0.1 && x, host.example;x -n 1).
    # After ";" a "name=" is a parameter (Forwarded: for=192.0.2.60;proto=http), not a command.
    I + _VS + r"\d{1,3}(?:\.\d{1,3}){3}\s*(?:;\s*[a-z_./~$`][\w./-]*(?:[^\w./=-]|$)|(?:\||&&|[\r\n]|`|\$\()\s*[a-z_./~$`])",
    I + _VS + r"[a-z0-9-]+(?:\.[a-z0-9-]+)+\s*(?:;|\||&&)\s*" + _TOK + _OPT,
    # A quote closed, a command chained, and the next separator or quote: ';tool;' ";tool;".
    I + r"['\"](?:;|\|\|?|&&)" + _TOK + r"(?:[ \t]+-{1,2}[a-z][\w-]*)*(?:;|\|\|?|&&|['\"#]|" + _END + r")",
    # Command chains glued on both sides: a&&tool&&b, x||tool||.
    I + r"[\w'\"](?:&&|\|\|)" + _TOK + r"(?:[ \t]+-{1,2}[a-z][\w-]*)*(?:&&|\|\|)",
    # A separator then a brace group or brace expansion as the command ({tool,-a}).
    I + r"(?:;|&&|\|\||\|)\s*\{\s*" + _TOK + r"\s*,",
)

# A line break then a word with an option: in a query, a header or a cookie no text area sends
# line breaks; in a body "Line\nUse --force to override" is prose, so bodies are left out.
_SHELL_LINE = (
    I + r"(?:^|[=&\"\w.])[\r\n]+[ \t]*" + _TOK + _OPT,
)

CLASSES: tuple[RuleClass, ...] = (
    RuleClass("linux-posix", "UNIXShellStructure", alt_whitespace_all(_SHELL_STRUCTURE), placements=("URIPATH", "QUERYARGUMENTS", "BODY", "HEADER"), chains=("DEC", "B64")),
    RuleClass("linux-posix", "UNIXShellStructureLine", alt_whitespace_all(_SHELL_LINE), placements=("QUERYARGUMENTS", "HEADER"), chains=("DEC", "B64")),
)
