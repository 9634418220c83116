"""Every setting of ``serve`` / ``demo``: its field, parser, help, flag shape; the one table.

The flags (``sources.add_arguments``), the env vars and the config keys (``sources.resolve``) are
all read off this table, so a setting added here exists in all three at once, under the names
``names.flag_of`` / ``names.env_of`` derive from the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wafproxy.settings.values import (
    account_id,
    boolean,
    cidr,
    directory,
    existing_dir,
    existing_file,
    host_port,
    kms_endpoint_url,
    kms_key,
    new_file,
    one_of,
    output_path,
    positive_int,
    positive_int_or_zero,
    redis_url,
    region,
    seconds,
    seconds_or_zero,
    upstream_route,
)

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


@dataclass(frozen=True, slots=True)
class Option:
    """One setting as the command line, the environment and the config file know it."""

    field: str
    parse: Callable[[Any], Any]
    help: str
    metavar: str | None = None
    repeatable: bool = False


OPTIONS: tuple[Option, ...] = (
    Option("upstream", upstream_route, "upstream URL, or url=URL,host=H,path=/P to route (repeatable)",
           "URL", repeatable=True),
    Option("acl", existing_file, "web ACL file, JSON or YAML (default: the shipped default ACL)", "PATH"),
    Option("listen", host_port, "data-path listen address (default 127.0.0.1:8080)", "HOST:PORT"),
    Option("admin_listen", host_port, "admin /healthz /readyz /metrics (default 127.0.0.1:9090)",
           "HOST:PORT"),
    Option("workers", positive_int, "worker processes (default 1)", "N"),
    Option("tls_cert", existing_file, "terminate TLS with this certificate (PEM)", "PATH"),
    Option("tls_key", existing_file, "private key of --tls-cert (PEM)", "PATH"),
    Option("upstream_ca", existing_file, "verify the upstream against this CA (default: system CAs)", "PATH"),
    Option("upstream_client_cert", existing_file, "client certificate for mTLS to the upstream", "PATH"),
    Option("upstream_client_key", existing_file, "key of --upstream-client-cert", "PATH"),
    Option("upstream_insecure_skip_verify", boolean, "DANGEROUS: do not verify the upstream certificate"),
    Option("client_ca", existing_file, "require client certificates issued by this CA", "PATH"),
    Option("trusted_proxy", cidr, "peer CIDR allowed to set X-Forwarded-For (repeatable)", "CIDR",
           repeatable=True),
    Option("preserve_host", boolean, "forward the client's Host (default) or --rewrite-host"),
    Option("waf_log", output_path, "write AWS WAF log records to PATH, or - for stdout", "PATH"),
    Option("log_level", one_of(*LOG_LEVELS), "log level (default info)", "LEVEL"),
    Option("fail_mode", one_of("open", "closed"), "on engine errors: block (closed) or pass (open)",
           "MODE"),
    Option("connect_timeout", seconds, "upstream connect timeout, seconds (default 5)", "S"),
    Option("read_timeout", seconds, "upstream read timeout, seconds (default 30)", "S"),
    Option("upstream_total_timeout", seconds_or_zero,
           "bound on a whole upstream exchange, seconds (default 0: none)", "S"),
    Option("redis", redis_url, "share rate-based limits through this Redis (default: per process)", "URL"),
    Option("hosts", positive_int, "proxy hosts sharing --redis (the per-process share while it is down)",
           "N"),
    Option("rate_limit_on_redis_failure", one_of("local", "open", "closed"),
           "while --redis is down: limit/processes locally (default), open or closed", "MODE"),
    Option("redis_timeout", seconds, "seconds a --redis answer may take before it counts as down "
           "(default 0.05)", "S"),
    Option("flood_mitigation", boolean, "derive temporary rate rules against request floods (asgi/flood.py)"),
    Option("body_inspection_cap", positive_int_or_zero, "bytes of each request body the managed groups "
           "inspect, streamed past the ACL's limit (default 1048576, 0 off; docs/managed-rules.md)", "BYTES"),
    Option("body_over_cap", one_of("continue", "match"), "a body longer than --body-inspection-cap: "
           "forward the rest uninspected (continue, default) or block (match)", "MODE"),
    Option("max_decompressed_body", positive_int, "Content-Encoding bodies: decompressed bytes allowed, "
           "beyond: 413 (default 10485760)", "BYTES"),
    Option("max_decompression_ratio", positive_int, "Content-Encoding bodies: decompressed/compressed "
           "ratio allowed, beyond: 413 (default 100)", "N"),
    Option("unknown_content_encoding", one_of("refuse", "forward"), "a Content-Encoding that cannot "
           "be decoded: 415 (refuse, default) or forward uninspected", "MODE"),
    Option("credentials", existing_file, "INI of access keys allowed to call the WAFv2 API on --admin-listen",
           "PATH"),
    Option("policy_file", existing_file, "IAM-style policies per principal for the WAFv2 API", "PATH"),
    Option("state_dir", directory, "where API changes persist (default: beside the ACL file)", "DIR"),
    Option("account_id", account_id, "account id in ARNs and label namespaces (default 000000000000)",
           "ID"),
    Option("region", region, "region in ARNs (default us-east-1)", "REGION"),
    Option("kms_listen", host_port, "also serve the KMS API in-process on this address", "HOST:PORT"),
    Option("kms_data_dir", directory, "KMS key store directory (with --kms-listen)", "DIR"),
    Option("kms_root_key_file", new_file, "KMS root key file (with --kms-listen)", "PATH"),
    Option("waf_log_kms_key", kms_key, "encrypt --waf-log files with data keys under this KMS key "
           "(from --kms-listen or --kms-endpoint)", "KEY_ID"),
    Option("kms_endpoint", kms_endpoint_url, "KMS for --waf-log-kms-key (credentials: AWS env/profile)",
           "URL"),
    Option("hub_db", new_file, "findings hub database (default: hub.sqlite3 in the state dir's .wafproxy)",
           "PATH"),
    Option("hub_retention_days", positive_int, "keep findings this many days after their last update "
           "(default 90)", "DAYS"),
    Option("hub_kms_key", kms_key, "encrypt stored findings with a data key under this KMS key "
           "(from --kms-listen or --kms-endpoint)", "KEY_ID"),
    Option("assess_interval", seconds_or_zero, "seconds between assessments of the app and this "
           "configuration (default 3600, 0 off; first run a few seconds after start)", "S"),
    Option("assess_osv_db", existing_dir, "OSV database directory for the periodic assessment", "DIR"),
    Option("detector", one_of("on", "dry-run", "off"), "threat detector: on (default), dry-run "
           "(findings only, no bans) or off", "MODE"),
    Option("detector_policy", existing_file, "threat detector policy YAML (over the shipped default)",
           "PATH"),
    Option("detector_findings", output_path, "write detector findings as JSON lines to PATH, or - for stdout",
           "PATH"),
    Option("detector_webhook", kms_endpoint_url, "POST each finding as an EventBridge event to this URL",
           "URL"),
    Option("findings_kms_key", kms_key, "encrypt --detector-findings with data keys under this KMS key "
           "(the in-process KMS of --kms-listen)", "KEY_ID"),
    # Bounded resources (docs/operations.md): each past its bound is refused and counted.
    Option("max_url_bytes", positive_int, "request target over this many bytes: 414 (default 8192)", "N"),
    Option("max_header_count", positive_int, "more header fields: 431 (default 100)", "N"),
    Option("max_header_bytes", positive_int, "header fields over this many bytes: 431 (default 32768)", "N"),
    Option("max_body_bytes", positive_int, "request body over this many bytes: 413 (default 10485760)", "N"),
    Option("body_timeout", seconds, "no body byte for this long: 408 (default 30)", "S"),
    Option("header_timeout", seconds, "no complete request head this long after accept or the last "
           "answer: 408 (default 30)", "S"),
    Option("keep_alive_timeout", seconds, "idle keep-alive connections closed after (default 5)", "S"),
    Option("max_connection_seconds", seconds, "any connection (websockets too) closed after "
           "(default 7200)", "S"),
    Option("max_websocket_frame_bytes", positive_int, "websocket frame payload over this: close 1009 "
           "(default 16777216)", "N"),
    Option("websocket_idle_timeout", seconds_or_zero, "a websocket with no frame either way for "
           "this long: close 1001 to both sides (default 600, 0 off)", "S"),
    Option("max_query_args", positive_int, "query arguments over this: 414 (default and at most 1000)", "N"),
    Option("max_cookies", positive_int, "cookies over this: 431 (default and at most 1000)", "N"),
    Option("max_json_depth", positive_int, "inspected JSON body nested deeper: 413 (default and at most 64)",
           "N"),
    Option("max_json_members", positive_int, "inspected JSON body with more keys + values: 413 (default and "
           "at most 10000)", "N"),
    Option("max_multipart_parts", positive_int, "inspected multipart body with more parts: 413 (default and "
           "at most 1000)", "N"),
    Option("max_multipart_header_bytes", positive_int, "a multipart part's header block over this: 413 "
           "(default 8192)", "N"),
    Option("max_requests_per_client", positive_int, "concurrent requests per client: 429 (default 64)", "N"),
    Option("max_tracked_clients", positive_int, "clients tracked for the per-client limits: 503 past "
           "(default 100000)", "N"),
    Option("max_connections_per_client", positive_int, "connections per client, closed at accept past "
           "(default 128)", "N"),
    Option("max_connections", positive_int, "connections per process: 503 past (default 10000)", "N"),
)

BY_FIELD = {o.field: o for o in OPTIONS}
# Repeatable options fill a plural field (and the config file accepts the plural as a key too).
PLURAL_FIELD = {"upstream": "upstreams", "trusted_proxy": "trusted_proxies"}
