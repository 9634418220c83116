"""CMD_LINE: undo the formatting tricks used to hide an injected OS command.

AWS documents exactly these steps, applied here in this order:
delete ``\\ " ' ^``; replace ``,`` and ``;`` with a space; replace runs of spaces with one space;
delete a space before ``/`` or ``(``; convert A-Z to a-z.
(Only the space, decimal 32, counts: AWS lists no other whitespace for CMD_LINE.)

Speed: every step acts on ASCII characters only, so it runs on the value's bytes
(``_bytes.ascii_steps_bytes``: Latin-1 or UTF-8; in either no byte of a non-ASCII character is
below 0x80, so no ASCII step can touch one). The deletions, the ``,`` ``;`` replacement and the
lowercasing are one ``bytes.translate`` (C): lowercasing commutes with the other steps, which
never look at letters. ``str.translate`` with a dict cost ~80 ns per character (a 2 KB body:
~170 µs). ``tests/engine/test_fast_transforms.py`` compares this with the step-by-step definition
on arbitrary text.

CMD_LINE_WIN / CMD_LINE_UNIX are newer AWS types whose exact steps AWS does not document; they are
deliberately *not* registered, so a rule using them is a compile error instead of a guess.
"""

from __future__ import annotations

import re

from ._bytes import ascii_steps_bytes
from ._registry import register

# ``,`` ``;`` -> space and A-Z -> a-z in one table; ``\\ " ' ^`` deleted by the same call.
_TABLE = bytes.maketrans(b",;ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"  abcdefghijklmnopqrstuvwxyz")
_DELETE = b"\\\"'^"
_RUN_OF_SPACES = re.compile(b" {2,}")
_BACKSLASH, _DOUBLE_QUOTE, _QUOTE, _CARET, _SLASH, _PAREN = b"\\\"'^/("


@register("CMD_LINE")
def cmd_line(value: str) -> str:
    """``'C^at  "/etc/pa\\\\sswd" ; W\\'ho (x)'`` -> ``"cat/etc/passwd who(x)"``."""
    data, codec = ascii_steps_bytes(value)
    # A deleting translate costs a third more than a mapping one (~27 k vs ~20 k instructions on
    # 2 KB); most values hold none of the four, and each test is a memchr. (An ``int`` operand,
    # and ``find`` for two bytes: ``bytes.__contains__`` tries a ``bytes`` operand as an integer
    # first, and the TypeError it raises and clears costs ~2 k instructions, more than a memchr.)
    if _BACKSLASH in data or _DOUBLE_QUOTE in data or _QUOTE in data or _CARET in data:
        data = data.translate(_TABLE, _DELETE)
    else:
        data = data.translate(_TABLE)
    if data.find(b"  ") >= 0:
        data = _RUN_OF_SPACES.sub(b" ", data)
    # ``/`` and ``(`` first: a one-byte search is a memchr, a two-byte one starting with a space
    # stops at every space of the text.
    if _SLASH in data and data.find(b" /") >= 0:
        data = data.replace(b" /", b"/")
    if _PAREN in data and data.find(b" (") >= 0:
        data = data.replace(b" (", b"(")
    return data.decode(codec, "surrogatepass")
