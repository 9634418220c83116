"""A whole AWS ``LoggingConfiguration`` (``PutLoggingConfiguration``), parsed once into values.

The writer needs two of its parts — ``RedactedFields`` and ``LoggingFilter`` — and the control
plane must hand the rest back unchanged from ``GetLoggingConfiguration``. So the identity fields
(``ResourceArn``, ``LogDestinationConfigs``, ``ManagedByFirewallManager``) are kept verbatim here,
and the fields that would change behaviour we do not have (``LogType`` other than ``WAF_LOGS``,
``LogScope`` other than ``CUSTOMER``) are refused with their path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wafproxy.observability.errors import LoggingConfigError
from wafproxy.observability.logging_filter import KEEP_ALL, LoggingFilter, parse_logging_filter
from wafproxy.observability.redaction import DEFAULT_REDACTION, Redaction, parse_redacted_fields

_KNOWN = {
    "ResourceArn", "LogDestinationConfigs", "RedactedFields", "ManagedByFirewallManager",
    "LoggingFilter", "LogType", "LogScope",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    """What the WAF log writer applies, plus the identity fields the control plane echoes back."""

    redaction: Redaction = DEFAULT_REDACTION
    logging_filter: LoggingFilter = KEEP_ALL
    resource_arn: str = ""
    log_destination_configs: tuple[str, ...] = ()
    managed_by_firewall_manager: bool = False


def parse_logging_configuration(
    raw: Mapping[str, object], *, path: str = "LoggingConfiguration"
) -> LoggingSettings:
    """Parse the ``LoggingConfiguration`` shape (PascalCase keys, as in the wafv2 service model)."""
    if not isinstance(raw, Mapping):
        raise LoggingConfigError(path, "must be an object")
    unknown = set(raw) - _KNOWN
    if unknown:
        raise LoggingConfigError(path, f"unsupported keys {sorted(unknown)}")
    if raw.get("LogType", "WAF_LOGS") != "WAF_LOGS":
        raise LoggingConfigError(f"{path}.LogType", "only WAF_LOGS is supported")
    if raw.get("LogScope", "CUSTOMER") != "CUSTOMER":
        raise LoggingConfigError(f"{path}.LogScope", "only CUSTOMER is supported")
    arn = raw.get("ResourceArn", "")
    if not isinstance(arn, str):
        raise LoggingConfigError(f"{path}.ResourceArn", "must be a string")
    destinations = raw.get("LogDestinationConfigs", [])
    if (
        not isinstance(destinations, Sequence)
        or isinstance(destinations, str | bytes)
        or len(destinations) > 1
        or not all(isinstance(d, str) and d for d in destinations)
    ):
        raise LoggingConfigError(f"{path}.LogDestinationConfigs", "a list of at most one destination string")
    managed = raw.get("ManagedByFirewallManager", False)
    if not isinstance(managed, bool):
        raise LoggingConfigError(f"{path}.ManagedByFirewallManager", "must be a boolean")
    redacted = raw.get("RedactedFields")
    logging_filter = raw.get("LoggingFilter")
    if logging_filter is not None and not isinstance(logging_filter, Mapping):
        raise LoggingConfigError(f"{path}.LoggingFilter", "must be an object")
    return LoggingSettings(
        redaction=parse_redacted_fields(redacted, path=f"{path}.RedactedFields"),  # type: ignore[arg-type]
        logging_filter=parse_logging_filter(logging_filter, path=f"{path}.LoggingFilter"),
        resource_arn=arn,
        log_destination_configs=tuple(str(d) for d in destinations),
        managed_by_firewall_manager=managed,
    )
