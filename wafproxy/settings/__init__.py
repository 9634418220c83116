"""Settings of ``wafproxy serve`` / ``demo``: one frozen object, validated once, from four sources.

Precedence is flags > ``WAFPROXY_*`` environment variables > ``--config FILE`` (YAML) > defaults,
as uvicorn does it: every flag ``--upstream-ca`` is also ``WAFPROXY_UPSTREAM_CA`` and the config key
``upstream_ca`` (or ``upstream-ca``). A bad value raises ``SettingsError`` naming where it came from
(flag, env var or config key); the CLI prints it and exits 2. Values are parsed here, never later,
so the servers only see valid ones.

The package, one concept a module: ``model`` (the ``Settings`` object, its defaults, its JSON for
``--workers``), ``values`` (value types and parsers), ``options`` (the table of every setting),
``names`` (flag and env names), ``sources`` (flags / env / file → ``Settings``), ``validation``
(cross-field rules), ``bounds`` (which settings feed ``ShieldLimits`` / ``ContentLimits``),
``errors``. Import from here: these names are the public surface.
"""

from __future__ import annotations

from wafproxy.settings.bounds import CONTENT_BOUNDS, SHIELD_BOUNDS, content_bounds, shield_bounds
from wafproxy.settings.errors import SettingsError
from wafproxy.settings.model import DEFAULT_ACCOUNT, DEFAULT_ACL, Settings
from wafproxy.settings.names import ENV_PREFIX, env_of, flag_of
from wafproxy.settings.options import LOG_LEVELS
from wafproxy.settings.sources import add_arguments, resolve
from wafproxy.settings.values import HostPort, UpstreamRoute, kms_endpoint_url

__all__ = [
    "CONTENT_BOUNDS", "DEFAULT_ACCOUNT", "DEFAULT_ACL", "ENV_PREFIX", "LOG_LEVELS", "SHIELD_BOUNDS",
    "HostPort", "Settings", "SettingsError", "UpstreamRoute", "add_arguments", "content_bounds",
    "env_of", "flag_of", "kms_endpoint_url", "resolve", "shield_bounds",
]
