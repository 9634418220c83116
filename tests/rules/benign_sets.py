"""A benign generator for issue 15: plain API and user traffic that looks like attacks to a
careless WAF. None of its cases may be blocked by the default web ACL (``test_sets.py``).

Shapes: XML API bodies (SOAP, RSS, Atom, WebDAV PROPFIND/PROPPATCH, SAML, XML-RPC, sitemaps),
boolean search syntax, code snippets and developer prose in form fields, Markdown, URLs with query
strings inside values, and non-English text (Cyrillic, CJK, Arabic, Hebrew, Devanagari, Thai,
emoji) in every placement: query, form, multipart, JSON, cookie, header and path. Deterministic:
the same cases on every run (``random.Random(15)``).
"""

# ruff: noqa: E501  -- XML templates and sample texts are data, one line each as sent.
from __future__ import annotations

import base64
import json
import random
from itertools import product
from typing import Any
from urllib.parse import quote

from tests.rules.benign_carriers import carrier_payloads, header_token_cases
from tests.rules.setkit import VALUE_PLACEMENTS, Body, Path, Payload, Raw, cases

_RNG_SEED = 15
TEXT_PLACEMENTS = ("HTMLForm", "HTMLMultipartForm", "JSONRequest")
SEARCH_PLACEMENTS = ("URLParam", "HTMLForm", "JSONRequest", "Cookie")

# ---- XML API bodies -----------------------------------------------------------------------------
_SOAP = """<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:m="urn:example:{ns}">
  <soap:Header><m:Auth soap:mustUnderstand="1"><m:Token>{token}</m:Token></m:Auth></soap:Header>
  <soap:Body>
    <m:{op}>
      <m:{field}>{value}</m:{field}>
      <m:Count xsi:type="xsd:int">{n}</m:Count>
    </m:{op}>
  </soap:Body>
</soap:Envelope>"""
_SOAP12 = """<?xml version="1.0"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope">
 <env:Header><wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">urn:{ns}/{op}</wsa:Action></env:Header>
 <env:Body><{op} xmlns="urn:{ns}"><{field}>{value}</{field}><limit>{n}</limit></{op}></env:Body>
</env:Envelope>"""
_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>{title}</title>
  <link>https://{host}/blog/</link>
  <atom:link href="https://{host}/feed.xml" rel="self" type="application/rss+xml"/>
  <description>{value}</description>
  <item>
    <title>{title} #{n}</title>
    <link>https://{host}/blog/post?id={n}&amp;utm_source=rss&amp;utm_medium=feed</link>
    <guid isPermaLink="false">{token}</guid>
    <pubDate>Tue, 0{d} Mar 2026 10:00:00 GMT</pubDate>
    <description>&lt;p&gt;{value}&lt;/p&gt;&lt;p&gt;&lt;a href="https://{host}/blog/post?id={n}"&gt;Read more&lt;/a&gt;&lt;/p&gt;</description>
    <content:encoded><![CDATA[<p>{value}</p><img src="https://{host}/img/{n}.jpg" alt="{title}">]]></content:encoded>
    <enclosure url="https://{host}/media/{n}.mp3" length="{n}000" type="audio/mpeg"/>
  </item>
</channel>
</rss>"""
_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>{title}</title>
  <link href="https://{host}/" rel="alternate"/>
  <link href="https://{host}/atom.xml" rel="self"/>
  <id>urn:uuid:{token}</id>
  <updated>2026-03-0{d}T18:30:02Z</updated>
  <entry>
    <title type="html">{title} &amp;amp; more</title>
    <link href="https://{host}/posts/{n}?ref=atom" rel="alternate" type="text/html"/>
    <id>tag:{host},2026:{n}</id>
    <updated>2026-03-0{d}T18:30:02Z</updated>
    <summary type="html">&lt;p&gt;{value}&lt;/p&gt;</summary>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>{value}</p><a href="https://{host}/posts/{n}">link</a></div></content>
    <author><name>{title}</name><email>editor@{host}</email></author>
  </entry>
</feed>"""
_PROPFIND = """<?xml version="1.0" encoding="utf-8" ?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:displayname/><D:getcontentlength/><D:getlastmodified/><D:resourcetype/><D:getetag/><C:calendar-description/></D:prop>
</D:propfind>"""
_PROPPATCH = """<?xml version="1.0" encoding="utf-8" ?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://ns.example.com/standards/z39.50/">
  <D:set><D:prop><Z:Authors><Z:Author>{title}</Z:Author></Z:Authors><D:displayname>{value}</D:displayname></D:prop></D:set>
  <D:remove><D:prop><Z:Copyright-Owner/></D:prop></D:remove>
</D:propertyupdate>"""
_LOCK = """<?xml version="1.0" encoding="utf-8" ?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>
<D:owner><D:href>mailto:{title}@{host}</D:href></D:owner></D:lockinfo>"""
_SAML_AUTHN = """<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_{token}" Version="2.0" IssueInstant="2026-03-0{d}T10:00:00Z" Destination="https://idp.{host}/sso" AssertionConsumerServiceURL="https://{host}/saml/acs?tenant={n}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>https://{host}/metadata</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/></samlp:AuthnRequest>"""
_SAML_RESPONSE = """<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r{token}" InResponseTo="_{token}" Version="2.0" IssueInstant="2026-03-0{d}T10:00:01Z" Destination="https://{host}/saml/acs"><saml:Issuer>https://idp.{host}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="_a{token}" Version="2.0" IssueInstant="2026-03-0{d}T10:00:01Z"><saml:Issuer>https://idp.{host}</saml:Issuer><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#_a{token}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>{digest}{digest}</ds:SignatureValue></ds:Signature><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{title}@{host}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="2026-03-0{d}T10:05:01Z" Recipient="https://{host}/saml/acs"/></saml:SubjectConfirmation></saml:Subject><saml:AttributeStatement><saml:Attribute Name="displayName"><saml:AttributeValue>{value}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>"""
_XMLRPC = """<?xml version="1.0"?>
<methodCall><methodName>{ns}.{op}</methodName><params><param><value><string>{value}</string></value></param><param><value><int>{n}</int></value></param><param><value><struct><member><name>{field}</name><value><boolean>1</boolean></value></member></struct></value></param></params></methodCall>"""
_SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">
  <url><loc>https://{host}/products?category={field}&amp;page={n}</loc><lastmod>2026-03-0{d}</lastmod><changefreq>weekly</changefreq><priority>0.8</priority>
  <xhtml:link rel="alternate" hreflang="de" href="https://{host}/de/products?page={n}"/></url>
</urlset>"""
_ORDER = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<order xmlns="urn:example:{ns}" id="{n}"><customer><name>{title}</name><note><![CDATA[{value}]]></note></customer><lines><line sku="SKU-{n}" qty="2" price="19.99"/></lines><shipping method="express">{field}</shipping></order>"""

_XML_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    (_SOAP, "text/xml; charset=utf-8", "POST"),
    (_SOAP12, "application/soap+xml; charset=utf-8", "POST"),
    (_RSS, "application/rss+xml", "POST"),
    (_ATOM, "application/atom+xml", "PUT"),
    (_PROPFIND, "application/xml; charset=utf-8", "PROPFIND"),
    (_PROPPATCH, "application/xml; charset=utf-8", "PROPPATCH"),
    (_LOCK, "application/xml", "LOCK"),
    (_SAML_AUTHN, "application/xml", "POST"),
    (_SAML_RESPONSE, "application/xml", "POST"),
    (_XMLRPC, "text/xml", "POST"),
    (_SITEMAP, "application/xml", "POST"),
    (_ORDER, "application/xml", "POST"),
)

# ---- Search syntax ----------------------------------------------------------------------------
_TERMS = (
    "wool",
    "linen",
    "cotton",
    "silk",
    "denim",
    '"dry clean"',
    '"machine wash"',
    "leather",
    "title:report",
    "author:smith",
    "tag:urgent",
    "status:open",
    '"red dress"',
    "cashmere*",
    "size:M",
    'brand:"North Face"',
    "price:[10 TO 50]",
    "year:>2019",
    "rating:>=4",
    "color:navy",
)
_SEARCH_FORMS = (
    "({a} OR {b}) AND NOT {c}",
    "{a} AND ({b} OR {c})",
    "NOT ({a} OR {b})",
    "{a} -{b} +{c}",
    "{a} && {b} || {c}",
    "({a} | {b}) {c}",
    "{a} OR {b} OR {c}",
    '"{a}" NEAR/3 {b}',
    "{a} AND NOT ({b} OR {c})",
    "(({a} OR {b}) AND {c})",
    "{a}^2 {b}~1",
    "-{a} -{b}",
)


def _search_queries(rng: random.Random) -> list[str]:
    out = []
    for form in _SEARCH_FORMS:
        for _ in range(14):
            a, b, c = rng.sample(_TERMS, 3)
            out.append(form.format(a=a, b=b, c=c).replace('""', '"'))
    return out


# ---- Developer prose and code snippets -------------------------------------------------------
SNIPPETS = (
    "def greet(name: str) -> str:\n    return f\"Hello, {name}!\"\n\nprint(greet('world'))",
    "for i in range(10):\n    if i % 2 == 0:\n        continue\n    print(i)",
    "with open('data.csv') as fh:\n    rows = [line.split(',') for line in fh]",
    "import json\npayload = json.loads(body)\nitems = payload.get('items', [])",
    "try:\n    value = int(raw)\nexcept ValueError:\n    value = 0",
    "@app.route('/users/<int:user_id>')\ndef show(user_id):\n    return render_template('user.html', user=get(user_id))",
    "const total = items.reduce((sum, it) => sum + it.price * it.qty, 0);",
    "async function load() {\n  const res = await fetch('/api/items?page=2');\n  return res.json();\n}",
    "export default function Button({ label, onClick }) {\n  return <button onClick={onClick}>{label}</button>;\n}",
    "const [count, setCount] = useState(0);\nuseEffect(() => { document.title = `Clicked ${count} times`; }, [count]);",
    "if (a && b || !c) { return x ?? y; }",
    "arr.filter(x => x > 0).map(x => x * 2).join(', ')",
    'func main() {\n\tfmt.Println("hello")\n\tif err != nil {\n\t\treturn\n\t}\n}',
    "ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)\ndefer cancel()",
    'fn main() {\n    let v: Vec<i32> = (1..=10).filter(|x| x % 2 == 0).collect();\n    println!("{:?}", v);\n}',
    'impl Display for Point {\n    fn fmt(&self, f: &mut Formatter) -> fmt::Result { write!(f, "({}, {})", self.x, self.y) }\n}',
    '#include <stdio.h>\nint main(void) { printf("%d\\n", 42); return 0; }',
    "template <typename T> T max(T a, T b) { return a > b ? a : b; }",
    'public static void main(String[] args) { System.out.println("Hi"); }',
    "List<String> names = users.stream().map(User::getName).collect(Collectors.toList());",
    "val doubled = list.map { it * 2 }.filter { it > 3 }",
    "SELECT is not the problem; the ORM builds the query for me.",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3",
    "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: example",
    "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt",
    '[package]\nname = "demo"\nversion = "0.1.0"\n\n[dependencies]\nserde = "1"',
    '{\n  "name": "demo",\n  "scripts": { "build": "vite build", "test": "vitest" }\n}',
    "x = [i ** 2 for i in data if i is not None]",
    "match cmd:\n    case ['go', direction]:\n        move(direction)\n    case _:\n        print('unknown')",
    "a = b if c else d  # ternary",
    "regex: ^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$",
    "git checkout -b feature/login && git push -u origin feature/login",
    "type User = { id: number; name: string; tags?: string[] };",
    "interface Props { onChange: (value: string) => void }",
    "let re = /(\\d{3})-(\\d{4})/g;",
    "$ npm install --save-dev typescript",
    "| Column | Type | Notes |\n|---|---|---|\n| id | int | primary key |\n| name | text | |",
    "cond ? a : b",
    "while queue:\n    node = queue.popleft()\n    queue.extend(node.children)",
    'Generate a key with ssh-keygen -t ed25519 -C "me@example.com" and paste the .pub file here.',
)
PROSE = (
    "The build fails on CI but passes locally; I think it's the Node version.",
    "Could you add an option to export the report as CSV and PDF?",
    "We use OR and AND in our filter, but NOT doesn't seem to work.",
    "Please select the union of both lists and drop duplicates.",
    "I deleted the old branch and updated the README -- let me know if that's ok.",
    "The API returns 500 when the name field contains an apostrophe, e.g. O'Neil.",
    "Rollback to v2.3.1; the new release breaks the import from Excel.",
    "In the settings page, set 'Timeout' to 30 and 'Retries' to 3.",
    "Our script runs every night at 2am and emails the results to the team.",
    "Is there a way to sort by date, then by name?",
    "The function returns null if the user is not found (see line 42).",
    "It works with Chrome & Firefox, but Safari shows a blank page.",
    "Use the --dry-run flag first to see what would change.",
    "Where can I find the logs? The docs mention /var/log but I don't have access.",
    "I'm on the Pro plan (annual) and was charged twice this month.",
    "The cat jumped on the keyboard and typed ;;;;;; into the form, sorry!",
    "My password manager fills in the wrong field on the login page.",
    "Steps: 1) open the app 2) click Export 3) choose 'All records' 4) wait",
    "Error: cannot read properties of undefined (reading 'map') at line 17",
    "Thanks for the quick fix! Everything works now :)",
    "The webhook fires twice when I update an order; is that expected?",
    "Hi team, could we schedule the migration for Friday evening?",
    "We'd like SSO with our identity provider (Okta) for 50 users.",
    "The PDF invoice shows the wrong VAT rate (19% instead of 7%).",
    "Cost: 2 x 15 = 30, minus 10% discount => 27.",
    "Both 'select all' and 'delete' buttons are grey in dark mode.",
    "Our office address changed: 12 Rue de la Paix, 75002 Paris.",
    "Can I use regular expressions like ^abc.*$ in the filter?",
    'The tooltip says "click here" but nothing happens on mobile.',
    "When I paste from Word, the bullet points turn into question marks.",
    "Mount the volume read-only and restart the container.",
    "The exit code is 1 and stderr says 'permission denied'.",
    "Batch size 500 works; 1000 times out after 30 s.",
    "Use semicolons; commas are ambiguous in our CSV export.",
    "A -> B -> C is the order of approval steps.",
    "Please find attached the signed contract (page 3 & 4).",
    "Is it safe to run two workers in parallel?",
    "My son's name is Renée-Zoë; the form rejects it.",
    "The chart's Y axis starts at 0 but should start at 100.",
    "Ping me on Slack (@dana) when it's deployed.",
)
MARKDOWN = (
    "# Release notes\n\n## 2.4.0\n\n- Added **dark mode**\n- Fixed `null` crash in export\n- See [the docs](https://docs.example.com/export?version=2.4&lang=en)\n",
    '> Quote from the customer:\n> "It\'s great, but slow on Mondays."\n\n_— support ticket #4521_',
    "1. Clone the repo\n2. Run `make setup`\n3. Open http://app.example.com:8080/dashboard?tab=overview\n",
    '![Screenshot](https://cdn.example.com/img/shot-1.png "Dashboard")\n\nThe graph on the left is wrong.',
    "| Plan | Price | Seats |\n|------|------:|------:|\n| Free | $0 | 1 |\n| Team | $12 | 10 |\n",
    "- [x] write tests\n- [ ] update docs\n- [ ] ask @maria for review",
    "```bash\nnpm ci\nnpm run build\n```\n\nThen deploy with the button.",
    "```python\nfor row in rows:\n    print(row['name'])\n```",
    "**Bold** and *italic* and ~~strike~~ and `code` and [link](https://example.org/a?b=c&d=e#f).",
    "Heading\n=======\n\nSub-heading\n-----------\n\nText with a footnote[^1].\n\n[^1]: The footnote.",
    "<details><summary>Logs</summary>\n\n```\nINFO started\nWARN slow query\n```\n</details>",
    "Line one  \nLine two with trailing spaces for a break.",
    "* item\n  * nested item\n    * deeper item",
    "Email me at <dana@example.com> or visit <https://example.com/contact?from=md>.",
    "Term\n: Definition of the term.\n\n***\n\nEnd.",
    "Use `a && b` in bash, `a; b` to chain regardless, and `a || b` as a fallback.",
    "Math: $E = mc^2$ and $$\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$$",
    "See issue #123 and PR #456 (merged).",
    "Keyboard: press <kbd>Ctrl</kbd>+<kbd>C</kbd> to copy.",
    "Escaped chars: \\*not italic\\*, \\_not underlined\\_, 5 \\> 3.",
)

# ---- URLs with query strings inside values -----------------------------------------------------
_HOSTS = (
    "shop.example.com",
    "www.example.org",
    "accounts.example.net",
    "cdn.example.io",
    "docs.example.dev",
    "api.example.co.uk",
    "m.example.com",
    "news.example.de",
)
_PATHS = (
    "/",
    "/search",
    "/products/42",
    "/oauth/callback",
    "/en-US/docs/Web/API",
    "/watch",
    "/cart/checkout",
    "/blog/2026/03/hello-world",
)
_QUERIES = (
    "q=linen+shirt&page=2",
    "utm_source=newsletter&utm_medium=email&utm_campaign=spring",
    "code=4%2F0AfJ&state=xyz123",
    "v=dQw4w9WgXcQ&t=42s",
    "ref=home&lang=de-DE",
    "ids=1,2,3&sort=-created_at",
    "filter%5Bstatus%5D=open&filter%5Btag%5D=bug",
    "redirect=%2Faccount%2Forders%3Fpage%3D3",
    "from=2026-01-01&to=2026-03-31",
    "session_state=abc.def&scope=openid%20profile",
)


def _urls(rng: random.Random) -> list[str]:
    out = []
    for host, path in product(_HOSTS, _PATHS):
        for query in rng.sample(_QUERIES, 3):
            out.append(f"https://{host}{path}?{query}")
    return out


# ---- Non-English text --------------------------------------------------------------------------
I18N = (
    "Привет! Как дела? Заказ №1234 ещё не пришёл.",
    "Доставка в Москву занимает 3–5 дней; оплата картой или наличными.",
    "Добрий день, чи можна змінити адресу доставки?",
    "Товар «Шерстяной свитер» (размер M) — нет в наличии.",
    "你好，我想查询一下订单状态。",
    "请问这件衬衫有蓝色的吗？尺码：L",
    "搜索：羊毛 或 亚麻 不要 干洗",
    "こんにちは、注文番号12345の配送状況を教えてください。",
    "東京都渋谷区神南1-2-3 〒150-0041",
    "パスワードを忘れました（再設定メールが届きません）",
    "안녕하세요, 환불 요청드립니다. 주문번호: 98765",
    "مرحبا، أريد تغيير عنوان التوصيل من فضلك.",
    "السعر: ٢٥٠ ريال (شامل الضريبة)",
    "שלום, ההזמנה שלי הגיעה פגומה.",
    "नमस्ते, मेरा ऑर्डर अभी तक नहीं आया है।",
    "कृपया मुझे बिल की प्रति ईमेल करें (ऑर्डर #4521)",
    "สวัสดีครับ ต้องการเปลี่ยนขนาดสินค้า",
    "سلام، لطفاً فاکتور را برای من بفرستید.",
    "Καλημέρα! Πότε θα αποσταλεί η παραγγελία μου;",
    "Zażółć gęślą jaźń — zamówienie #77",
    "Ça marche très bien, merci ! Prix : 12,50 €",
    "Grüße aus Köln; die Größe passt nicht (zu groß).",
    "¿Dónde está mi pedido? Lo compré el 3/3.",
    "Great job 👍🎉 thanks! ❤️",
    "🔥🔥🔥 best deal ever 💯",
    "Order shipped 📦 → arriving Friday 🚚",
    "👨‍👩‍👧‍👦 family pack, 🇩🇪 shipping?",
    "Rating: ⭐⭐⭐⭐☆ (4/5)",
    "İstanbul'a gönderim var mı? Şimdiden teşekkürler.",
    "Tiếng Việt: giao hàng nhanh, đóng gói cẩn thận.",
)
_NAMES = (
    "Иван Петров",
    "王小明",
    "佐藤 花子",
    "김민준",
    "محمد العلي",
    "דנה כהן",
    "अनुराग शर्मा",
    "Zoë O'Connor",
    "José Álvarez",
    "Ngô Bảo Châu",
    "Σοφία Παπαδοπούλου",
    "Ørjan Ødegård",
)


def _i18n_paths() -> list[Payload]:
    words = ("товары", "商品", "カテゴリ", "제품", "منتجات", "उत्पाद", "ürünler", "café-crème", "🎁-gifts")
    return [Path("/" + quote(a) + "/" + quote(b)) for a, b in product(words, words[:4])]


def _json_documents(rng: random.Random) -> list[Payload]:
    """Whole JSON API bodies mixing every shape above, nested."""
    out: list[Payload] = []
    for i in range(150):
        doc = {
            "id": i,
            "customer": {"name": rng.choice(_NAMES), "note": rng.choice(I18N)},
            "search": {"q": rng.choice(_SEARCH_FORMS).format(a="wool", b="linen", c='"dry clean"')},
            "comment": rng.choice(PROSE + MARKDOWN),
            "links": [f"https://{rng.choice(_HOSTS)}{rng.choice(_PATHS)}?{rng.choice(_QUERIES)}"],
            "tags": rng.sample(["ünïcödé", "東京", "москва", "emoji🎉", "a&b", "x|y", "c++"], 3),
        }
        out.append(Body(json.dumps(doc, ensure_ascii=i % 2 == 0)))
    return out


def _xml_bodies(rng: random.Random) -> list[Payload]:
    out: list[Payload] = []
    ops = ("GetWeather", "CreateOrder", "FindCustomer", "UpdateStock", "ListInvoices")
    fields = ("City", "Query", "Name", "Comment", "Reference")
    for i in range(40):
        for template, ctype, method in _XML_TEMPLATES:
            value = rng.choice(I18N + PROSE).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            text = template.format(
                ns=rng.choice(("shop", "weather", "crm")),
                op=rng.choice(ops),
                field=rng.choice(fields),
                value=value,
                n=100 + i,
                d=1 + i % 9,
                host=rng.choice(_HOSTS),
                title=rng.choice(("News", "Blog", "Releases")),
                token=f"{rng.getrandbits(64):016x}",
                digest=base64.b64encode(rng.randbytes(32)).decode(),
            )
            out.append(Body(text, ctype, method))
    return out


def _saml_forms(rng: random.Random) -> list[Payload]:
    """SAML HTTP-POST binding: the XML base64-encoded in a form field."""
    out: list[Payload] = []
    for i in range(30):
        xml = (_SAML_RESPONSE if i % 2 else _SAML_AUTHN).format(
            token=f"{rng.getrandbits(64):016x}",
            d=1 + i % 9,
            n=i,
            host=rng.choice(_HOSTS),
            title="user",
            value=rng.choice(_NAMES),
            digest=base64.b64encode(rng.randbytes(32)).decode(),
        )
        field = "SAMLResponse" if i % 2 else "SAMLRequest"
        out.append(
            Raw(
                f"{field}={quote(base64.b64encode(xml.encode()).decode(), safe='')}&RelayState={quote('/app?tab=1')}"
            )
        )
    return out


def benign_cases() -> list[dict[str, Any]]:
    rng = random.Random(_RNG_SEED)
    out: list[dict[str, Any]] = []
    out += cases("own-benign", "xml-api", tuple(_xml_bodies(rng) + _saml_forms(rng)), "allow")
    out += cases("own-benign", "search-syntax", tuple(_search_queries(rng)), "allow", SEARCH_PLACEMENTS)
    out += cases("own-benign", "code-prose", SNIPPETS + PROSE, "allow", (*TEXT_PLACEMENTS, "URLParam"))
    out += cases("own-benign", "markdown", MARKDOWN, "allow", (*TEXT_PLACEMENTS, "URLParam"))
    out += cases("own-benign", "url-in-value", tuple(_urls(rng)), "allow", VALUE_PLACEMENTS)
    texts = I18N + _NAMES
    out += cases("own-benign", "non-english", texts, "allow", VALUE_PLACEMENTS)
    mixed = tuple(f"{rng.choice(_NAMES)}: {rng.choice(I18N)} {rng.choice(PROSE)}" for _ in range(300))
    out += cases("own-benign", "non-english", mixed, "allow", VALUE_PLACEMENTS, part="mixed")
    out += cases("own-benign", "non-english", tuple(_i18n_paths()), "allow", part="path")
    out += cases("own-benign", "json-api", tuple(_json_documents(rng)), "allow")
    for family, payloads in carrier_payloads(rng).items():
        out += cases("own-benign", family, tuple(payloads), "allow")
    out += header_token_cases(rng)
    return out
