"""CMD_LINE: undo the formatting tricks used to hide an injected OS command.

AWS documents exactly these steps, applied here in this order:
delete ``\\ " ' ^``; replace ``,`` and ``;`` with a space; replace runs of spaces with one space;
delete a space before ``/`` or ``(``; convert A-Z to a-z.
(Only the space, decimal 32, counts: AWS lists no other whitespace for CMD_LINE.)

CMD_LINE_WIN / CMD_LINE_UNIX are newer AWS types whose exact steps AWS does not document; they are
deliberately *not* registered, so a rule using them is a compile error instead of a guess.
"""

from __future__ import annotations

import re

from ._registry import register
from .case import lowercase

_STEP1 = str.maketrans({"\\": None, '"': None, "'": None, "^": None, ",": " ", ";": " "})
_RUN_OF_SPACES = re.compile(" {2,}")


@register("CMD_LINE")
def cmd_line(value: str) -> str:
    """``'C^at  "/etc/pa\\\\sswd" ; W\\'ho (x)'`` -> ``"cat/etc/passwd who(x)"``."""
    out = _RUN_OF_SPACES.sub(" ", value.translate(_STEP1))
    out = out.replace(" /", "/").replace(" (", "(")
    return lowercase(out)
