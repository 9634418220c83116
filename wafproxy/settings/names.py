"""A setting's names: field ``upstream_ca`` is flag ``--upstream-ca`` and env ``WAFPROXY_UPSTREAM_CA``.

One rule derives every name from the field (uvicorn's way: flags mirrored by env vars), so a flag
and its env var can never drift apart; the config file takes the field name itself.
"""

from __future__ import annotations

ENV_PREFIX = "WAFPROXY_"


def flag_of(field: str) -> str:
    return "--" + field.replace("_", "-")


def env_of(field: str) -> str:
    return ENV_PREFIX + field.upper()
