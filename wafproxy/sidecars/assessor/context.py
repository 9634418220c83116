"""What one assessment looks at: the targets, wafproxy's own configuration, the OSV database.

Built by the CLI (``wafproxy inspect``) from flags, or by the periodic assessor from the running
proxy's settings and control-plane store; the checks only read it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from wafproxy.sidecars.assessor.probe import Prober

Role = Literal["proxy", "upstream", "app"]


@dataclass(frozen=True, slots=True)
class Target:
    """A URL to probe. ``proxy``: wafproxy's listener; ``upstream``: the app behind it (probed
    directly to see whether it can be reached around the WAF); ``app``: anything else."""

    url: str
    role: Role = "app"


@dataclass(frozen=True, slots=True)
class KmsKeyFacts:
    """What the configuration checks need of a KMS key wafproxy references."""

    key_id: str
    referenced_by: str
    state: str | None = None  # Enabled / PendingDeletion / …; None: could not be read
    rotation: bool | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ConfigFacts:
    """wafproxy's configuration as the checks read it. ``web_acl`` is the WAFv2 ``WebACL`` document
    (from the control plane or the ACL file), ``logging`` the ``LoggingConfiguration`` or None."""

    source: str
    web_acl: Mapping[str, Any] | None = None
    logging: Mapping[str, Any] | None = None
    waf_log: str | None = None
    waf_log_kms_key: str | None = None
    upstream_insecure_skip_verify: bool = False
    admin_host: str | None = None
    api_credentials: bool = True
    tls_cert: Path | None = None
    kms_keys: tuple[KmsKeyFacts, ...] = ()
    settings_known: bool = True  # False: only the control plane was read (inspect --admin alone)
    error: str | None = None  # the configuration could not be read (reported, never a silent pass)


@dataclass(slots=True)
class AssessContext:
    targets: Sequence[Target]
    prober: Prober
    config: ConfigFacts | None = None
    osv_db: Path | None = None
    requirements: Path | None = None
    ca_file: Path | None = None
    now: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def of_role(self, *roles: Role) -> list[Target]:
        return [t for t in self.targets if t.role in roles]


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (brackets of an IPv6 literal allowed)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
