"""The cross-field rules of ``Settings``: each names the flag that has to change.

A value alone is checked by its parser (``values``); what only makes sense with another setting
(``--tls-key`` without ``--tls-cert``, ``--hosts`` without ``--redis``…) is checked here, once,
when ``Settings.from_values`` makes the object: a contradiction is a ``SettingsError`` at start-up,
never a surprise under traffic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wafproxy.settings.bounds import content_bounds
from wafproxy.settings.errors import SettingsError
from wafproxy.settings.names import flag_of

if TYPE_CHECKING:
    from wafproxy.settings.model import Settings


def check(s: Settings) -> None:
    """Raise ``SettingsError`` for the first rule ``s`` breaks (groups in a fixed order, so the same
    settings always name the same flag)."""
    _check_tls(s)
    _check_addresses(s)
    _check_control_plane(s)
    _check_kms(s)
    _validate_waf_log_kms(s)
    _validate_bounds(s)
    _check_hub_and_findings(s)


def _check_tls(s: Settings) -> None:
    """Each half of a TLS pair needs the other; skipping verification contradicts a CA to verify by."""
    if s.tls_key is not None and s.tls_cert is None:
        raise SettingsError("--tls-key", "needs --tls-cert")
    if s.client_ca is not None and s.tls_cert is None:
        raise SettingsError("--client-ca", "client certificates need TLS: set --tls-cert")
    if s.upstream_client_key is not None and s.upstream_client_cert is None:
        raise SettingsError("--upstream-client-key", "needs --upstream-client-cert")
    if s.upstream_insecure_skip_verify and s.upstream_ca is not None:
        raise SettingsError("--upstream-insecure-skip-verify", "contradicts --upstream-ca")


def _check_addresses(s: Settings) -> None:
    """One catch-all upstream at most; the admin listener apart from the data path (port 0 aside:
    the kernel picks two different ports)."""
    catch_all = [u for u in s.upstreams if u.host is None and u.path_prefix is None]
    if len(catch_all) > 1:
        raise SettingsError("--upstream", "only one upstream may be unrouted (no host=/path=)")
    if s.listen == s.admin_listen and s.listen.port != 0:
        raise SettingsError("--admin-listen", f"same address as --listen ({s.listen})")


def _check_control_plane(s: Settings) -> None:
    """Options that would be silently unused without what they work through (STYLE principle 4)."""
    if s.policy_file is not None and s.credentials is None:
        raise SettingsError("--policy-file", "needs --credentials (the API is off without them)")
    if s.hosts > 1 and s.redis is None:
        raise SettingsError("--hosts", "needs --redis (hosts share limits only through Redis)")


def _check_kms(s: Settings) -> None:
    """The in-process KMS: its store needs its listener, which needs an address of its own."""
    if s.kms_listen is None and (s.kms_data_dir is not None or s.kms_root_key_file is not None):
        flag = "--kms-data-dir" if s.kms_data_dir else "--kms-root-key-file"
        raise SettingsError(flag, "needs --kms-listen")
    if s.kms_listen is not None and s.kms_listen.port != 0 and s.kms_listen in (s.listen, s.admin_listen):
        raise SettingsError("--kms-listen", "same address as --listen or --admin-listen")


def _check_hub_and_findings(s: Settings) -> None:
    """The hub lives behind --credentials; encrypted findings need a file and a KMS to key it."""
    if (s.hub_db is not None or s.hub_kms_key is not None) and s.credentials is None:
        flag = "--hub-db" if s.hub_db else "--hub-kms-key"
        raise SettingsError(flag, "needs --credentials (the hub is off without them)")
    if s.hub_kms_key is not None and s.kms_endpoint is None and s.kms_listen is None:
        raise SettingsError("--hub-kms-key", "needs --kms-listen (in-process KMS) or --kms-endpoint")
    if s.findings_kms_key is not None and (not s.detector_findings or s.detector_findings == "-"):
        raise SettingsError("--findings-kms-key", "needs --detector-findings PATH (a file, not stdout)")
    if s.findings_kms_key is not None and s.kms_listen is None:
        raise SettingsError("--findings-kms-key", "needs --kms-listen (the in-process KMS)")


def _validate_bounds(s: Settings) -> None:
    """A content bound above its parser's cap, named by its flag (the others only need > 0)."""
    from wafproxy.engine.parsing import ContentLimits

    try:
        ContentLimits(**content_bounds(s))
    except ValueError as exc:
        name, _, message = str(exc).partition(": ")
        raise SettingsError(flag_of(name), message) from None


def _validate_waf_log_kms(s: Settings) -> None:
    """An encrypted WAF log needs a file and a KMS its process can reach."""
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
