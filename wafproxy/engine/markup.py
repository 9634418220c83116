"""Benign markup libinjection mistakes for XSS, recognised and read again without the mistake.

The XSS detector (``detectors.is_xss``) calls ``xss_reread`` only *after* libinjection said "xss";
the value is then judged again by libinjection with the benign construct neutralised, so anything
else in it (a ``<script>``, an ``onerror=`` that calls, a ``javascript:`` URL) keeps its verdict.

* **XML namespace declarations** (``xmlns="urn:oasis:names:tc:SAML:2.0:protocol"``,
  ``xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"``): libinjection blacklists every
  ``xmlns`` attribute, since in a document a browser renders as XML one can put an element into
  the XHTML, SVG or MathML namespace, where ``script``/``onload`` run. A declaration naming any
  *other* namespace (SAML, SOAP, WebDAV, Atom, a ``urn:``) gives markup no script semantics: it is
  removed before the second reading. Declarations of the XHTML, SVG, MathML, XLink or XSLT
  namespaces, or whose value is not a plain URI, stay, and so does every declaration of a value
  with an ``xsi:schemaLocation`` (a schema a validating parser fetches: an out-of-band probe).
  This is SAML's HTTP-POST binding (a base64 XML document in a form field, decoded by the base64
  view) and any XML document quoted in a JSON or form value.
* **JSX event handler references** (``<button onClick={onClick}>``, ``onChange={this.save}``):
  an ``on*`` attribute whose value is one identifier or member chain in braces. As HTML, the
  handler's body ``{onClick}`` is a block holding one name: it reads a variable and calls nothing.
  Any call, assignment, template or operator (``{alert(1)}``, ``{location=name}``) stays XSS.
  Neutralised too: a JSX arrow (``onClick={() => setOpen(true)}``), or any brace value with whitespace
  before its ``}``: an unquoted attribute value ends at the first space, so a browser reads the
  handler ``{()``, a syntax error that runs nothing (``{alert(1)}`` has no space and stays XSS).
* **Inline styles of rich text** (``<span style="color: rgb(51, 51, 51); font-weight: bold">``,
  what every WYSIWYG editor posts): libinjection blacklists every ``style`` attribute, since CSS
  can load (``url(``, ``@import``), run (``expression(``, ``behavior``, ``-moz-binding``) or
  hide an escape (``\\``, ``&#``, comments). A quoted value with none of ``( ) \\ & < > @ * /``
  but colour functions (``rgb()``, ``rgba()``, ``hsl()``, ``hsla()`` of numbers) can do none of
  it: the attribute is renamed before the second reading. Handlers beside it keep their verdict.
  The same declarations quoted as a CSV cell quotes them (``""``) are renamed too (``_PLAIN_STYLE``).

All regexes are linear (bounded, no nested repetition).
"""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_REREAD = 16_384

_SCRIPTABLE_NAMESPACES = (
    "http://www.w3.org/1999/xhtml",
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/1998/math/mathml",
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/1999/xsl/transform",
)
# One namespace declaration inside a tag: its value quoted, a plain URI (no markup, no entity).
_XMLNS = re.compile(
    r"""(\s)xmlns(?::[A-Za-z_][\w.-]{0,63})?\s*=\s*(?:"([^"<>&\s]{1,512})"|'([^'<>&\s]{1,512})')"""
)
# An on* attribute whose value is {name} or {a.b.c}: a JSX handler reference.
_JSX_HANDLER = re.compile(
    r"(\s)on[A-Za-z]{2,40}(\s*=\s*\{\s*[A-Za-z_$][\w$]{0,63}(?:\.[A-Za-z_$][\w$]{0,63}){0,7}\s*\})"
)

# A style attribute whose quoted value (in a JSON text the quotes are escaped: ``\\"``) is
# declarations without a URL, a call but a colour, an escape, an at-rule or a comment.
# Alternatives are disjoint at their first character but for the colour functions' letters,
# which fail within five characters: linear.
_COLOUR = r"(?:rgba?|hsla?)\([\d\s.,%]{0,40}\)"
_STYLE = re.compile(
    r"(^|\s)style(\s*=\s*(?:"
    r"\"(?:[^\"()\\&<>@*/]|" + _COLOUR + r"){0,512}\""
    r"|'(?:[^'()\\&<>@*/]|" + _COLOUR + r"){0,512}'"
    r"|\\\"(?:[^\"()\\&<>@*/]|" + _COLOUR + r"){0,512}\\\"))",
    re.IGNORECASE,
)

# An on* attribute whose unquoted brace value has whitespace before its ``}``: inert as HTML.
_JSX_SPACED = re.compile(r"(^|[\s`/\"'])on[A-Za-z]{2,40}(\s*=\s*\{[^}\s]{0,256}\s)")


# A style attribute of plain CSS declarations (see the module docstring): no "(" but rgb()/rgba().
_CSS_VALUE = r"(?:[\w\s#%.,:;+-]|rgba?\([\d.,\s%]{1,40}\))"
# Its value quoted as in HTML, or as a JSON string (\\"), or a CSV cell ("") carries it.
_PLAIN_STYLE = re.compile(
    rf"""(\s)style(\s*=\s*(?:(\\?"|"")(?:{_CSS_VALUE}|'){{1,512}}\3|'(?:{_CSS_VALUE}|"){{1,512}}'))""",
    re.IGNORECASE,
)


def _without_namespaces(value: str) -> str | None:
    """``value`` with every non-scriptable namespace declaration removed, or None if it has none."""
    if "xmlns" not in value or "schemalocation" in value.lower():
        return None  # xsi:schemaLocation names a schema a validating parser fetches: a probe
    changed = False

    def drop(match: re.Match[str]) -> str:
        nonlocal changed
        uri = (match.group(2) or match.group(3)).lower()
        if uri.startswith(_SCRIPTABLE_NAMESPACES):
            return match.group(0)
        changed = True
        return match.group(1)

    out = _XMLNS.sub(drop, value)
    return out if changed else None


def _without_jsx_handlers(value: str) -> str | None:
    """``value`` with each JSX handler reference's attribute renamed (``data-x={onClick}``)."""
    if "={" not in value and "= {" not in value:
        return None
    out, count = _JSX_HANDLER.subn(r"\1data-x\2", value)
    out, spaced = _JSX_SPACED.subn(r"\1data-x\2", out)
    return out if count or spaced else None


def _without_plain_styles(value: str) -> str | None:
    """``value`` with each harmless inline style attribute renamed (``data-x="color: red"``)."""
    if "style" not in value.lower():
        return None
    out, count = _STYLE.subn(r"\1data-x\2", value)
    out, csv = _PLAIN_STYLE.subn(r"\1data-x\2", out)  # also a CSV cell's "" quoting
    return out if count or csv else None


def xss_reread(value: str, is_xss: Callable[[str], bool]) -> bool:
    """libinjection's "xss" on ``value`` still holds once its benign constructs are neutralised
    (``is_xss`` is libinjection's check). Called only after that check said yes."""
    if len(value) > MAX_REREAD:
        return True
    reread = value
    for neutralise in (_without_namespaces, _without_jsx_handlers, _without_plain_styles):
        changed = neutralise(reread)
        if changed is not None:
            reread = changed
    return reread is value or is_xss(reread)
