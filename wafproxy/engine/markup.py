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
* **Inline styles of rich-text editors** (``<p style="text-align: center;">``, ``<span
  style="color: rgb(224, 62, 45); font-family: 'Open Sans'">``): libinjection blacklists every
  ``style`` attribute (old IE ran ``expression(...)``, ``behavior: url(...)`` and
  ``-moz-binding``). A style of plain declarations (a property, a value of words, numbers,
  colours, ``rgb()``/``rgba()``) has no parenthesis but a colour's, no ``@``, no backslash escape:
  no expression, URL or binding. Its attribute is renamed before the second reading.

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


# A style attribute of plain CSS declarations (see the module docstring): no "(" but rgb()/rgba().
_CSS_VALUE = r"(?:[\w\s#%.,:;+-]|rgba?\([\d.,\s%]{1,40}\))"
# Its value quoted as in HTML, or as a JSON string (\\"), or a CSV cell ("") carries it.
_PLAIN_STYLE = re.compile(
    rf"""(\s)style(\s*=\s*(?:(\\?"|"")(?:{_CSS_VALUE}|'){{1,512}}\3|'(?:{_CSS_VALUE}|"){{1,512}}'))""",
    re.IGNORECASE,
)


def _without_plain_styles(value: str) -> str | None:
    """``value`` with each plain inline style attribute renamed (``data-x="color: red"``)."""
    if "style" not in value.lower():
        return None
    out, count = _PLAIN_STYLE.subn(r"\1data-x\2", value)
    return out if count else None


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
    return out if count else None


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
