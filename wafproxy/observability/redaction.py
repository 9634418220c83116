"""What the WAF log keeps out of its records (AWS ``RedactedFields``), with safe defaults.

AWS lets a logging configuration redact ``SingleHeader``, ``UriPath``, ``QueryString`` and
``Method`` (see ``LoggingConfiguration.RedactedFields`` in the wafv2 service model); redacted values
are logged as the literal ``REDACTED``. We go one step further by default: credentials that a log
must never hold — ``Authorization``, ``Cookie`` and friends — are redacted even when no
configuration asks for it (issue 6), and a configuration can only add to that set.

Redaction also covers rule evidence: ``matchedData`` taken from a redacted component is replaced,
otherwise a rule matching on the ``Cookie`` header would copy the session id into the log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wafproxy.observability.errors import LoggingConfigError

REDACTED = "REDACTED"

# Lower-case names. Set-Cookie never arrives on a request, but proxies and tests sometimes echo it.
DEFAULT_REDACTED_HEADERS: frozenset[str] = frozenset(
    {"authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key"}
)

# AWS caps RedactedFields at 100 entries (service model: ``RedactedFields.max``).
_MAX_REDACTED_FIELDS = 100
_SUPPORTED = ("SingleHeader", "UriPath", "QueryString", "Method")

# ``MatchDetail.location`` values whose evidence comes from each redactable component.
_URI_LOCATIONS = frozenset({"URI", "URI_PATH"})
_QUERY_LOCATIONS = frozenset({"QUERY_STRING", "SINGLE_QUERY_ARG", "ALL_QUERY_ARGS", "ARGS"})
_METHOD_LOCATIONS = frozenset({"METHOD", "HTTP_METHOD"})
_HEADER_LOCATIONS = frozenset({"HEADER", "SINGLE_HEADER", "HEADERS"})
_COOKIE_LOCATIONS = frozenset({"COOKIE", "COOKIES"})


@dataclass(frozen=True, slots=True)
class Redaction:
    """The parts of a request the log replaces with ``REDACTED``.

    ``headers`` holds lower-case header names. Build it with ``parse_redacted_fields`` from the AWS
    shape; the constructor's defaults are the always-on credential headers.
    """

    headers: frozenset[str] = DEFAULT_REDACTED_HEADERS
    uri_path: bool = False
    query_string: bool = False
    method: bool = False

    def header_redacted(self, name: str) -> bool:
        return name.lower() in self.headers

    def evidence_redacted(self, location: str, field_name: str) -> bool:
        """True when a rule's ``matchedData`` from ``location``/``field_name`` could leak a
        redacted value. Errs on the side of redacting: an all-headers match without a field name
        is redacted whenever any header is."""
        loc = location.upper()
        if loc in _HEADER_LOCATIONS:
            return (not field_name and bool(self.headers)) or field_name.lower() in self.headers
        if loc in _COOKIE_LOCATIONS:
            return "cookie" in self.headers
        if loc in _URI_LOCATIONS:
            return self.uri_path
        if loc in _QUERY_LOCATIONS:
            return self.query_string
        if loc in _METHOD_LOCATIONS:
            return self.method
        return False


DEFAULT_REDACTION = Redaction()


def parse_redacted_fields(
    fields: Sequence[Mapping[str, object]] | None, *, path: str = "RedactedFields"
) -> Redaction:
    """Parse AWS ``RedactedFields`` (a list of ``FieldToMatch``) on top of the default redaction.

    Each entry names exactly one component. Components AWS does not allow for redaction (``Body``,
    ``Cookies``, ...) are an error, as they are in ``PutLoggingConfiguration``.
    """
    if fields is None:
        return DEFAULT_REDACTION
    if not isinstance(fields, Sequence) or isinstance(fields, str | bytes):
        raise LoggingConfigError(path, "must be a list of FieldToMatch objects")
    if len(fields) > _MAX_REDACTED_FIELDS:
        raise LoggingConfigError(path, f"at most {_MAX_REDACTED_FIELDS} entries")
    headers = set(DEFAULT_REDACTED_HEADERS)
    uri_path = query_string = method = False
    for i, entry in enumerate(fields):
        where = f"{path}[{i}]"
        if not isinstance(entry, Mapping) or len(entry) != 1:
            raise LoggingConfigError(where, "must name exactly one field to match")
        ((kind, spec),) = entry.items()
        if kind not in _SUPPORTED:
            raise LoggingConfigError(
                f"{where}.{kind}", f"cannot be redacted; supported: {', '.join(_SUPPORTED)}"
            )
        if not isinstance(spec, Mapping):
            raise LoggingConfigError(f"{where}.{kind}", "must be an object")
        if kind == "SingleHeader":
            name = spec.get("Name")
            if not isinstance(name, str) or not name or len(name) > 64:
                raise LoggingConfigError(f"{where}.SingleHeader.Name", "a header name of 1-64 characters")
            if set(spec) - {"Name"}:
                raise LoggingConfigError(
                    f"{where}.SingleHeader", f"unknown keys {sorted(set(spec) - {'Name'})}"
                )
            headers.add(name.lower())
            continue
        if spec:
            raise LoggingConfigError(f"{where}.{kind}", "takes no settings (use {})")
        if kind == "UriPath":
            uri_path = True
        elif kind == "QueryString":
            query_string = True
        else:
            method = True
    return Redaction(frozenset(headers), uri_path, query_string, method)
