"""The pure web ACL engine: compile a WAFv2 web ACL once, evaluate requests against it.

No I/O, no asyncio, no clock reads (see ARCHITECTURE): files are read by ``wafproxy.aclfiles``,
rate counts live behind ``ports.RateStore``. Public names are imported lazily so that importing one
leaf module (``engine.transforms``) does not pull in the whole compiler.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wafproxy.engine.compiler import CompiledWebACL, compile_web_acl
    from wafproxy.engine.decision import Action, Decision
    from wafproxy.engine.errors import WebAclError
    from wafproxy.engine.evaluation import evaluate, evaluate_steps
    from wafproxy.engine.ratecheck import RateCheck
    from wafproxy.engine.request import WafRequest
    from wafproxy.engine.resolve import DocumentIndex

_EXPORTS = {
    "CompiledWebACL": "compiler",
    "compile_web_acl": "compiler",
    "Action": "decision",
    "Decision": "decision",
    "WebAclError": "errors",
    "evaluate": "evaluation",
    "evaluate_steps": "evaluation",
    "RateCheck": "ratecheck",
    "WafRequest": "request",
    "DocumentIndex": "resolve",
}
__all__ = [
    "Action",
    "CompiledWebACL",
    "Decision",
    "DocumentIndex",
    "RateCheck",
    "WafRequest",
    "WebAclError",
    "compile_web_acl",
    "evaluate",
    "evaluate_steps",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(import_module(f"wafproxy.engine.{module}"), name)
