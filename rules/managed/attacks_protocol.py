"""Attack classes of the protocol managed rule group(s): what each matches, and why.

See ``ruleclass.py`` for the conventions every regex here follows."""

from __future__ import annotations

from ruleclass import I, RuleClass

# HTTP request smuggling / splitting (CRS 921110): a second request line glued to a value or after
# a raw CR/LF, which a proxy that re-frames the body may forward as a request of its own.
_SMUGGLING = (
    I + r"(?:[\r\n]\s*|[a-z0-9])(?:get|post|head|put|delete|options|trace|connect|patch|propfind)\s+(?:/|https?://|\*)\S*\s+http/\d(?:\.\d)?\b",
)

# Multipart field names with quoting tricks that split parsers (CRS 920120 / 922).
_MULTIPART = (
    I + r"content-disposition\s*:[^\r\n]*\bname\s*=\s*\"[^\"\r\n]*[\\;][^\"\r\n]*\"|content-disposition\s*:[^\r\n]*\bfilename\s*=\s*[^\r\n]*(?:\\\"|&#|%[0-9a-f]{2}[^\r\n]*\.(?:php|phtml|jsp|aspx?)\b)",
)

# Request-body charsets that re-encode every byte (EBCDIC code pages, UTF-7/16/32), or two
# charsets at once: the WAF and the app would decode the body differently.
_CHARSET = (
    I + r"\bcharset\s*=\s*[\"']?(?:ibm\d|cp\d|ebcdic|utf-?7|utf-?16|utf-?32|x-[a-z]|csibm|garbage)|\bcharset\s*=[^;]*;\s*charset\s*=",
)

CLASSES: tuple[RuleClass, ...] = (
    RuleClass("protocol", "BodyCharsetEvasion", _CHARSET, placements=("HEADER",)),
    RuleClass("protocol", "MultipartEvasion", _MULTIPART, placements=("BODY",)),
    RuleClass("protocol", "RequestSmuggling", _SMUGGLING, chains=("DEC",)),
)
