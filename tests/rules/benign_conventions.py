"""API conventions a generic WAF must let through (``benign_traffic.py``): OData ``$filter``,
SCIM filters, JSON:API and PostgREST query grammars, GraphQL over GET, OAuth/OIDC and SAML redirect
parameters, presigned URLs, and the headers and cookies real stacks send (SigV4, RFC 7239
``Forwarded``, W3C ``baggage``/``tracestate``, webhook signatures, crawler user agents, WordPress,
Laravel, Express and Next.js session cookies). Written for this repository from the public specs.
"""

# ruff: noqa: E501  -- query strings and header values are data, one line each as sent.
from __future__ import annotations

from typing import Any

from tests.rules import benign_requests as br
from tests.rules.benign_bodies import case

QUERIES = (
    "$filter=Price%20gt%2020%20and%20Category%20eq%20'Books'&$orderby=Name%20desc&$top=10&$select=Name,Price",
    "$filter=startswith(CompanyName,%20'Alfr')%20eq%20true&$count=true",
    "$filter=contains(tolower(Name),'o''brien')&$expand=Orders($select=Id;$top=5)",
    "$filter=Address/City%20eq%20'Redmond'%20or%20Address/City%20eq%20'Seattle'",
    "$filter=CreatedAt%20ge%202026-01-01T00:00:00Z%20and%20Status%20ne%20'Deleted'&$skip=20",
    "filter=userName%20eq%20%22bjensen%22%20and%20name.familyName%20sw%20%22J%22",
    "filter=emails%5Btype%20eq%20%22work%22%20and%20value%20co%20%22%40example.com%22%5D",
    "filter=meta.lastModified%20gt%20%222026-01-23T04:56:22Z%22&startIndex=1&count=100",
    "filter%5Bname%5D=o%27brien&filter%5Bage%5D%5Bgte%5D=18&page%5Bsize%5D=10&sort=-created,name&include=author,comments.author",
    "fields=items(id,snippet/title,contentDetails/duration)&maxResults=25&pageToken=CBkQAA",
    "query=%7Buser(id%3A%221%22)%7Bname%20friends(first%3A10)%7Bedges%7Bnode%7Bname%7D%7D%7D%7D%7D",
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261207%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261207T100000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
    "q=title:(wool%20OR%20linen)%20AND%20price:%5B10%20TO%2050%5D%20-brand:acme",
    "where=%7B%22status%22%3A%22open%22%2C%22owner%22%3A%7B%22in%22%3A%5B1%2C2%5D%7D%7D&sort=%7B%22created%22%3A-1%7D",
    "select=id,name,orders(id,total)&order=created_at.desc&status=eq.open&name=ilike.*smith*",
    "or=(age.lt.18,age.gt.65)&and=(name.eq.x)",
    "range=bytes%3D0-1023&v=2",
    "callback=jQuery3600123_1700000000000&_=1700000000001",
    "redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Fcallback%3Fnext%3D%252Fdashboard%253Ftab%253D2&response_type=code&scope=openid%20profile%20email&state=af0ifjsldkj&nonce=n-0S6_WzA2Mj&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
    "SAMLRequest=fZJNT8MwDIbvSPyHKvcu6aBrRm&RelayState=%2Fapp%3Ftab%3D1&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256&Signature=abc%2Bdef%3D",
    "utm_source=google&utm_medium=cpc&utm_campaign=brand%7Cexact&utm_term=%2Bwool%20%2Bsocks&gclid=Cj0KCQiA",
    "text=%3E%20quoted%20reply%0Amy%20answer",
    "sql_mode=strict&db=orders_2026&table=line_items",
    "cmd=refresh&target=cache&scope=all",
    "exec=1&debug=0&select=all",
    "file=report-2026.pdf&path=%2Fshared%2Freports",
    "url=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1%26c%3D2%23frag",
    "next=%2F%2Fexample.com%2Fdashboard",
    "q=how%20to%20escape%20%3Cdiv%3E%20in%20react",
    "q=drop%20table%20tennis%20rules",
    "q=1%3D1%20in%20python",
    "q=C%23%20vs%20C%2B%2B",
    "q=%22exact%20phrase%22%20-exclude%20site%3Aexample.com",
)
HEADERS = (
    (
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261207/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
    ),
    (
        "Link",
        '<https://api.example.com/items?page=3>; rel="next", <https://api.example.com/items?page=9>; rel="last"',
    ),
    ("Forwarded", 'for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"'),
    ("baggage", "userId=alice,serverNode=DF%2028,isProduction=false"),
    ("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"),
    ("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
    ("Stripe-Signature", "t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"),
    ("Prefer", "return=minimal; handling=lenient"),
    ("Range", "bytes=0-1023, 2048-4095"),
    ("If-Match", '"33a64df551425fcc55e4d42a148795d9f25f89d4"'),
    ("User-Agent", "Wget/1.21.3"),
    ("User-Agent", "libwww-perl/6.72"),
    ("User-Agent", "python-urllib3/2.0.7"),
    ("User-Agent", "Java/17.0.2"),
    ("User-Agent", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
    ("User-Agent", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
    ("User-Agent", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"),
    ("User-Agent", "Apache-HttpClient/4.5.14 (Java/17.0.8)"),
    ("User-Agent", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)"),
    (
        "User-Agent",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    ),
    (
        "Cookie",
        "wordpress_logged_in_abc=admin%7C1700000000%7Ctoken%7Chash; wp-settings-1=libraryContent%3Dbrowse%26editor%3Dtinymce; wp-settings-time-1=1700000000",
    ),
    (
        "Cookie",
        "XSRF-TOKEN=eyJpdiI6IkJ4d3V2dz09IiwidmFsdWUiOiJhYmMiLCJtYWMiOiJkZWYifQ%3D%3D; laravel_session=eyJpdiI6Ij09In0%3D",
    ),
    (
        "Cookie",
        "connect.sid=s%3AbN3gN0r1kJ.abcDEF%2Bghi%2Fjkl; ajs_user_id=%22u_123%22; ajs_anonymous_id=%2261a3e0b2-1234%22",
    ),
    (
        "Cookie",
        "_fbp=fb.1.1700000000000.123456789; _hjSessionUser_123=eyJpZCI6ImFiYyIsImNyZWF0ZWQiOjE3MDAwMDAwMDAwMDB9; cf_clearance=abc.def-1700000000-0-150",
    ),
    (
        "Cookie",
        "remember_web_59ba36addc2b2f9401580f014c7f58ea4e30989d=eyJpdiI6IjEyMyJ9; __Secure-next-auth.session-token=eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..abc.def.ghi",
    ),
    (
        "Cookie",
        "JSESSIONID=4F2B9C1D8E7A6B5C; AWSALB=abc/def+ghi==; AWSALBCORS=abc/def+ghi==; PHPSESSID=9a8b7c6d5e4f",
    ),
    ("X-Forwarded-For", "203.0.113.7, 198.51.100.23, 10.0.0.5"),
    ("Accept", "application/vnd.github+json"),
    ("Content-Type", "application/json; charset=utf-8"),
    ("X-Requested-With", "XMLHttpRequest"),
    ("Origin", "https://app.example.com"),
    (
        "Referer",
        "https://www.google.com/search?q=wool+socks+%22made+in+germany%22&oq=wool+socks&sourceid=chrome&ie=UTF-8",
    ),
    ("Referer", "https://www.bing.com/search?q=select+all+shortcut+mac&form=QBLH"),
    ("Referer", "https://duckduckgo.com/?q=drop+down+menu+css&ia=web"),
    ("X-Api-Key", "sk_live_51H8x0123456789abcdef"),
)


def convention_cases() -> list[dict[str, Any]]:
    """Each query string on a GET, each header on a GET with an ordinary user agent."""
    out = [
        case(
            "conventions-query",
            i,
            "URLParam",
            br.request("GET", "/api/v1/items?" + q, [["User-Agent", br.USER_AGENTS[0]]]),
        )
        for i, q in enumerate(QUERIES)
    ]
    for i, (name, value) in enumerate(HEADERS):
        hdrs = [] if name == "User-Agent" else [["User-Agent", br.USER_AGENTS[1]]]
        out.append(
            case(
                "conventions-header",
                i,
                "Cookie" if name == "Cookie" else "Header",
                br.request("GET", "/api/v1/items", [*hdrs, [name, value]]),
            )
        )
    return out
