"""Errors of the observability layer: each one names the path of the offending setting.

A logging configuration arrives as AWS ``PutLoggingConfiguration`` shapes (from a file today, from
the control plane later). A bad one is refused with the JSON path of the field, the way the control
plane will report ``WAFInvalidParameterException`` — never accepted and silently ignored.
"""

from __future__ import annotations


class LoggingConfigError(ValueError):
    """A ``RedactedFields`` / ``LoggingFilter`` value we cannot honour.

    ``path`` is a JSON-path-like location such as ``LoggingFilter.Filters[0].Conditions[1]``.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
