"""One event's WAF log line, byte for byte what ``json.dumps(to_log_record(...))`` writes, cheaply.

The writer thread runs in the proxy's process, so every line it builds is CPU the proxy's requests
pay for. ``to_log_record`` builds ~30 dicts and lists per request and ``json.dumps`` walks them
again: ~135,000 machine instructions per line (callgrind), a quarter of a served GET (issue 11).
Most requests are plain, though: no rule matched, nothing to redact but the credential headers.
For those ``plain_line`` writes the JSON text directly from a template, escaping each string with
the JSON module's own C function (``encode_basestring_ascii``, what ``json.dumps`` uses with
``ensure_ascii``), and memoizes the headers' text per header tuple (a client sends the same
headers again and again). Anything else (a match, evidence, inserted headers, a value that is not
a plain ``str`` / ``int``) returns None and the caller takes the general path. Tests compare the
two paths' bytes over varied events.
"""

from __future__ import annotations

from json.encoder import encode_basestring_ascii as _q

from wafproxy.events import RequestEvent
from wafproxy.observability.redaction import REDACTED, Redaction
from wafproxy.observability.waflog import FORMAT_VERSION, UNKNOWN_COUNTRY, http_version

_MEMO_MAX = 1024
_MEMO_FRAGMENT_MAX = 2048  # bytes: a larger header set is encoded each time (memory stays ~2 MiB)
_REDACTED = _q(REDACTED)


class PlainLines:
    """Builds plain requests' lines; holds the headers memo of one redaction at a time."""

    __slots__ = ("_redaction", "_headers")

    def __init__(self) -> None:
        self._redaction: Redaction | None = None
        self._headers: dict[tuple[tuple[str, str], ...], str] = {}

    def _headers_text(self, headers: tuple[tuple[str, str], ...], redaction: Redaction) -> str:
        if redaction is not self._redaction:  # a new logging configuration: a new memo
            self._headers = {}
            self._redaction = redaction
        text = self._headers.get(headers)
        if text is None:
            redacted = redaction.headers
            text = "[" + ",".join(
                f'{{"name":{_q(name)},"value":{_REDACTED if name.lower() in redacted else _q(value)}}}'
                for name, value in headers
            ) + "]"
            if len(text) <= _MEMO_FRAGMENT_MAX:
                if len(self._headers) >= _MEMO_MAX:
                    self._headers.clear()
                self._headers[headers] = text
        return text

    def line(self, event: RequestEvent, redaction: Redaction, web_acl_id: str | None,
             http_source_id: str) -> bytes | None:
        """The line (with its newline), or None when the event is not plain."""
        d = event.decision
        if d.matches or d.non_terminating or d.terminating_details or d.inserted_headers:
            return None
        r = event.request
        body_size = r.body_size
        inspected = len(r.body)
        response = d.custom_response.status_code if d.custom_response else None
        if type(body_size) is not int or (response is not None and type(response) is not int):
            return None
        code = "null" if response is None else response
        try:
            labels = ",".join(f'{{"name":{_q(label)}}}' for label in d.labels)
            text = (
                f'{{"timestamp":{int(event.timestamp * 1000)},"formatVersion":{FORMAT_VERSION},'
                f'"webaclId":{_q(web_acl_id if web_acl_id is not None else event.web_acl)},'
                f'"terminatingRuleId":{_q(d.terminating_rule_id)},'
                f'"terminatingRuleType":{_q(d.terminating_rule_type.value)},'
                f'"action":{_q(d.action.value)},"terminatingRuleMatchDetails":[],'
                f'"httpSourceName":{_q(event.source)},"httpSourceId":{_q(http_source_id)},'
                f'"ruleGroupList":[],"rateBasedRuleList":[],"nonTerminatingMatchingRules":[],'
                f'"requestHeadersInserted":null,"responseCodeSent":{code},'
                f'"httpRequest":{{"clientIp":{_q(r.client_ip)},"country":{_q(UNKNOWN_COUNTRY)},'
                f'"headers":{self._headers_text(r.headers, redaction)},'
                f'"uri":{_REDACTED if redaction.uri_path else _q(r.uri_path)},'
                f'"args":{_REDACTED if redaction.query_string else _q(r.query_string)},'
                f'"httpVersion":{_q(http_version(r.http_version))},'
                f'"httpMethod":{_REDACTED if redaction.method else _q(r.method)},'
                f'"requestId":{_q(r.request_id)}}},'
                f'"labels":[{labels}],"requestBodySize":{body_size},"requestBodySizeInspectedByWAF":{inspected}'
            )
            if r.ja3_fingerprint is not None:
                text += f',"ja3Fingerprint":{_q(r.ja3_fingerprint)}'
            if r.ja4_fingerprint is not None:
                text += f',"ja4Fingerprint":{_q(r.ja4_fingerprint)}'
        except (TypeError, AttributeError):  # not a str (None, a number): the general path decides
            return None
        return (text + "}\n").encode("ascii")
