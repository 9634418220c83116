"""wafproxy: a web application firewall speaking the AWS WAFv2 rule language.

``from wafproxy import WafMiddleware`` protects any ASGI app; ``wafproxy serve`` runs the reverse
proxy. Imports are lazy so that ``import wafproxy`` stays cheap for the engine-only user.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["WafMiddleware", "__version__"]

if TYPE_CHECKING:
    from wafproxy.asgi.middleware import WafMiddleware

if os.environ.get("WAFPROXY_PURE_PYTHON") == "1":  # skip installed C extensions (wafproxy/compiled.py)
    from wafproxy.compiled import prefer_source

    prefer_source()


def __getattr__(name: str) -> Any:
    if name == "WafMiddleware":
        from wafproxy.asgi.middleware import WafMiddleware

        return WafMiddleware
    raise AttributeError(name)
