"""What compiles the web ACL the data path serves and swaps it on every change.

With a control plane (``--credentials`` or ``--state-dir``) that is its ``Reloader``; without one,
``FileAcl`` over ``--acl`` alone, with the same surface (``current``, ``add_swap``,
``reload_from_disk``), so the wiring never asks which it has. Either compiles before any socket
accepts traffic: a malformed ACL stops start-up instead of failing requests.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wafproxy.engine.compiler import CompiledWebACL
from wafproxy.engine.errors import WebAclError
from wafproxy.settings import Settings

if TYPE_CHECKING:  # imported lazily: prometheus_client must see PROMETHEUS_MULTIPROC_DIR first
    from wafproxy.observability.metrics import WafMetrics

logger = logging.getLogger("wafproxy.app")


def control_enabled(settings: Settings) -> bool:
    """The control plane's store serves the ACL only when asked for (``--credentials`` or
    ``--state-dir``): it reads the ACL's whole directory eagerly, where the engine's resolver
    reads only what the ACL references (an ACL in a crowded directory must keep working)."""
    return settings.credentials is not None or settings.state_dir is not None


class FileAcl:
    """The web ACL from ``--acl`` alone, without a control plane: the same surface the wiring uses
    from a ``Reloader`` (``current``, ``add_swap``, ``reload_from_disk``). SIGHUP compiles the file
    off the event loop and swaps it; a broken file keeps the running ACL."""

    def __init__(self, settings: Settings, *, metrics: WafMetrics | None = None) -> None:
        self.settings = settings
        self.metrics = metrics
        self.current: CompiledWebACL = self._load()
        self._swaps: list[Callable[[CompiledWebACL], None]] = []

    def _load(self) -> CompiledWebACL:
        from wafproxy.aclfiles import load_web_acl

        return load_web_acl(self.settings.acl, account=self.settings.account_id)

    def add_swap(self, swap: Callable[[CompiledWebACL], None]) -> None:
        self._swaps.append(swap)

    async def reload_from_disk(self, reason: str = "sighup") -> bool:
        try:
            fresh = await asyncio.to_thread(self._load)
        except WebAclError as exc:
            logger.error("web ACL reload (%s) failed, keeping %r: %s", reason, self.current.name, exc)
            if self.metrics is not None:
                self.metrics.config_reload("failure")
            return False
        self.current = fresh
        for swap in self._swaps:
            swap(fresh)
        logger.info("web ACL reloaded (%s): %r from %s", reason, fresh.name, self.settings.acl)
        if self.metrics is not None:
            self.metrics.config_reload("success", time.time())
            for name, n in fresh.ip_set_sizes().items():
                self.metrics.ip_set_entries(name, n)
        return True


def build_reloader(settings: Settings, *, metrics: WafMetrics | None = None, persist: bool = True) -> Any:
    """What compiles the ACL the data path serves and swaps it on every change: the control
    plane's ``Reloader`` over ``--acl`` / ``--state-dir`` (one account id everywhere:
    ``--account-id``), or ``FileAcl`` without a control plane. Raises ``WebAclError`` or
    ``control.store.StoreError`` (both name the file)."""
    if not control_enabled(settings):
        return FileAcl(settings, metrics=metrics)
    from wafproxy.control.reloader import Reloader
    from wafproxy.control.resources import Names

    names = Names(settings.account_id, settings.region)
    return Reloader(settings.acl, state_dir=settings.state_dir, names=names, metrics=metrics,
                    redis_url=settings.redis, persist=persist)
