"""Settings of ``wafproxy serve`` / ``demo``: one frozen object, validated once, from four sources.

Precedence is flags > ``WAFPROXY_*`` environment variables > ``--config FILE`` (YAML) > defaults,
as uvicorn does it: every flag ``--upstream-ca`` is also ``WAFPROXY_UPSTREAM_CA`` and the config key
``upstream_ca`` (or ``upstream-ca``). Repeatable flags read comma-separated env vars, except
``WAFPROXY_UPSTREAM`` which is whitespace-separated because a routed upstream spec contains commas.
A bad value raises ``SettingsError`` naming where it came from (flag, env var or config key); the
CLI prints it and exits 2. Values are parsed here, never later, so the servers only see valid ones.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml  # type: ignore[import-untyped]

from wafproxy import shipped

ENV_PREFIX = "WAFPROXY_"
DEFAULT_ACCOUNT = "000000000000"  # the engine's: label namespaces awswaf:000000000000:webacl:...

DEFAULT_ACL = shipped.DEFAULT_ACL  # inside the installed package, or the checkout's rules/
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


class SettingsError(ValueError):
    """A setting that cannot be used; ``source`` is the flag, env var or config key it came from."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


@dataclass(frozen=True, slots=True)
class HostPort:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class UpstreamRoute:
    """One upstream and what it serves: ``host`` (exact, case-insensitive) and/or ``path`` prefix."""

    url: str
    host: str | None = None
    path_prefix: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
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
    def from_json(cls, text: str) -> Settings:
        raw = json.loads(text)
        return _validate(
            {
                **raw,
                "upstreams": tuple(UpstreamRoute(**u) for u in raw["upstreams"]),
                "listen": HostPort(**raw["listen"]),
                "admin_listen": HostPort(**raw["admin_listen"]),
                "trusted_proxies": tuple(raw["trusted_proxies"]),
                "kms_listen": HostPort(**raw["kms_listen"]) if raw.get("kms_listen") else None,
                **{k: (Path(raw[k]) if raw.get(k) is not None else None) for k in _PATH_FIELDS},
            }
        )


# ---- value parsers: str (or YAML scalar) -> typed value; ValueError carries the message ----------


def _path(value: Any) -> Path:
    p = Path(str(value)).expanduser()
    if not p.is_file():
        raise ValueError(f"no such file: {p}")
    return p.resolve()


def _directory(value: Any) -> Path:
    """A directory we may create (state, KMS data): refused only when a file is in the way."""
    p = Path(str(value)).expanduser()
    if p.exists() and not p.is_dir():
        raise ValueError(f"not a directory: {p}")
    return p.resolve()


def _new_file(value: Any) -> Path:
    """A file that is created when missing (the KMS root key): its directory must exist."""
    p = Path(str(value)).expanduser().resolve()
    if p.exists() and not p.is_file():
        raise ValueError(f"not a file: {p}")
    if not p.parent.is_dir():
        raise ValueError(f"no such directory: {p.parent}")
    return p


def _redis_url(value: Any) -> str:
    text = str(value).strip()
    if urlsplit(text).scheme not in ("redis", "rediss", "unix"):
        # Never echo the value: a Redis URL may carry a password.
        raise ValueError("expected a redis://, rediss:// or unix:// URL")
    return text


def kms_endpoint_url(value: Any) -> str:
    """An http(s) URL without user info (credentials come from the AWS env/profile, never a URL)."""
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an http:// or https:// URL")
    if "@" in parts.netloc:
        raise ValueError("credentials do not belong in the URL (use AWS_ACCESS_KEY_ID/… or a profile)")
    return text


def _kms_key(value: Any) -> str:
    text = str(value).strip()
    if not text or len(text) > 2048 or any(c.isspace() for c in text):
        raise ValueError("expected a key id, key ARN, alias/NAME or alias ARN")
    return text


def _account(value: Any) -> str:
    text = str(value).strip()
    if len(text) != 12 or not text.isdigit():
        raise ValueError(f"expected a 12-digit AWS account id, got {text!r}")
    return text


def _region(value: Any) -> str:
    import re2  # type: ignore[import-untyped]

    text = str(value).strip()
    if not re2.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", text):
        raise ValueError(f"expected a region like us-east-1, got {text!r}")
    return text


def _host_port(value: Any) -> HostPort:
    text = str(value).strip()
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"port must be 0-65535, got {port!r}")
    return HostPort(host, int(port))


def _upstream(value: Any) -> UpstreamRoute:
    """``URL`` or ``url=URL,host=HOST,path=/PREFIX`` (host/path select the routed requests)."""
    text = str(value).strip()
    parts: dict[str, str] = {}
    if "=" in text.split("://", 1)[0]:
        for item in text.split(","):
            key, sep, val = item.partition("=")
            if not sep or key.strip() not in ("url", "host", "path"):
                raise ValueError(f"expected URL or url=...,host=...,path=..., got {item!r}")
            parts[key.strip()] = val.strip()
    else:
        parts["url"] = text
    url = parts.get("url", "")
    split = urlsplit(url)
    if split.scheme not in ("http", "https") or not split.hostname:
        raise ValueError(f"upstream must be an http:// or https:// URL, got {url!r}")
    if split.username is not None or split.password is not None:
        # Not supported (and it would end up in logs): never accept an option and ignore it.
        raise ValueError("credentials in the upstream URL are not supported")
    path = parts.get("path")
    if path is not None and not path.startswith("/"):
        raise ValueError(f"path prefix must start with '/', got {path!r}")
    host = parts.get("host")
    return UpstreamRoute(url=url.rstrip("/"), host=host.lower() if host else None, path_prefix=path)


def _cidr(value: Any) -> str:
    import ipaddress

    text = str(value).strip()
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise ValueError(f"not an IP address or CIDR: {text!r}") from None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true/false, got {value!r}")


def _int_min1(value: Any) -> int:
    try:
        n = int(str(value))
    except ValueError:
        raise ValueError(f"expected an integer, got {value!r}") from None
    if n < 1:
        raise ValueError(f"must be >= 1, got {n}")
    return n


def _int_min0(value: Any) -> int:
    return 0 if str(value).strip() == "0" else _int_min1(value)


def _seconds(value: Any) -> float:
    try:
        f = float(str(value))
    except ValueError:
        raise ValueError(f"expected seconds, got {value!r}") from None
    if not f > 0:
        raise ValueError(f"must be > 0, got {f}")
    return f


def _seconds_or_zero(value: Any) -> float:
    try:
        f = float(str(value))
    except ValueError:
        raise ValueError(f"expected seconds (0 turns it off), got {value!r}") from None
    if f < 0 or f != f:
        raise ValueError(f"must be >= 0, got {value!r}")
    return f


def _existing_dir(value: Any) -> Path:
    p = Path(str(value)).expanduser()
    if not p.is_dir():
        raise ValueError(f"no such directory: {p}")
    return p.resolve()


def _choice(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return text

    return parse


def _waf_log(value: Any) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError("expected a file path or '-'")
    return text


@dataclass(frozen=True, slots=True)
class _Option:
    field: str
    parse: Callable[[Any], Any]
    help: str
    metavar: str | None = None
    repeatable: bool = False


_OPTIONS: tuple[_Option, ...] = (
    _Option("upstream", _upstream, "upstream URL, or url=URL,host=H,path=/P to route (repeatable)",
            "URL", repeatable=True),
    _Option("acl", _path, "web ACL file, JSON or YAML (default: the shipped default ACL)", "PATH"),
    _Option("listen", _host_port, "data-path listen address (default 127.0.0.1:8080)", "HOST:PORT"),
    _Option("admin_listen", _host_port, "admin /healthz /readyz /metrics (default 127.0.0.1:9090)",
            "HOST:PORT"),
    _Option("workers", _int_min1, "worker processes (default 1)", "N"),
    _Option("tls_cert", _path, "terminate TLS with this certificate (PEM)", "PATH"),
    _Option("tls_key", _path, "private key of --tls-cert (PEM)", "PATH"),
    _Option("upstream_ca", _path, "verify the upstream against this CA (default: system CAs)", "PATH"),
    _Option("upstream_client_cert", _path, "client certificate for mTLS to the upstream", "PATH"),
    _Option("upstream_client_key", _path, "key of --upstream-client-cert", "PATH"),
    _Option("upstream_insecure_skip_verify", _bool, "DANGEROUS: do not verify the upstream certificate"),
    _Option("client_ca", _path, "require client certificates issued by this CA", "PATH"),
    _Option("trusted_proxy", _cidr, "peer CIDR allowed to set X-Forwarded-For (repeatable)", "CIDR",
            repeatable=True),
    _Option("preserve_host", _bool, "forward the client's Host (default) or --rewrite-host"),
    _Option("waf_log", _waf_log, "write AWS WAF log records to PATH, or - for stdout", "PATH"),
    _Option("log_level", _choice(*LOG_LEVELS), "log level (default info)", "LEVEL"),
    _Option("fail_mode", _choice("open", "closed"), "on engine errors: block (closed) or pass (open)",
            "MODE"),
    _Option("connect_timeout", _seconds, "upstream connect timeout, seconds (default 5)", "S"),
    _Option("read_timeout", _seconds, "upstream read timeout, seconds (default 30)", "S"),
    _Option("upstream_total_timeout", _seconds_or_zero,
            "bound on a whole upstream exchange, seconds (default 0: none)", "S"),
    _Option("redis", _redis_url, "share rate-based limits through this Redis (default: per process)", "URL"),
    _Option("hosts", _int_min1, "proxy hosts sharing --redis (the per-process share while it is down)",
            "N"),
    _Option("rate_limit_on_redis_failure", _choice("local", "open", "closed"),
            "while --redis is down: limit/processes locally (default), open or closed", "MODE"),
    _Option("redis_timeout", _seconds, "seconds a --redis answer may take before it counts as down "
            "(default 0.05)", "S"),
    _Option("flood_mitigation", _bool, "derive temporary rate rules against request floods (asgi/flood.py)"),
    _Option("body_inspection_cap", _int_min0, "bytes of each request body the managed groups inspect, "
            "streamed past the ACL's limit (default 1048576, 0 off; docs/managed-rules.md)", "BYTES"),
    _Option("body_over_cap", _choice("continue", "match"), "a body longer than --body-inspection-cap: "
            "forward the rest uninspected (continue, default) or block (match)", "MODE"),
    _Option("max_decompressed_body", _int_min1, "Content-Encoding bodies: decompressed bytes allowed, "
            "beyond: 413 (default 10485760)", "BYTES"),
    _Option("max_decompression_ratio", _int_min1, "Content-Encoding bodies: decompressed/compressed "
            "ratio allowed, beyond: 413 (default 100)", "N"),
    _Option("unknown_content_encoding", _choice("refuse", "forward"), "a Content-Encoding that cannot "
            "be decoded: 415 (refuse, default) or forward uninspected", "MODE"),
    _Option("credentials", _path, "INI of access keys allowed to call the WAFv2 API on --admin-listen",
            "PATH"),
    _Option("policy_file", _path, "IAM-style policies per principal for the WAFv2 API", "PATH"),
    _Option("state_dir", _directory, "where API changes persist (default: beside the ACL file)", "DIR"),
    _Option("account_id", _account, "account id in ARNs and label namespaces (default 000000000000)",
            "ID"),
    _Option("region", _region, "region in ARNs (default us-east-1)", "REGION"),
    _Option("kms_listen", _host_port, "also serve the KMS API in-process on this address", "HOST:PORT"),
    _Option("kms_data_dir", _directory, "KMS key store directory (with --kms-listen)", "DIR"),
    _Option("kms_root_key_file", _new_file, "KMS root key file (with --kms-listen)", "PATH"),
    _Option("waf_log_kms_key", _kms_key, "encrypt --waf-log files with data keys under this KMS key "
            "(from --kms-listen or --kms-endpoint)", "KEY_ID"),
    _Option("kms_endpoint", kms_endpoint_url, "KMS for --waf-log-kms-key (credentials: AWS env/profile)",
            "URL"),
    _Option("hub_db", _new_file, "findings hub database (default: hub.sqlite3 in the state dir's .wafproxy)",
            "PATH"),
    _Option("hub_retention_days", _int_min1, "keep findings this many days after their last update "
            "(default 90)", "DAYS"),
    _Option("hub_kms_key", _kms_key, "encrypt stored findings with a data key under this KMS key "
            "(from --kms-listen or --kms-endpoint)", "KEY_ID"),
    _Option("assess_interval", _seconds_or_zero, "seconds between assessments of the app and this "
            "configuration (default 3600, 0 off; first run a few seconds after start)", "S"),
    _Option("assess_osv_db", _existing_dir, "OSV database directory for the periodic assessment", "DIR"),
    _Option("detector", _choice("on", "dry-run", "off"), "threat detector: on (default), dry-run "
            "(findings only, no bans) or off", "MODE"),
    _Option("detector_policy", _path, "threat detector policy YAML (over the shipped default)", "PATH"),
    _Option("detector_findings", _waf_log, "write detector findings as JSON lines to PATH, or - for stdout",
            "PATH"),
    _Option("detector_webhook", kms_endpoint_url, "POST each finding as an EventBridge event to this URL",
            "URL"),
    _Option("findings_kms_key", _kms_key, "encrypt --detector-findings with data keys under this KMS key "
            "(the in-process KMS of --kms-listen)", "KEY_ID"),
    # Bounded resources (docs/operations.md): each past its bound is refused and counted.
    _Option("max_url_bytes", _int_min1, "request target over this many bytes: 414 (default 8192)", "N"),
    _Option("max_header_count", _int_min1, "more header fields: 431 (default 100)", "N"),
    _Option("max_header_bytes", _int_min1, "header fields over this many bytes: 431 (default 32768)", "N"),
    _Option("max_body_bytes", _int_min1, "request body over this many bytes: 413 (default 10485760)", "N"),
    _Option("body_timeout", _seconds, "no body byte for this long: 408 (default 30)", "S"),
    _Option("header_timeout", _seconds, "no complete request head this long after accept or the last "
            "answer: 408 (default 30)", "S"),
    _Option("keep_alive_timeout", _seconds, "idle keep-alive connections closed after (default 5)", "S"),
    _Option("max_connection_seconds", _seconds, "any connection (websockets too) closed after "
            "(default 7200)", "S"),
    _Option("max_websocket_frame_bytes", _int_min1, "websocket frame payload over this: close 1009 "
            "(default 16777216)", "N"),
    _Option("websocket_idle_timeout", _seconds_or_zero, "a websocket with no frame either way for "
            "this long: close 1001 to both sides (default 600, 0 off)", "S"),
    _Option("max_query_args", _int_min1, "query arguments over this: 414 (default and at most 1000)", "N"),
    _Option("max_cookies", _int_min1, "cookies over this: 431 (default and at most 1000)", "N"),
    _Option("max_json_depth", _int_min1, "inspected JSON body nested deeper: 413 (default and at most 64)",
            "N"),
    _Option("max_json_members", _int_min1, "inspected JSON body with more keys + values: 413 (default and "
            "at most 10000)", "N"),
    _Option("max_multipart_parts", _int_min1, "inspected multipart body with more parts: 413 (default and "
            "at most 1000)", "N"),
    _Option("max_multipart_header_bytes", _int_min1, "a multipart part's header block over this: 413 "
            "(default 8192)", "N"),
    _Option("max_requests_per_client", _int_min1, "concurrent requests per client: 429 (default 64)", "N"),
    _Option("max_tracked_clients", _int_min1, "clients tracked for the per-client limits: 503 past "
            "(default 100000)", "N"),
    _Option("max_connections_per_client", _int_min1, "connections per client, closed at accept past "
            "(default 128)", "N"),
    _Option("max_connections", _int_min1, "connections per process: 503 past (default 10000)", "N"),
)
_BY_FIELD = {o.field: o for o in _OPTIONS}
_TARGET = {"upstream": "upstreams", "trusted_proxy": "trusted_proxies"}
_PATH_FIELDS = ("acl", "tls_cert", "tls_key", "upstream_ca", "upstream_client_cert",
                "upstream_client_key", "client_ca", "credentials", "policy_file", "state_dir",
                "kms_data_dir", "kms_root_key_file", "hub_db", "assess_osv_db", "detector_policy")


def flag_of(field: str) -> str:
    return "--" + field.replace("_", "-")


def env_of(field: str) -> str:
    return ENV_PREFIX + field.upper()


def add_arguments(parser: argparse.ArgumentParser, *, exclude: Sequence[str] = ()) -> None:
    """Add every setting as a flag. Values stay raw strings here; ``resolve`` parses them."""
    parser.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                        help=f"YAML settings file (env {ENV_PREFIX}CONFIG)")
    for opt in _OPTIONS:
        if opt.field in exclude:
            continue
        help_text = f"{opt.help} (env {env_of(opt.field)})"
        if opt.field == "preserve_host":
            parser.add_argument("--preserve-host", dest="preserve_host", action="store_const",
                                const="true", default=argparse.SUPPRESS, help=help_text)
            parser.add_argument("--rewrite-host", dest="preserve_host", action="store_const",
                                const="false", default=argparse.SUPPRESS,
                                help="send the upstream's own host as Host")
        elif opt.parse is _bool:
            parser.add_argument(flag_of(opt.field), dest=opt.field, action="store_const", const="true",
                                default=argparse.SUPPRESS, help=help_text)
        else:
            parser.add_argument(flag_of(opt.field), dest=opt.field, metavar=opt.metavar,
                                action="append" if opt.repeatable else "store",
                                default=argparse.SUPPRESS, help=help_text)


def _load_config(path_text: str, source: str) -> dict[str, Any]:
    path = Path(path_text).expanduser()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(source, f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SettingsError(source, f"{path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(source, f"{path} must hold a mapping of settings")
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        name = {"upstreams": "upstream", "trusted_proxies": "trusted_proxy"}.get(name, name)
        if name not in _BY_FIELD:
            raise SettingsError(f"{path}: {key}", "unknown setting")
        out[name] = value
    return out


def resolve(ns: argparse.Namespace | None, environ: Mapping[str, str] | None = None,
            *, exclude: Sequence[str] = ()) -> Settings:
    """Merge flags > env > config file > defaults into one validated ``Settings``."""
    env = os.environ if environ is None else environ
    given = vars(ns) if ns is not None else {}
    config: dict[str, Any] = {}
    if "config" in given:
        config = _load_config(given["config"], "--config")
    elif env.get(ENV_PREFIX + "CONFIG"):
        config = _load_config(env[ENV_PREFIX + "CONFIG"], ENV_PREFIX + "CONFIG")
    values: dict[str, Any] = {}
    for opt in _OPTIONS:
        if opt.field in exclude:
            continue
        raw: Any
        if opt.field in given:
            source, raw = flag_of(opt.field), given[opt.field]
        elif env.get(env_of(opt.field), "").strip():
            source, raw = env_of(opt.field), env[env_of(opt.field)]
            if opt.repeatable:
                raw = raw.split() if opt.field == "upstream" else [p for p in raw.split(",") if p.strip()]
        elif opt.field in config:
            source, raw = f"config {opt.field}", config[opt.field]
            if opt.repeatable and not isinstance(raw, list):
                raw = [raw]
        else:
            continue
        try:
            parsed = tuple(opt.parse(v) for v in raw) if opt.repeatable else opt.parse(raw)
        except ValueError as exc:
            raise SettingsError(source, str(exc)) from None
        values[_TARGET.get(opt.field, opt.field)] = parsed
    return _validate(values)


def _validate(values: dict[str, Any]) -> Settings:
    """Cross-field rules, each naming the flag that has to change."""
    s = Settings(**{f.name: values[f.name] for f in fields(Settings) if f.name in values})
    if s.tls_key is not None and s.tls_cert is None:
        raise SettingsError("--tls-key", "needs --tls-cert")
    if s.client_ca is not None and s.tls_cert is None:
        raise SettingsError("--client-ca", "client certificates need TLS: set --tls-cert")
    if s.upstream_client_key is not None and s.upstream_client_cert is None:
        raise SettingsError("--upstream-client-key", "needs --upstream-client-cert")
    if s.upstream_insecure_skip_verify and s.upstream_ca is not None:
        raise SettingsError("--upstream-insecure-skip-verify", "contradicts --upstream-ca")
    catch_all = [u for u in s.upstreams if u.host is None and u.path_prefix is None]
    if len(catch_all) > 1:
        raise SettingsError("--upstream", "only one upstream may be unrouted (no host=/path=)")
    if s.listen == s.admin_listen and s.listen.port != 0:
        raise SettingsError("--admin-listen", f"same address as --listen ({s.listen})")
    if s.policy_file is not None and s.credentials is None:
        raise SettingsError("--policy-file", "needs --credentials (the API is off without them)")
    if s.hosts > 1 and s.redis is None:
        raise SettingsError("--hosts", "needs --redis (hosts share limits only through Redis)")
    if s.kms_listen is None and (s.kms_data_dir is not None or s.kms_root_key_file is not None):
        flag = "--kms-data-dir" if s.kms_data_dir else "--kms-root-key-file"
        raise SettingsError(flag, "needs --kms-listen")
    if s.kms_listen is not None and s.kms_listen.port != 0 and s.kms_listen in (s.listen, s.admin_listen):
        raise SettingsError("--kms-listen", "same address as --listen or --admin-listen")
    _validate_waf_log_kms(s)
    _validate_bounds(s)
    if (s.hub_db is not None or s.hub_kms_key is not None) and s.credentials is None:
        flag = "--hub-db" if s.hub_db else "--hub-kms-key"
        raise SettingsError(flag, "needs --credentials (the hub is off without them)")
    if s.hub_kms_key is not None and s.kms_endpoint is None and s.kms_listen is None:
        raise SettingsError("--hub-kms-key", "needs --kms-listen (in-process KMS) or --kms-endpoint")
    if s.findings_kms_key is not None and (not s.detector_findings or s.detector_findings == "-"):
        raise SettingsError("--findings-kms-key", "needs --detector-findings PATH (a file, not stdout)")
    if s.findings_kms_key is not None and s.kms_listen is None:
        raise SettingsError("--findings-kms-key", "needs --kms-listen (the in-process KMS)")
    return s


def _validate_bounds(s: Settings) -> None:
    """A content bound above its parser's cap, named by its flag (the others only need > 0)."""
    from wafproxy.engine.parsing import ContentLimits

    try:
        ContentLimits(**content_bounds(s))
    except ValueError as exc:
        name, _, message = str(exc).partition(": ")
        raise SettingsError(flag_of(name), message) from None


def content_bounds(s: Settings) -> dict[str, int]:
    """The ``ContentLimits`` keywords that were set."""
    return {name: getattr(s, name) for name in CONTENT_BOUNDS if getattr(s, name) is not None}


def shield_bounds(s: Settings) -> dict[str, Any]:
    """The ``ShieldLimits`` keywords that were set."""
    return {name: getattr(s, name) for name in SHIELD_BOUNDS if getattr(s, name) is not None}


SHIELD_BOUNDS = ("max_url_bytes", "max_header_count", "max_header_bytes", "max_body_bytes",
                 "body_timeout", "header_timeout", "keep_alive_timeout", "max_connection_seconds",
                 "max_websocket_frame_bytes", "max_requests_per_client", "max_tracked_clients",
                 "max_connections_per_client", "max_connections", "websocket_idle_timeout")
CONTENT_BOUNDS = ("max_query_args", "max_cookies", "max_json_depth", "max_json_members",
                  "max_multipart_parts", "max_multipart_header_bytes")


def _validate_waf_log_kms(s: Settings) -> None:
    if s.kms_endpoint is not None and s.waf_log_kms_key is None and s.hub_kms_key is None:
        raise SettingsError("--kms-endpoint", "only used by --waf-log-kms-key and --hub-kms-key")
    if s.waf_log_kms_key is None:
        return
    if not s.waf_log or s.waf_log == "-":
        raise SettingsError("--waf-log-kms-key", "needs --waf-log PATH (a file, not stdout)")
    if s.kms_endpoint is None and s.kms_listen is None:
        raise SettingsError("--waf-log-kms-key", "needs --kms-listen (in-process KMS) or --kms-endpoint")
    if s.kms_endpoint is None and s.workers > 1:
        # Workers are separate processes; the in-process KMS lives in the supervisor.
        raise SettingsError("--waf-log-kms-key", "with --workers > 1 needs --kms-endpoint")
