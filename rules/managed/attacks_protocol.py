"""Attack classes of the protocol managed rule group: what each matches, and why.

Two kinds of classes. Payload classes (a regex tuple and placements, as in every other family)
look for protocol tricks inside a URI path, query string, header or body. Whole-request classes
carry a hand-written WAFv2 statement (``RuleClass.statement``) over the method, one named header
or the header names, for checks a payload in a placement cannot express ("a body on a HEAD").

What we adopt from CRS 911/920/921/922 and what we leave (issue 4: protocol anomalies *a user
would expect* to be blocked): request smuggling and parser-desync markers, encodings no browser
produces, backup/config/key files in the path, multipart and charset tricks, header names and
values no real client sends. Not blocked: a missing Host or User-Agent, a numeric Host (health
checks, Kubernetes probes), REST and WebDAV methods, POST without Content-Type (``fetch`` with a
Blob or ArrayBuffer sends none), long argument values, CloudEvents/CSP-report/NDJSON/GraphQL/
octet-stream content types, Shift_JIS or windows-1251 forms. ``docs/managed-rules.md`` has the
trade-off of each class. See ``ruleclass.py`` for the conventions every regex here follows.
"""

from __future__ import annotations

import attacks_protocol_values
from ruleclass import (
    HEADER_ORDER,
    METHOD,
    I,
    RuleClass,
    all_of,
    any_of,
    has_header,
    header,
    method_is,
    none_of,
    not_one_of,
    regex,
    vt,
)

# ---- Vocabularies ------------------------------------------------------------------------------

# The IANA HTTP Method Registry (RFC 9110, WebDAV/DeltaV/CalDAV/ACL/BIND/ordered collections,
# the QUERY method), minus three that have no place on a reverse-proxied web application: TRACE
# (echoes the request, cookies included: cross-site tracing), CONNECT (a tunnel through us) and
# PRI (the HTTP/2 preface sent as an HTTP/1 request: a desync probe).
METHODS = (
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
    "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
    "REPORT", "SEARCH", "MKCALENDAR", "ACL", "BIND", "UNBIND", "REBIND",
    "VERSION-CONTROL", "CHECKOUT", "CHECKIN", "UNCHECKOUT", "MKWORKSPACE", "UPDATE", "LABEL",
    "MERGE", "MKACTIVITY", "BASELINE-CONTROL", "ORDERPATCH", "MKREDIRECTREF", "UPDATEREDIRECTREF",
    "LINK", "UNLINK", "QUERY",
)  # fmt: skip
WEBDAV_METHODS = (
    "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "SEARCH",
    "MKCALENDAR", "ACL", "BIND", "UNBIND", "REBIND", "VERSION-CONTROL", "CHECKOUT", "CHECKIN",
    "UNCHECKOUT", "MKWORKSPACE", "UPDATE", "LABEL", "MERGE", "MKACTIVITY", "BASELINE-CONTROL",
    "ORDERPATCH", "PUT", "DELETE",
)  # fmt: skip

# Charsets a real client declares for a request body or asks for a response in: ASCII-compatible
# encodings whose bytes below 0x80 mean ASCII, so what the WAF reads as `<script` or `' or` is what
# the application decodes. Not here (and blocked): UTF-7/16/32, EBCDIC code pages (ibm037, cp500,
# cp1026…), and names no decoder knows (a typo'd or probing `utf-80`, `garbage`).
CHARSETS = (
    "utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8",
    "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us",
    *(f"iso-8859-{n}" for n in range(1, 17)), "iso8859-1", "iso_8859-1", "iso8859-15", "latin1", "latin-1",
    *(f"windows-{n}" for n in range(1250, 1259)), "cp1251", "cp1252", "binary",
    "windows-874", "tis-620", "koi8-r", "koi8-u",
    "shift_jis", "shift-jis", "sjis", "x-sjis", "windows-31j", "cp932", "ms932", "euc-jp", "x-euc-jp",
    "iso-2022-jp", "euc-kr", "ks_c_5601-1987", "cp949", "iso-2022-kr", "gb2312", "gbk", "cp936",
    "gb18030", "euc-cn", "big5", "big5-hkscs", "cp950",
)  # fmt: skip
# Inside a multipart part no browser declares a charset at all (the form's encoding applies to
# every part): a part charset other than the common Western ones asks the app's parser to transcode
# bytes the WAF inspected as they were (CRS 922110).
PART_CHARSETS = (
    "utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "iso-8859-15", "latin1", "windows-1252", "cp1252",
    "binary",  # libmagic's "charset=binary", copied into part headers by some upload clients
)
_NOT_CHARSET = not_one_of(CHARSETS)
_NOT_PART_CHARSET = not_one_of(PART_CHARSETS)
_CS_END = r"(?:[\s\x0b,;=\"']|$)"
MULTIPART_SUBTYPES = (
    "form-data", "mixed", "related", "alternative", "digest", "parallel", "byteranges", "signed",
    "encrypted", "report", "x-mixed-replace",
)  # fmt: skip
_MEDIA_TOP = r"(?:application|text|multipart|image|audio|video|message|model|font)/"

# ---- Payload classes ---------------------------------------------------------------------------

# HTTP request smuggling / splitting (CRS 921110): a second request line glued to a value or after
# a raw CR/LF, which a proxy that re-frames the body may forward as a request of its own.
_SMUGGLING = (
    I + r"(?:[\r\n]\s*|[a-z0-9])(?:get|post|head|put|delete|options|trace|connect|patch|propfind)\s+(?:/|https?://|\*)\S*\s+http/\d(?:\.\d)?\b",
)

# Multipart part headers that split parsers (CRS 920120 / 922): a field name holding `;`, `=` or
# `\` (parsers that split the header on `;`/`=` or unescape disagree on the name); a file name
# with an escaped quote, an HTML entity (`&amp;x;` — decoded by some parsers, not others), a
# percent-encoded executable extension, or a backslash inside the extension (`1.j\s\p`: `.jsp` to a
# parser that drops backslashes). A Windows path (`C:\fakepath\cv.pdf`) has its backslashes before
# the last dot and passes.
_MULTIPART = (
    I + r"content-disposition\s*:[^\r\n]*\bname\s*=\s*\"[^\"\r\n]*[\\;=][^\"\r\n]*\"",
    I + r"content-disposition\s*:[^\r\n]*\bfilename\s*=\s*[^\r\n]*(?:\\\"|&#|&[a-z][a-z0-9]*;|%[0-9a-f]{2}[^\r\n]*\.(?:php|phtml|jsp|aspx?)\b)",
    I + r"content-disposition\s*:[^\r\n]*\bfilename\s*=\s*\"[^\"\r\n]*\.[^\"\\\r\n./]{0,8}\\[^\\\"\r\n]",
)

# Multipart part charsets (CRS 922110) and the `_charset_` field (CRS 922100, the HTML form's
# way to tell the server the encoding of the whole form): a charset outside the list above asks the
# app to transcode (UTF-7 `+ADw-script+AD4-` is `<script>`). The part-header form is anchored to
# a part that is also a form-data field (Content-Disposition before or after it), so an uploaded
# e-mail (.eml) with its own MIME parts does not count.
_HDR_LINES = r"(?:[a-z][a-z0-9-]*[ \t]*:[^\r\n]*\r?\n){0,4}"  # other headers of the same part
_PART_CHARSET = (
    I + r"content-disposition\s*:\s*form-data[^\r\n]*\r?\n" + _HDR_LINES + r"content-type\s*:[^\r\n]*;\s*charset\s*=\s*[\"']?" + _NOT_PART_CHARSET + _CS_END,
    I + r"content-type\s*:[^\r\n]*;\s*charset\s*=\s*[\"']?" + _NOT_PART_CHARSET + r"[^\r\n]*\r?\n" + _HDR_LINES + r"content-disposition\s*:\s*form-data",
    I + r"\bname\s*=\s*\"?_charset_\"?[^\r\n]*\r?\n" + _HDR_LINES + r"\r?\n[ \t]*" + _NOT_CHARSET + r"[ \t]*\r?\n",
    I + r"(?:^|&)_charset_=\s*" + _NOT_CHARSET + r"\s*(?:&|$)",
)

# Request-body charsets (CRS 920480), in any header: an encoding that re-encodes every byte
# (UTF-7/16/32, UCS-2/4, EBCDIC `ibm037`/`cp500`/`cp1026` — not the ASCII-compatible cp1252 or
# cp932) wherever `charset=` appears; a name outside CHARSETS where it follows a media type
# (`text/plain; charset=utf-80`; a `?charset=auto` in a Referer URL passes); two charsets in one
# header (which one wins depends on the parser).
_EBCDIC_CP = r"cp-?(?:0\d\d|[235]\d\d|4[0-2]\d|8(?:3\d|7\d|80)|9[0-2]\d|10[0-4]\d|11[4-6]\d|13[6-9]\d)(?:[^0-9]|$)"
_CHARSET = (
    I + r"\bcharset\s*=\s*[\"']?(?:ibm-?\d|csibm|ebcdic|utf-?(?:7|16|32)|ucs-?[24]|x-ebcdic|" + _EBCDIC_CP + r")",
    I + r"\b[a-z]+/[a-z0-9.+*-]+\s*;(?:[^;,]*;)*\s*charset\s*=\s*[\"']?" + _NOT_CHARSET + _CS_END,
    I + r"\bcharset\s*=[^;]*;\s*charset\s*=",
)

# Backup, source-control, configuration, database, log and key files requested by extension
# (CRS 920440/920500; AWS RestrictedExtensions_URIPATH): what a scanner asks for after an editor
# or a deploy left `config.php.bak`, `dump.sql` or `index.php~` in the web root. Only at the end
# of a path segment: `/docs/app.config.js`, `/blog/sql-tips` and `/api/db/users` pass.
_EXTENSIONS = (
    I + r"\.(?:bak|backup|bck|bkp|old|orig|save|swp|swo|tmp|temp|dist"
    r"|sql|sqlite3?|db|db3|mdb|accdb|dbf|rdb|frm|myd|myi|ldf|mdf|dump"
    r"|ini|conf|cfg|config|inc|env|htpasswd|htaccess|npmrc|pgpass"
    r"|log|pem|key|p12|pfx|jks|keystore|ppk|kdbx"
    r"|asa|asax|ascx|cs|csproj|vb|vbproj|sln|suo|licx|resx|resources)(?:[/;]|$)",
    I + r"\.[a-z0-9]{1,6}~(?:[/;]|$)",
)

# Encodings no browser or HTTP library produces, in the bytes as sent (RAW): an encoded NUL
# (truncates a path or string in C-backed code, CRS 920270), Microsoft %uHHHH for ASCII or for
# full-width punctuation (IIS maps %uFF0F to `/`, CRS 920260; JavaScript's escape() only writes
# %u for characters above U+00FF, and full-width letters and digits pass), and UTF-8 that is
# overlong or beyond U+10FFFF (`%c0%af` is `/` to lenient decoders, CRS 920250). A truncated
# sequence passes: legacy Latin-1 forms send `caf%E9`. `%25` repeats catch double encoding.
# Also: an encoded control byte other than tab, CR, LF, VT and FF (CRS 920271; single-encoded
# only: `%2510` is a typed `%10`, as in a search for `printf %10s`), and a percent escape whose
# hex digits are themselves percent-encoded (`%25%37%33` is `%73`, then `s`: CRS 920230; no
# encoder escapes digits or letters).
_P = r"%(?:25)*"
_HEXDIGIT = r"%(?:3[0-9]|[46][1-6])"
_INVALID_ENCODING = (
    I + _P + r"00",
    I + r"%(?:0[1-8ef]|1[0-9a-f]|7f)|%(?:25)+" + _HEXDIGIT + _HEXDIGIT,
    I + _P + r"u(?:00[0-9a-f]{2}|ff(?:0[1-9a-f]|1[a-f]|20|3[b-f]|40|5[b-e]))",
    I + _P + r"c[01]" + _P + r"[89ab][0-9a-f]|" + _P + r"e0" + _P + r"[89][0-9a-f]|" + _P + r"f0" + _P + r"8[0-9a-f]",
    I + _P + r"f4" + _P + r"[9ab][0-9a-f]|" + _P + r"f[5-7]" + _P + r"[89ab][0-9a-f]",
)

# A CR or LF in the URI path (CRS 921190): no URL has one; a proxy or log that writes the path
# back into a header or a line is split.
_PATH_NEWLINE = (I + _P + r"0[ad]",)

# A response header after a multi-byte character whose last byte ends in 0x0A or 0x0D
# (`%E5%98%8A%E5%98%8DSet-Cookie:`, U+560A U+560D): servers that write a Unicode string into a
# header by keeping each character's low byte turn it into CR LF (the "Unicode CRLF" injection).
# Anchored on the response headers worth injecting, so CJK text followed by a word and a colon
# (`/wiki/日本語Talk:x`) passes.
_UNICODE_NEWLINE = (
    I + r"%(?:25)*[89ab][ad](?:set-cookie|location|refresh|content-(?:type|length|security-policy|disposition)"
    r"|access-control-allow-[a-z-]+|x-xss-protection|link)\s*(?::|%3a)",
)

# Apache mod_proxy `unix:` socket path followed by `|` and a URL (CVE-2021-40438, CRS 921240):
# the part after `|` becomes the backend, an SSRF to any host.
_UNIX_SOCKET = (I + r"\bunix:[^|\s]*\|\s*[a-z][a-z0-9+.-]*:",)

# `$Version=` in a Cookie header (CRS 921250): RFC 2109 cookie syntax that no browser sends;
# servers that still parse it (Jetty, Tomcat, Python) read a quoted value across `;`, so one
# cookie hides others from the WAF ("phantom $Version cookie" smuggling).
_COOKIE_VERSION = (I + r"\$version\s*=\s*\"?\d",)

# ---- Whole-request classes ---------------------------------------------------------------------

# A method outside the registry (CRS 911100): `SUBSCRIBE`, `DEBUG`, `TRACK`, `PURGE` (a cache purge
# from the internet), `FOO`, `|GET`; TRACE, CONNECT, PRI; and any method with a lower-case letter
# (methods are case-sensitive, RFC 9110 §9.1: `get` is not GET to a strict backend and may be to
# a lenient one). The HTTP server passes every well-formed method token to the WAF (a request
# line that is not `token SP target SP version` is answered 400 before it).
# Also a method-override header (`X-HTTP-Method-Override`, `X-HTTP-Method`, `X-Method-Override`:
# Google APIs, OData, Express method-override) naming one of those: the method the application
# acts on (TRACE through a POST). Tunnelling GET, PATCH, MERGE… through POST passes.
_OVERRIDE_HEADERS = ("x-http-method-override", "x-http-method", "x-method-override")
_RESTRICTED_METHOD = any_of(
    regex(METHOD, I + r"^" + not_one_of(METHODS) + r"$"),
    regex(METHOD, r"[a-z]"),
    all_of(
        has_header(*_OVERRIDE_HEADERS),  # the header list is scanned anyway: no scan when absent
        any_of(*(regex(header(h), I + r"^\s*" + not_one_of(METHODS) + r"\s*$") for h in _OVERRIDE_HEADERS)),
    ),
)

# A body where the method gives it no meaning (CRS 920170/920171; RFC 9110 §9.3.1: a body on GET
# or HEAD "might lead some implementations to reject the request and close the connection because
# of its potential as a request smuggling attack"): any body on HEAD, a non-JSON body on GET (JSON
# search APIs such as Elasticsearch's GET _search pass), Transfer-Encoding on GET or HEAD.
_HAS_BODY = regex(header("content-length"), r"^\s*0*[1-9]")
_UNEXPECTED_BODY = any_of(
    all_of(_HAS_BODY, method_is("HEAD")),
    all_of(_HAS_BODY, method_is("GET"), none_of(regex(header("content-type"), I + r"json"))),
    all_of(has_header("transfer-encoding"), method_is("GET", "HEAD")),
)

# Transfer-Encoding beside Content-Length (the CL.TE / TE.CL smuggling pair, RFC 9112 §6.1), or a
# Transfer-Encoding that is not a plain list of codings ending in `chunked` (`xchunked`,
# `chunked, identity`, `chunked\x0b`: front and back end disagree on the framing).
_TRANSFER_ENCODING = any_of(
    regex(HEADER_ORDER, r"(?:^|:)transfer-encoding:(?:[^:]*:)*content-length(?::|$)|(?:^|:)content-length:(?:[^:]*:)*transfer-encoding(?::|$)"),
    all_of(
        has_header("transfer-encoding"),
        regex(
            header("transfer-encoding"),
            I + r"chunked[ \t]*[^ \t]|[^a-z, \t-]|(?:^|,)[ \t]*"
            + not_one_of(("chunked", "gzip", "deflate", "compress", "x-gzip", "x-compress"))
            + r"[ \t]*(?:,|$)|^[ \t,]*$",
        ),
    ),
)

# Request headers with no business on a request to a web app (CRS 920450 and httpoxy):
# `Proxy` (httpoxy, CVE-2016-5385: CGI turns it into HTTP_PROXY, the app's outbound proxy),
# `Request-Range` (obsolete Netscape-era twin of Range, used to dodge Range mitigations such as
# the Apache Killer fix, CRS 920660), WebDAV `If` / `Lock-Token` on a non-WebDAV method (IIS 6
# WebDAV overflow CVE-2017-7269 arrived in `If`), `Content-Range` on a method without a body
# (resumable PUT/POST/PATCH uploads such as Google Drive's keep it), `Content-Encoding` on
# GET/HEAD/OPTIONS (a compressed body the WAF cannot read, on a method that has none).
_RESTRICTED_HEADERS = any_of(
    has_header("proxy", "request-range"),
    all_of(has_header("if", "lock-token"), none_of(method_is(*WEBDAV_METHODS))),
    all_of(has_header("content-range"), method_is("GET", "HEAD", "OPTIONS", "DELETE")),
    all_of(has_header("content-encoding"), method_is("GET", "HEAD", "OPTIONS")),
)

# Range abuse (CRS 920190, the "Apache Killer" CVE-2011-3192): an open-ended range followed by
# more ranges (`bytes=0-,5-0,5-1…`: the whole file, then overlaps), 16 or more ranges, or a range
# whose end has fewer digits than its start (end < start). A video player's `bytes=1024-` and a
# PDF viewer's handful of ranges pass. Also a Range that is not `unit=ranges` (`1-2`, `bytes 0-1`:
# CRS 921230) or holds an empty range `-` (CRS 920200); `items=0-24` (REST pagination) passes.
_RANGE = all_of(
    has_header("range"),
    regex(
        header("range"),
        I + r"^\s*[^a-z\s]|^\s*[a-z]+\s*[0-9,-]|(?:=|,)\s*-\s*(?:,|$)|\d-\s*,|^\s*bytes\s*=(?:[^,]*,){15}|(?:=|,)\s*(?:[1-9]\d\d-\d{1,2}|[1-9]\d-\d|[1-9]\d{3}-\d{1,3}|[1-9]\d{4,}-\d{1,4})\s*(?:,|$)",
    ),
)

# `Connection` options (CRS 920210 and hop-by-hop abuse): `keep-alive` and `close` together or
# twice, or a token naming an end-to-end header (`Connection: close, X-Forwarded-For`) — every
# proxy on the way, wafproxy included, deletes the headers `Connection` names, so a client can
# strip what a CDN or auth proxy added. Browsers send `keep-alive` or `close`, websockets
# `Upgrade`, Perl's LWP `TE`, curl's h2c upgrade `HTTP2-Settings`.
_CONNECTION = regex(
    header("connection"),
    I + r"\b(?:keep-alive|close)\s*,(?:[^,]*,)*\s*(?:keep-alive|close)\b|(?:^|,)\s*"
    + not_one_of(("keep-alive", "close", "upgrade", "te", "http2-settings"))
    + r"\s*(?:,|$)",
)

# A Content-Type that is not `type/subtype *(; name=value)` (CRS 920420/920470/921421), where
# parsers fall back differently: no `/` (`my-new-content-type`, `application`), an empty type or
# subtype (`multipart/`), two types (`application/json, text/xml`), a parameter without `=`
# (`; garbage`), whitespace around the boundary's `=` (one parser keeps it in the boundary, the
# other trims it), a multipart subtype nobody defines (`multipart/foo`: form-data to one parser,
# opaque to another), a `boundary` on a non-multipart type, and a media type as the boundary
# (`x-www-form-urlencoded;boundary="application/json"`: a WAF that substring-matches "json"
# parses the body as JSON), and a multipart type without a boundary on a request with a body
# (RFC 2046 §5.1.1 requires one: parsers guess it from the body or give up, the WAF cannot split
# the parts). Vendor types (`application/vnd.x+json`, `application/cloudevents+json`,
# `application/csp-report`) are well-formed and pass.
_CONTENT_TYPE = any_of(
    regex(header("content-type"), I + r"^\s*[^/;,\s]+\s*(?:[;,]|$)"),
    regex(header("content-type"), I + r"^\s*/|^[^;,]*/\s*(?:[;,]|$)|^[^;,\"]*/[^;,\"]*,"),
    regex(header("content-type"), I + r";\s*[^\s;=\"]+\s*(?:;|$)"),
    regex(header("content-type"), I + r";\s*boundary(?:\s+=|\s*=\s+)"),
    regex(header("content-type"), I + r"^\s*multipart\s*/\s*" + not_one_of(MULTIPART_SUBTYPES) + r"\s*(?:;|$)"),
    regex(header("content-type"), I + r"^\s*" + not_one_of(("multipart",)) + r"\s*/[^\r\n]*;\s*boundary\s*="),
    regex(header("content-type"), I + r"\bboundary\s*=\s*[\"']?\s*" + _MEDIA_TOP),
    all_of(
        regex(header("content-type"), I + r"^\s*multipart\s*/"),
        none_of(regex(header("content-type"), I + r";\s*boundary\s*=")),
        any_of(_HAS_BODY, has_header("transfer-encoding")),
    ),
)

# A charset in Accept outside CHARSETS (CRS 920600): a response in UTF-7 or EBCDIC hides markup
# from response inspection and turns reflected text into script in old browsers. Browsers send no
# charset in Accept; API clients that add `; charset=utf-8` pass. Also a charset outside CHARSETS
# in `X-Up-Devcap-Post-Charset` (CRS 920490: the Openwave WAP header that tells a server the
# encoding of a form body, `ibm500`: an EBCDIC body the WAF reads as bytes); no current client
# sends it.
_ACCEPT_CHARSET = any_of(
    regex(header("accept"), I + r"\bcharset\s*=\s*[\"']?" + _NOT_CHARSET + _CS_END),
    all_of(
        has_header("x-up-devcap-post-charset"),  # the header list is scanned anyway: no scan when absent
        regex(header("x-up-devcap-post-charset"), I + r"^[\s\"']*" + _NOT_CHARSET + _CS_END),
    ),
)

# A CR or LF in a query argument *name* (CRS 921150/921160): no form or client writes one; it is
# header injection aimed at code that copies names into headers or logs. In the bytes as sent,
# where `&` and `=` still separate arguments (a multi-line text *value* passes).
_ARG_NAME_NEWLINE = regex({"QueryString": {}}, I + r"(?:^|&)[^=&]*%(?:25)*0[ad]")

_CHARSET = tuple(vt(rx) for rx in _CHARSET)
_PART_CHARSET = tuple(vt(rx) for rx in _PART_CHARSET)

CLASSES: tuple[RuleClass, ...] = (
    RuleClass("protocol", "BodyCharsetEvasion", _CHARSET, placements=("HEADER",)),
    RuleClass("protocol", "MultipartEvasion", _MULTIPART, placements=("BODY",)),
    RuleClass("protocol", "MultipartCharset", _PART_CHARSET, placements=("BODY",)),
    RuleClass("protocol", "RequestSmuggling", _SMUGGLING, chains=("DEC",)),
    RuleClass("protocol", "RestrictedExtensions", _EXTENSIONS, placements=("URIPATH",)),
    RuleClass("protocol", "InvalidEncoding", _INVALID_ENCODING, placements=("URIPATH", "QUERYARGUMENTS"), chains=("RAW",)),
    RuleClass("protocol", "PathNewline", _PATH_NEWLINE, placements=("URIPATH",), chains=("RAW",)),
    RuleClass("protocol", "UnicodeNewline", _UNICODE_NEWLINE, placements=("URIPATH", "QUERYARGUMENTS"), chains=("RAW",)),
    RuleClass("protocol", "UnixSocketProxy", _UNIX_SOCKET, placements=("URIPATH", "QUERYARGUMENTS")),
    RuleClass("protocol", "CookieVersion", _COOKIE_VERSION, placements=("HEADER",)),
    RuleClass("protocol", "RestrictedMethod", placements=("METHOD",), statement=_RESTRICTED_METHOD),
    RuleClass("protocol", "UnexpectedBody", placements=("METHOD",), statement=_UNEXPECTED_BODY),
    RuleClass("protocol", "TransferEncoding", placements=("HEADER",), statement=_TRANSFER_ENCODING),
    RuleClass("protocol", "RestrictedHeaders", placements=("HEADER",), statement=_RESTRICTED_HEADERS),
    RuleClass("protocol", "RangeAbuse", placements=("HEADER",), statement=_RANGE),
    RuleClass("protocol", "ConnectionOptions", placements=("HEADER",), statement=_CONNECTION),
    RuleClass("protocol", "ContentTypeMalformed", placements=("HEADER",), statement=_CONTENT_TYPE),
    RuleClass("protocol", "AcceptCharset", placements=("HEADER",), statement=_ACCEPT_CHARSET),
    RuleClass("protocol", "ArgumentNameNewline", placements=("QUERYARGUMENTS",), statement=_ARG_NAME_NEWLINE),
    *attacks_protocol_values.CLASSES,
)
