"""HTML_ENTITY_DECODE: ``&lt;`` ``&gt;`` ``&quot;`` ``&nbsp;`` (-> U+00A0), ``&#nnnn;``, ``&#xhhhh;``.

AWS lists those entities; we use the stdlib's C-accelerated HTML5 decoder (``html.unescape``),
which decodes them and every other named entity a browser would, plus numeric references without
the trailing ``;`` (``&#60`` -> ``<``) as browsers do. Decoding *more* than AWS can only reveal
more of what a browser would execute; invalid references are left as they are (``&bogus;``).
Numeric references follow the browser too (HTML5 §13.2.5.80): ``&#0;`` and out-of-range values
become U+FFFD and ``&#x80;``-``&#x9f;`` the Windows-1252 characters, where ModSecurity would keep
the low byte — we decode to what the browser will actually render.
"""

from __future__ import annotations

import html

from ._registry import register


@register("HTML_ENTITY_DECODE")
def html_entity_decode(value: str) -> str:
    """``"&lt;script&gt;alert(&#x27;x&#39;)&lt;/script&gt;"`` -> ``"<script>alert('x')</script>"``."""
    return html.unescape(value) if "&" in value else value
