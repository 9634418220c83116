"""Which hot modules run compiled (mypyc) and which as plain Python, and the switch back to Python.

A wheel built with ``WAFPROXY_COMPILE=1`` (``hatch_build.py``) carries, beside every ``.py`` file,
a C extension for each module of ``MODULES``: the per-request loop of the engine and of the proxy
server (issue 11: the served default-ACL GET costs ~28 % fewer machine instructions). Python imports
an extension before the ``.py`` file of the same name, so an installed extension is what runs; an
install without one (editable, no compiler, a failed compile, ``WAFPROXY_COMPILE`` unset) runs the
same source as plain Python. The two decide identically (``tests/test_compiled.py``).

``WAFPROXY_PURE_PYTHON=1`` in the environment (read once, when ``wafproxy`` is first imported)
loads the ``.py`` files even where extensions are installed: to rule the compiled code in or out
when chasing a bug, and to compare both in one installation.

This module stays plain Python (it is read by the build hook, which cannot import the package).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Literal

#: The modules compiled by mypyc, chosen by instruction counts (``load_tests/path_instructions.py``).
#: Left out on purpose: ``engine.request`` and ``events`` (``slotinit`` fills their dataclasses
#: through slot descriptors, which a native class does not have), modules with async generators
#: (``server.upload``, ``asgi.upstream_response``: mypyc cannot compile them),
#: ``observability.metrics`` (subclasses prometheus-client's types at run time) and
#: ``engine.transforms.escapes`` (surrogate code points in literals); the middleware's own layer
#: (``asgi.middleware``, ``asgi.downstream``): compiled it saved ~5 k instructions per request but
#: ran slower by wall clock in four same-run pairs (a mypyc coroutine driving the interpreted
#: application, ~8 KiB more code per request: RESULTS.md, issue 11). ``asgi.scoperequest`` (plain
#: functions) is compiled: the proxy server's fast lane builds its requests with ``read_headers``
#: too (compiled, the empty-ACL served GET 124 k -> 118 k instructions: RESULTS-proxypath.md).
#: The threat detector's request path (``wafproxy serve`` runs it by default) is compiled: its
#: ``emit``, the actor table and the counting scenarios (default-ACL GET with the detector 175.6 k
#: -> 170.2 k); ``detector.quiet`` and ``detector.gate`` are not (tests subclass their classes,
#: which interpreted code cannot do to a compiled class; their per-request part is a dict lookup).
#: ``observability.metrics`` stays out, its per-request counting does not: ``plain_lane`` (and the
#: ``unfolded`` counts it adds to) is what ``WafMetrics.emit`` runs (compiled empty-ACL GET
#: 97.8 k -> 93.5 k instructions).
MODULES: tuple[str, ...] = (
    "wafproxy.engine.context",
    "wafproxy.engine.evaluation",
    "wafproxy.engine.nodes",
    "wafproxy.engine.fieldplan",
    "wafproxy.engine.extract",
    "wafproxy.engine.views",
    "wafproxy.engine.plan",
    "wafproxy.engine.rules",
    "wafproxy.engine.transforms",
    "wafproxy.engine.transforms.identity",
    "wafproxy.engine.transforms.url",
    "wafproxy.engine.transforms._bytes",
    "wafproxy.engine.transforms.cmdline",
    "wafproxy.engine.transforms.b64",
    "wafproxy.engine.transforms.entities",
    "wafproxy.engine.parsing",
    "wafproxy.engine.matchers",
    "wafproxy.engine.matchers._engines",
    "wafproxy.engine.matchers._pooled",
    "wafproxy.engine.detectors",
    "wafproxy.engine.sqli_veto",
    "wafproxy.engine.memo",
    "wafproxy.engine.ipsets",
    "wafproxy.engine.sourceip",
    "wafproxy.engine.slots",
    "wafproxy.engine.stmtmemo",  # subclasses ``nodes.Stmt`` (compiled): it must be compiled too
    "wafproxy.server.connection",
    "wafproxy.server.exchange",
    "wafproxy.server.respond",
    "wafproxy.server.framing",
    "wafproxy.server.timeouts",
    "wafproxy.server.writer",
    "wafproxy.server.fastlane",
    "wafproxy.server.handler",
    "wafproxy.server.forwarder",
    "wafproxy.server.lifecycle",
    "wafproxy.server.refusals",
    "wafproxy.server.unusual",
    "wafproxy.server.flow",
    "wafproxy.asgi.upstream_conn",
    "wafproxy.asgi.upstream_timer",
    "wafproxy.asgi.upstream_framing",
    "wafproxy.asgi.upstream_head",
    "wafproxy.asgi.upstream",
    "wafproxy.asgi.upstream_write",
    "wafproxy.asgi.inspector",
    "wafproxy.asgi.wafrequests",
    "wafproxy.asgi.scoperequest",
    "wafproxy.asgi.forwarding",
    "wafproxy.asgi.limits",
    "wafproxy.asgi.hop_by_hop",
    "wafproxy.observability.tally",
    "wafproxy.observability.dispatch",
    "wafproxy.observability.plain_lane",
    "wafproxy.observability.unfolded",
    "wafproxy.sidecars.detector.detector",
    "wafproxy.sidecars.detector.buckets",
    "wafproxy.sidecars.detector.scenarios_access",
    "wafproxy.sidecars.detector.actors",
)

PURE_ENV = "WAFPROXY_PURE_PYTHON"
Implementation = Literal["compiled", "pure", "mixed"]


def is_compiled(module: ModuleType) -> bool:
    """The module was loaded from a C extension, not from its ``.py`` file."""
    return isinstance(getattr(module, "__loader__", None), importlib.machinery.ExtensionFileLoader)


def loaded(modules: Sequence[str] = MODULES) -> dict[str, bool]:
    """Each of ``modules`` imported (if not already), mapped to whether it runs compiled."""
    out = {}
    for name in modules:
        __import__(name)
        out[name] = is_compiled(sys.modules[name])
    return out


def implementation(modules: Sequence[str] = MODULES) -> Implementation:
    """``compiled`` when every module of ``modules`` runs compiled, ``pure`` when none does."""
    flags = set(loaded(modules).values())
    if flags == {True}:
        return "compiled"
    return "pure" if flags == {False} else "mixed"


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Finds ``MODULES`` as their ``.py`` files even when an extension of the same name exists."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _COMPILED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None or not isinstance(
            spec.loader, importlib.machinery.ExtensionFileLoader
        ):
            return spec
        origin = Path(spec.origin)
        source = origin.with_name(origin.name.split(".", 1)[0] + ".py")  # context.cpython-….so
        return importlib.util.spec_from_file_location(
            fullname, source, submodule_search_locations=spec.submodule_search_locations
        )


_COMPILED = frozenset(MODULES)


def prefer_source() -> None:
    """From now on, import ``MODULES`` from their ``.py`` files (modules imported already stay)."""
    if not any(isinstance(f, _SourceFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourceFirst())
