"""Which hot modules run compiled (mypyc) and which as plain Python, and the switch back to Python.

An installed wheel carries by default, beside every ``.py`` file, a C extension for each module of
``MODULES`` (``hatch_build.py`` compiles them when the machine has a C compiler and Python's headers):
the per-request loop of the engine and of the proxy server (issue 11: the served default-ACL GET
answers ~1.6x the requests per second of pure Python). Python imports an extension before the
``.py`` file of the same name, so an installed extension is what runs; an install without one (an
editable install, ``WAFPROXY_COMPILE=0``, no compiler, a failed compile) runs the same source as
plain Python, and a pure wheel says why in ``BUILD_NOTE``. The two decide identically
(``tests/test_compiled.py``). ``describe()`` is the one line ``wafproxy version`` and the start-up
log print.

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
    "wafproxy.engine.transforms.unicode",
    "wafproxy.engine.transforms.nulls",
    "wafproxy.engine.parsing",
    "wafproxy.engine.parsing._multipart",
    "wafproxy.engine.parsing._xml",
    "wafproxy.engine.bodyregions",
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
    "wafproxy.server.bodywait",
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
    "wafproxy.asgi.bodyscan",  # a body the task lane or the middleware reads: ~12 interpreted calls a body
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
#: Beside ``compiled.py`` in a pure-Python wheel: one line saying why the build did not compile
#: (written by ``hatch_build.py``, read literally by it for the name). A checkout has none.
BUILD_NOTE: str = "BUILD-NOTE.txt"
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


def installed(modules: Sequence[str] = MODULES) -> dict[str, bool]:
    """Each of ``modules`` mapped to whether a C extension for this interpreter sits beside its
    source (and so is what an import loads), found without importing anything."""
    package = Path(__file__).parent.parent  # the directory holding ``wafproxy/``
    out = {}
    for name in modules:
        path = package.joinpath(*name.split("."))
        stems = (path, path / "__init__")  # a module, or a package's ``__init__``
        out[name] = any(stem.with_name(stem.name + suffix).is_file()
                        for stem in stems for suffix in importlib.machinery.EXTENSION_SUFFIXES)
    return out


def describe() -> str:
    """One line for ``wafproxy version`` and the start-up log: what runs and, when it is pure
    Python, why (this install's ``BUILD_NOTE``, the switch, or a checkout's ``.py`` files)."""
    flags = installed()
    count = sum(flags.values())
    if count and any(isinstance(f, _SourceFirst) for f in sys.meta_path):
        return f"pure Python ({PURE_ENV}=1; {count} compiled modules installed)"
    if count == len(flags):
        return f"compiled with mypyc ({count} modules)"
    if count:  # an in-place build older than MODULES, say
        missing = sorted(name for name, native in flags.items() if not native)
        return (f"partly compiled ({count} of {len(flags)} modules; not {', '.join(missing[:3])}"
                f"{', ...' if len(missing) > 3 else ''})")
    note = Path(__file__).with_name(BUILD_NOTE)
    why = (note.read_text().strip() if note.is_file()
           else "no compiled modules beside the .py files: a checkout or an editable install")
    return f"pure Python ({why})"
