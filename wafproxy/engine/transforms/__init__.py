"""AWS WAFv2 text transformations, registered by their ``TextTransformation.Type`` name.

Public API (the compiler and evaluator code against exactly this)::

    TRANSFORMS: Mapping[str, Callable[[str], str]]
    apply_chain(chain: tuple[str, ...], value: str) -> str

Every transformation is a pure, total ``str -> str`` function: it never raises on attacker input.
Decoders that produce bytes map them back to ``str`` losslessly (``from_bytes``/``to_bytes``, see
``_bytes``), so matchers can scan the exact decoded bytes. ``apply_chain`` caps every
intermediate result at ``MAX_VALUE_CHARS`` so no chain can grow a value without bound.

Types AWS lists but does not document precisely (``CMD_LINE_WIN``, ``CMD_LINE_UNIX``,
``JS_DECODE_EXT``) are in ``UNSUPPORTED`` with the reason: a rule using one is a compile error,
never a silent guess.
"""

from __future__ import annotations

from types import MappingProxyType

from . import b64, case, cmdline, comments, entities, escapes, hashes, hexes, nulls, paths, unicode, url
from . import whitespace as _whitespace
from ._bytes import from_bytes, to_bytes
from ._registry import TRANSFORMS, Transform

__all__ = [
    "EXTENSIONS",
    "MAX_VALUE_CHARS",
    "TRANSFORMS",
    "UNSUPPORTED",
    "Transform",
    "apply_chain",
    "compile_chain",
    "from_bytes",
    "to_bytes",
]

_FAMILIES = (
    b64,
    case,
    cmdline,
    comments,
    entities,
    escapes,
    hashes,
    hexes,
    nulls,
    paths,
    unicode,
    url,
    _whitespace,
)

#: Upper bound on any value a chain produces (characters). Only UTF8_TO_UNICODE can grow a value;
#: requests are already bounded by the body inspection limit, so this is a backstop.
MAX_VALUE_CHARS = 1 << 20

#: AWS type names we deliberately do not run, with the reason (for the compile error message).
UNSUPPORTED = MappingProxyType(
    {
        "CMD_LINE_WIN": "AWS does not document its exact steps; use CMD_LINE",
        "CMD_LINE_UNIX": "AWS does not document its exact steps; use CMD_LINE",
        "JS_DECODE_EXT": "AWS does not document its exact steps; use JS_DECODE",
    }
)


#: wafproxy's own types (not in AWS's enum), used by the managed rule groups; documented in
#: docs/managed-rules.md. Valid-looking WAFv2 names, so rule files stay AWS-shaped.
EXTENSIONS = frozenset({"NFKC_NORMALIZE", "BASE64_DECODE_EMBEDDED", "UNICODE_ESCAPE_DECODE"})


def apply_chain(chain: tuple[str, ...], value: str) -> str:
    """Apply the transformations named in ``chain`` in order (already sorted by AWS ``Priority``).

    ``apply_chain(("URL_DECODE", "LOWERCASE"), "%53ELECT") == "select"``. An unknown name raises
    ``KeyError``: names are validated at compile time, so that is a programming error.
    """
    for name in chain:
        value = TRANSFORMS[name](value)
        if len(value) > MAX_VALUE_CHARS:
            value = value[:MAX_VALUE_CHARS]
    return value


def compile_chain(chain: tuple[str, ...]) -> Transform:
    """``lambda value: apply_chain(chain, value)``, with the functions looked up once.

    A step that empties the value ends the run: the rest of the chain applied to ``""`` is
    computed here once (decoders such as BASE64_DECODE_EMBEDDED empty most benign values).
    """
    funcs = tuple(TRANSFORMS[name] for name in chain)
    if not funcs:
        return _identity
    tails = tuple(apply_chain(chain[i + 1 :], "") for i in range(len(chain)))
    if len(funcs) == 1:
        (only,) = funcs

        def run_one(value: str) -> str:
            value = only(value)
            return value[:MAX_VALUE_CHARS] if len(value) > MAX_VALUE_CHARS else value

        return run_one
    steps = tuple(zip(funcs, tails, strict=True))

    def run(value: str) -> str:
        for func, tail in steps:
            value = func(value)
            if not value:
                return tail
            if len(value) > MAX_VALUE_CHARS:
                value = value[:MAX_VALUE_CHARS]
        return value

    return run


def _identity(value: str) -> str:
    return value
