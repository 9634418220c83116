"""How ``serve`` / ``demo`` log: uvicorn's dictConfig plus our ``wafproxy`` loggers, and the one
line that says what runs where.

Several uvicorn servers share a process (admin, and under ``demo`` the demo app and the KMS):
below debug their per-server lifecycle lines are dropped, so start-up reads as one banner.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG

from wafproxy import __version__
from wafproxy.settings import Settings

logger = logging.getLogger("wafproxy.cli")


def log_config(level: str) -> dict[str, Any]:
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["wafproxy"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    if level.lower() != "debug":
        # Every uvicorn server in the process (data, admin, and under ``demo`` the demo app and
        # the KMS) logs its own "Started server process", "Waiting for application startup", …:
        # the same lines 2-4 times. ``log_serving`` / the demo banner say once what runs where.
        config.setdefault("filters", {})["uvicorn_lifecycle"] = {"()": UvicornLifecycleFilter}
        config["loggers"]["uvicorn.error"]["filters"] = ["uvicorn_lifecycle"]
    return config


class UvicornLifecycleFilter(logging.Filter):
    """Drops uvicorn's per-server INFO lifecycle lines; its warnings and errors pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


def log_serving(settings: Settings) -> None:
    """One line saying what runs where (upstream URLs only: they carry no secrets)."""
    scheme = "https" if settings.tls_cert else "http"
    mtls = " requiring client certificates" if settings.client_ca else ""
    logger.info("wafproxy %s: %s://%s%s -> %s, web ACL %s, admin http://%s, %d worker(s)", __version__,
                scheme, settings.listen, mtls, ", ".join(u.url for u in settings.upstreams), settings.acl,
                settings.admin_listen, settings.workers)
