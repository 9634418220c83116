"""The settings model: one frozen ``Settings`` with every field's default, and its JSON round trip.

Defaults live here and only here; a ``Settings`` is made through ``Settings.from_values``, which
checks the fields against each other (``validation.check``) once, at load time, as Starlette
validates a middleware's settings in ``__init__``: the servers never re-check. ``--workers N``
processes get it as JSON (``to_json`` / ``from_json``), checked again on the way in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from wafproxy import shipped
from wafproxy.settings.validation import check
from wafproxy.settings.values import HostPort, UpstreamRoute

DEFAULT_ACCOUNT = "000000000000"  # the engine's: label namespaces awswaf:000000000000:webacl:...
DEFAULT_ACL = shipped.DEFAULT_ACL  # inside the installed package, or the checkout's rules/


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything ``serve`` / ``demo`` run with, frozen; made by ``from_values`` (``sources.resolve``,
    ``from_json``) and so always checked across fields."""

    upstreams: tuple[UpstreamRoute, ...] = ()
    acl: Path = DEFAULT_ACL
    listen: HostPort = HostPort("127.0.0.1", 8080)
    admin_listen: HostPort = HostPort("127.0.0.1", 9090)
    workers: int = 1
    tls_cert: Path | None = None
    tls_key: Path | None = None
    upstream_ca: Path | None = None
    upstream_client_cert: Path | None = None
    upstream_client_key: Path | None = None
    upstream_insecure_skip_verify: bool = False
    client_ca: Path | None = None
    trusted_proxies: tuple[str, ...] = ()
    preserve_host: bool = True
    waf_log: str | None = None
    log_level: str = "info"
    fail_mode: Literal["open", "closed"] = "closed"
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    # Whole upstream exchange, head to last body byte (0: none). The read timeout restarts with
    # every byte; only this bounds a response that trickles (issue 17, docs/operations.md).
    upstream_total_timeout: float = 0.0
    # Rate limits shared through Redis (issue 5); None: per-process memory.
    redis: str | None = None
    hosts: int = 1
    rate_limit_on_redis_failure: Literal["local", "open", "closed"] = "local"
    # A Redis answer slower than this counts as Redis down (local fallback): short, so a slow Redis
    # never holds requests up; longer across availability zones or on a loaded host.
    redis_timeout: float = 0.05
    flood_mitigation: bool = False
    # Whole-body inspection by the managed groups past the ACL's limit, Content-Encoding (issue 15, 17).
    body_inspection_cap: int = 1024 * 1024
    body_over_cap: Literal["continue", "match"] = "continue"
    max_decompressed_body: int = 10 * 1024 * 1024
    max_decompression_ratio: int = 100
    unknown_content_encoding: Literal["refuse", "forward"] = "refuse"
    # Control plane (the WAFv2 API on the admin listener) and the names in its ARNs / labels.
    credentials: Path | None = None
    policy_file: Path | None = None
    state_dir: Path | None = None
    account_id: str = DEFAULT_ACCOUNT
    region: str = "us-east-1"
    # The KMS sidecar in-process, beside the proxy.
    kms_listen: HostPort | None = None
    kms_data_dir: Path | None = None
    kms_root_key_file: Path | None = None
    # Encrypted WAF log (issue 7): data keys under this KMS key, from --kms-listen or --kms-endpoint.
    waf_log_kms_key: str | None = None
    kms_endpoint: str | None = None
    # Findings hub and console (issue 14), on --admin-listen with --credentials.
    hub_db: Path | None = None
    hub_retention_days: int = 90
    hub_kms_key: str | None = None
    # Periodic assessment (issue 13, sidecars/assessor): seconds between runs, 0 = off.
    assess_interval: float = 3600.0
    assess_osv_db: Path | None = None
    # Threat detector (issue 12): on (default), dry-run (findings, no bans) or off.
    detector: str = "on"
    detector_policy: Path | None = None
    detector_findings: str | None = None
    detector_webhook: str | None = None
    findings_kms_key: str | None = None
    # Bounded resources (issue 17, docs/operations.md): None keeps the default of ``ShieldLimits`` /
    # ``ContentLimits`` (asgi/limits.py, engine/parsing/_bounds.py), the one place defaults live.
    max_url_bytes: int | None = None
    max_header_count: int | None = None
    max_header_bytes: int | None = None
    max_body_bytes: int | None = None
    body_timeout: float | None = None
    header_timeout: float | None = None
    keep_alive_timeout: float | None = None
    max_connection_seconds: float | None = None
    max_websocket_frame_bytes: int | None = None
    websocket_idle_timeout: float | None = None
    max_query_args: int | None = None
    max_cookies: int | None = None
    max_json_depth: int | None = None
    max_json_members: int | None = None
    max_multipart_parts: int | None = None
    max_multipart_header_bytes: int | None = None
    max_requests_per_client: int | None = None
    max_tracked_clients: int | None = None
    max_connections_per_client: int | None = None
    max_connections: int | None = None

    def to_json(self) -> str:
        """Serialized for worker processes (``--workers N`` passes settings through the env)."""
        return json.dumps(asdict(self), default=str)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Settings:
        """The fields named in ``values`` (parsed already; the rest keep their defaults), checked
        across fields (``validation.check``): the one way in, so no unchecked ``Settings`` escapes."""
        settings = cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})
        check(settings)
        return settings

    @classmethod
    def from_json(cls, text: str) -> Settings:
        raw = json.loads(text)
        return cls.from_values(
            {
                **raw,
                "upstreams": tuple(UpstreamRoute(**u) for u in raw["upstreams"]),
                "listen": HostPort(**raw["listen"]),
                "admin_listen": HostPort(**raw["admin_listen"]),
                "trusted_proxies": tuple(raw["trusted_proxies"]),
                "kms_listen": HostPort(**raw["kms_listen"]) if raw.get("kms_listen") else None,
                **{k: (Path(raw[k]) if raw.get(k) is not None else None) for k in PATH_FIELDS},
            }
        )


# The fields holding a ``Path``: JSON carries them as strings (``from_json`` turns them back).
PATH_FIELDS = tuple(f.name for f in fields(Settings) if f.type in ("Path", "Path | None"))
