"""The registry of check families: each module registers one coroutine and the ``CheckSpec``s it
may report, by stable id. ``run_all`` runs every family concurrently and isolates them: one that
raises is reported as a ``CheckError`` and the others still finish (issue 13, "bad input").

In ``serve`` the assessment shares the data path's event loop, so ``run_all`` imports the family
modules on a thread the first time (tens of milliseconds of module execution that would
otherwise hold the loop; the import lock keeps a concurrent import elsewhere consistent).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wafproxy.sidecars.assessor.model import CheckError, CheckSpec, Observation

if TYPE_CHECKING:
    from wafproxy.sidecars.assessor.context import AssessContext

log = logging.getLogger("wafproxy.assessor")
FAMILY_MODULES = ("checks_http", "checks_tls", "checks_exposure", "checks_deps", "checks_config")


@dataclass(slots=True)
class FamilyResult:
    """What a family saw; ``covered`` names the (family, resource) pairs it really assessed, so the
    store closes only findings that were looked for again (a one-off run on another target must not
    close the periodic run's findings)."""

    observations: list[Observation] = field(default_factory=list)
    errors: list[CheckError] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)


FamilyFn = Callable[["AssessContext"], Awaitable[FamilyResult]]
_FAMILIES: dict[str, FamilyFn] = {}
_SPECS: dict[str, CheckSpec] = {}


def register(family: str, specs: tuple[CheckSpec, ...]) -> Callable[[FamilyFn], FamilyFn]:
    def decorate(fn: FamilyFn) -> FamilyFn:
        for spec in specs:
            if spec.id in _SPECS and _SPECS[spec.id] != spec:
                raise ValueError(f"check id {spec.id} registered twice")
            _SPECS[spec.id] = spec
        _FAMILIES[family] = fn
        return fn

    return decorate


def load_families() -> None:
    global _loaded
    for name in FAMILY_MODULES:
        importlib.import_module(f"wafproxy.sidecars.assessor.{name}")
    _loaded = True


_loaded = False  # every family module imported (``load_families`` returned once)


def all_specs() -> dict[str, CheckSpec]:
    load_families()
    return dict(_SPECS)


async def run_all(ctx: AssessContext) -> FamilyResult:
    if not _loaded:
        await asyncio.to_thread(load_families)
    names = list(_FAMILIES)
    results = await asyncio.gather(*(_FAMILIES[n](ctx) for n in names), return_exceptions=True)
    total = FamilyResult()
    for name, result in zip(names, results, strict=True):
        if isinstance(result, BaseException):
            if isinstance(result, asyncio.CancelledError):
                raise result
            log.warning("assessor family %s failed: %s", name, result, exc_info=result)
            total.errors.append(CheckError(name, "-", f"{type(result).__name__}: {result}"))
            continue
        total.observations.extend(result.observations)
        total.errors.extend(result.errors)
        total.covered |= result.covered
    return total
