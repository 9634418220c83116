"""The ASGI callables' types (ASGI 3.0 spec), shared by the middleware and the app it protects.

A module of aliases, as starlette's ``types.py``: the scope and messages are plain mappings; the
middleware, the downstream helpers and the app all speak in these names.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
