"""What people type into web forms and API fields, for the broad benign generator
(``benign_traffic.py``): support tickets, developer questions, stack traces, log lines, shell
commands quoted in prose, math and prices, SQL *talked about*, rich-text editor HTML (inline styles,
links, images, tables), non-English text and long tokens.

Where the line is drawn (documented in ``docs/managed-rules.md`` too): prose that names SQL
clauses, shell tools or HTML tags, inline code in a sentence, tracebacks and logs pass; a value
that *is* a complete SQL statement with a FROM/WHERE tail (``SELECT a FROM t WHERE id = 1``), an
SQL clause quoted verbatim (a DB error echoing ``FROM orders ORDER BY created DESC``), a call of a
PHP built-in (``str_pad($s, 10)``: the PHP group's grammar) or a
command line aimed at system files (``cat /etc/passwd``) is what an injection sends, and an app
that takes those (a DB console, a web shell) excludes the rule for that field. No such value is
in here.
"""

# ruff: noqa: E501  -- sample texts are data, one line each as typed.
from __future__ import annotations

import base64
import hashlib
import json
import random
import uuid

TICKETS = (
    "Hi, my order #{n} arrived damaged. Can you send a replacement?",
    "I was charged twice on {date}; please refund one of the payments.",
    "The export button does nothing in Safari 17 (works in Chrome).",
    "Can I change the delivery address after checkout? Order {n}.",
    "Login loop: after 2FA it sends me back to /login again and again.",
    "We need 25 more seats on the Team plan, starting {date}.",
    "Your invoice lists VAT at 20% but we're exempt (reverse charge).",
    "The mobile app crashes when I rotate the phone on the cart screen.",
    "Password reset e-mail never arrives; I checked spam as well.",
    "Is there an API rate limit? We get 429 after ~100 requests/min.",
    "Please delete my account and all my data (GDPR art. 17).",
    "The search ignores accents: 'café' and 'cafe' give different results.",
    "I'd like to update my billing e-mail to finance+invoices@{host}.",
    "Could you whitelist our IP 203.0.113.{k} for the admin panel?",
    "The CSV import fails at row {n}: 'unexpected quote in field 3'.",
    "Two-factor codes from the app are rejected; phone time is correct.",
    "Order {n}: size L instead of M was shipped -- exchange possible?",
    "Which plan includes SSO and audit logs? We're 40 people.",
    "Dark mode makes the table headers unreadable (grey on grey).",
    "Webhooks to https://{host}/hooks/orders?token=abc time out after 10 s.",
)
DEV_QUESTIONS = (
    "Why does my LEFT JOIN return more rows than the left table?",
    "Should I use GROUP BY or DISTINCT to remove duplicates here?",
    "The ORDER BY clause is ignored when I wrap the query in a view.",
    "What's the difference between UNION and UNION ALL in terms of speed?",
    "My INSERT is slow because of the unique index on email; any tips?",
    "Is it OK to store JSON in a text column or should I normalize it?",
    "How do I paginate with OFFSET without scanning the whole table?",
    "Use a parameterized query instead of string concatenation, please.",
    "The migration adds a NOT NULL column with a default; does it lock the table?",
    "Can a foreign key reference a column that is not the primary key?",
    "I ran `npm install` and then `npm run build` but the bundle is empty.",
    "After `git rebase -i HEAD~3` I lost a commit; how do I get it back?",
    "`docker compose up --build` hangs at 'Attaching to web_1'.",
    "Running `pytest -k login -x` passes locally but fails on CI.",
    "I tried `pip install --upgrade pip` and now pip is missing.",
    "What does `chmod 644` actually mean for the group bit?",
    "Our cron job runs `python manage.py clearsessions` every night.",
    "Use `kubectl get pods -n staging` to see the failing pod.",
    "How can I make `grep -r TODO src` skip the node_modules folder?",
    "The `useEffect` hook runs twice in development (React 18 strict mode).",
    "Why is `[] + {}` a string in JavaScript but `{} + []` is 0?",
    "In Python, `is` compares identity and `==` compares equality.",
    "Rust's borrow checker complains: cannot borrow `v` as mutable more than once.",
    "Go: `for i, v := range items` copies v; take `&items[i]` instead.",
    "In C#, `async void` should only be used for event handlers.",
    "Kotlin's `?.let { }` is like an if-not-null block.",
    "Swift: use `guard let` to exit early when the optional is nil.",
    "Ruby: `array.each_slice(3).to_a` splits into groups of three.",
    "PHP 8 named arguments make str_pad calls readable (string: first, then length:).",
    "JS: `name.substr(0, 3)` is deprecated; use `name.slice(0, 3)` or `arr.concat(other)`.",
    "Java: `s.toLowerCase()` vs PHP's strtolower -- same idea, different names.",
    "Search syntax: `status:open AND NOT (label:bug OR label:wontfix)` works in the issues tab.",
    "Is `SELECT` in a stored procedure faster than an ad-hoc query? Asking for Postgres 16.",
    "I keep getting 'ORA-00942: table or view does not exist' in prod only.",
    "With `EXPLAIN ANALYZE` I see a seq scan on orders; the index isn't used.",
    "Should the WHERE clause go before or after the JOIN for readability?",
    "Regex question: how do I match an e-mail like name+tag@example.co.uk?",
    "What is the Big-O of inserting into a heap? O(log n) I think.",
)
STACK_TRACES = (
    'Traceback (most recent call last):\n  File "app/views.py", line 42, in checkout\n    total = cart.total()\n  File "app/models.py", line 118, in total\n    return sum(i.price for i in self.items)\nTypeError: unsupported operand type(s) for +: \'int\' and \'NoneType\'',
    "java.lang.NullPointerException: Cannot invoke \"String.length()\" because \"name\" is null\n\tat com.example.shop.OrderService.validate(OrderService.java:57)\n\tat com.example.shop.OrderController.create(OrderController.java:33)",
    "TypeError: Cannot read properties of undefined (reading 'map')\n    at ProductList (ProductList.jsx:14:23)\n    at renderWithHooks (react-dom.development.js:16305:18)",
    "panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nmain.main()\n\t/home/dev/app/main.go:12 +0x1d",
    "thread 'main' panicked at 'called `Option::unwrap()` on a `None` value', src/main.rs:8:37\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
    "System.InvalidOperationException: Sequence contains no elements\n   at System.Linq.Enumerable.First[TSource](IEnumerable`1 source)\n   at Shop.Cart.Checkout() in C:\\src\\Shop\\Cart.cs:line 88",
    "ActiveRecord::RecordNotFound (Couldn't find User with 'id'=42):\n  app/controllers/users_controller.rb:7:in `show'",
    "PHP Fatal error:  Uncaught Error: Call to a member function format() on null in /var/www/html/src/Invoice.php:31",
    "ERROR 1062 (23000): Duplicate entry 'ann@example.com' for key 'users.email_unique'",
    'psycopg2.errors.UndefinedColumn: column "created" does not exist\nHINT:  Perhaps you meant to reference the column "orders.created_at".',
)
LOG_LINES = (
    '203.0.113.{k} - - [07/Dec/2026:10:{m:02d}:11 +0000] "GET /products?page={n}&sort=price HTTP/1.1" 200 5123 "https://{host}/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15"',
    "Dec  7 10:{m:02d}:02 web-{k} nginx[812]: upstream timed out (110: Connection timed out) while reading response header from upstream",
    '{{"level":"warn","ts":"2026-12-07T10:{m:02d}:00Z","msg":"slow request","path":"/api/orders/{n}","duration_ms":{k}}}',
    "2026-12-07 10:{m:02d}:33,120 INFO  [worker-{k}] order {n} paid (amount=19.99 EUR)",
    "[2026-12-07T10:{m:02d}:09.551Z] WARN  retrying job id={n} attempt=3/5 backoff=4s",
    "E1207 10:{m:02d}:00.000000 {k} reflector.go:138] failed to list *v1.Pod: the server could not find the requested resource",
    "level=error msg=\"connection refused\" addr=10.0.{k}.7:5432 retry_in=2s",
    "10:{m:02d}:44.912 [main] DEBUG c.e.shop.CartService - cart {n} has 3 items, total 59.97",
)
SHELL_IN_TICKETS = (
    "I ran `{cmd}` and it printed nothing.",
    "Support told me to run {cmd} but it says command not found.",
    "After `{cmd}` the service still doesn't start. Any idea?",
    "Output of {cmd}:\n\n    error: unknown option\n\nWhat am I missing?",
    "Tried {cmd} -- no luck.",
)
SHELL_COMMANDS = (
    "npm ci",
    "yarn install --frozen-lockfile",
    "brew upgrade",
    "git status",
    "git log --oneline -n 5",
    "make test",
    "docker ps -a",
    "kubectl describe pod web-7d9c",
    "terraform plan -out=tfplan",
    "python3 -m venv .venv",
    "pip install -r requirements.txt",
    "cargo build --release",
    "go test ./...",
    "mvn clean package",
    "dotnet run",
    "systemctl status nginx",
    "journalctl -u app --since today",
    "df -h",
    "free -m",
    "node --version",
)
MATH = (
    "2*(3+4) = 14",
    "x^2 + y^2 = r^2",
    "a < b && b < c => a < c",
    "1/3 + 1/6 = 1/2",
    "f(x) = 3x + 2; f(4) = 14",
    "sqrt(16) = 4, 4! = 24",
    "10 % 3 == 1",
    "area = pi * r^2 ~ 78.54 for r=5",
    "if x >= 10 then y := x - 10",
    "|x - 3| <= 0.5",
    "sum_{i=1}^{n} i = n(n+1)/2",
    "5 > 3 > 1",
    "-(-5) = +5",
    "0.1 + 0.2 != 0.3 in floating point",
    "e^(i*pi) + 1 = 0",
)
PRICES = (
    "$1,299.99",
    "€1.299,00 inkl. MwSt.",
    "£49.50 (was £65.00)",
    "¥12,800",
    "₹2,499 + GST",
    "CHF 89.–",
    "19.99 USD / month, billed yearly (-20%)",
    "Buy 2, get 1 free!",
    "Total: 3 x 4.99 = 14.97",
    "Price range 10-50 €",
    "R$ 1.250,00 em 10x",
    "50% off everything -- today only!",
)
I18N_MORE = (
    "Здравствуйте! Можно ли оплатить заказ по счёту? ИНН 7707083893.",
    "Пожалуйста, перезвоните мне после 18:00 (МСК).",
    "Я выбрал «самовывоз», но пришло SMS о доставке курьером.",
    "我们公司需要开具增值税专用发票，请问需要提供哪些信息？",
    "这个商品什么时候补货？我想买两件（黑色，XL）。",
    "退货地址是：上海市浦东新区世纪大道100号",
    "お世話になっております。請求書の宛名を変更していただけますか。",
    "商品が届きましたが、箱が潰れていました（写真を添付します）。",
    "배송이 너무 늦어요. 언제 도착하나요?",
    "مرحبًا، هل يمكنني الدفع عند الاستلام؟ رقم الطلب ٤٥٦٧.",
    "شكراً جزيلاً على المساعدة السريعة!",
    "नमस्ते! क्या आप कैश ऑन डिलीवरी स्वीकार करते हैं?",
    "मुझे अपना पासवर्ड बदलना है, कृपया मदद करें।",
    "আমার অর্ডারটি এখনো পৌঁছায়নি।",
    "Merhaba, siparişimi iptal etmek istiyorum.",
    "Xin chào, tôi muốn đổi địa chỉ giao hàng.",
    "Hej! Kan jag byta storlek på skorna?",
    "Dzień dobry, czy mogę zapłacić BLIK-iem?",
    "Bonjour, pouvez-vous m'envoyer la facture (TVA 20 %) ?",
    "Hola, ¿tienen envío gratis a Canarias?",
    "Olá! O pedido nº 9981 veio com defeito.",
    "Ciao, la taglia 42 è ancora disponibile?",
    "Γεια σας, θα ήθελα επιστροφή χρημάτων.",
    "שלום, האם אפשר לקבל חשבונית מס?",
    "Thanks!! 😀😃😄 see you soon 👋",
    "Loved it ❤️🔥 5/5 ⭐️⭐️⭐️⭐️⭐️",
    "Package 📦 delivered to neighbour 🏠➡️🏡",
    "ok 👌 (sent from my 📱)",
)


RICH_TEXT = (
    "<p>Hello <strong>team</strong>, the <em>new</em> price list is below.</p>",
    '<p><a href="https://example.com/docs?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">Read the docs</a></p>',
    '<p><img src="https://cdn.example.com/img/chart-{n}.png" alt="Q3 chart" width="600" height="400"></p>',
    '<p style="text-align: center;"><span style="color: #e03e2d;">Sale ends Friday!</span></p>',
    "<span style=\"color: rgb(224, 62, 45); font-family: 'Open Sans', sans-serif; font-size: 14px\">Note</span>",
    "<table><thead><tr><th>Plan</th><th>Price</th></tr></thead><tbody><tr><td>Pro</td><td>$12</td></tr></tbody></table>",
    "<ul><li>one</li><li>two &amp; three</li></ul><blockquote>Great service!</blockquote>",
    '<h2 id="setup">Setup</h2><pre><code class="language-bash">npm ci</code></pre>',
    '<div class="note" data-id="{n}"><p>Moved to <time datetime="2026-12-08T10:00">Monday</time></p></div>',
    "<p>Use the <code>&lt;form&gt;</code> element with <code>method=&quot;post&quot;</code>.</p>",
    '<a href="mailto:sales@example.com?subject=Quote%20request">Email us</a>',
    "<p>Price: <s>$29</s> <b>$19</b></p><p><sup>1</sup> VAT incl.</p>",
)


# Everyday sentences whose verbs and objects are SQL, shell and HTML words used as English.
_WHO = ("I", "We", "My manager", "The customer", "Our team", "She", "The cat", "Support")
_DID = ("selected", "dropped", "deleted", "updated", "inserted", "executed", "ran", "echoed", "pinged", "grepped", "sorted", "joined", "declared", "truncated", "altered", "created", "granted", "printed", "sourced", "exported", "killed", "touched", "found", "slept")
_WHAT = ("the table by the window", "all rows from the sheet", "the order where it says 'urgent'", "union members", "a line to the team", "the script from yesterday", "from 9 to 5", "or not, whatever", "1 or 2 items", "the 'Select all' box", '"Delete" on the old card', "the <div> we talked about", "everything between 'a' and 'z'", "rows where price > 100", "id = 42 as requested", "between 10 and 20 boxes", "like it's 1999", "bash party tickets", "the sleep timer to 30 min", "case by case", "order #123 -- twice!", "a semi;colon", "pipes | and && ampersands")
_END = ("", ".", "!", " please.", " -- thanks!", " :)", "; see attached.", " (again).", "?", " & more.", " 'as is'.")


def everyday(rng: random.Random, n: int) -> list[str]:
    return [f"{rng.choice(_WHO)} {rng.choice(_DID)} {rng.choice(_WHAT)}{rng.choice(_END)}" for _ in range(n)]


def jwt(rng: random.Random) -> str:
    """A JWT-shaped token: base64url JSON header and claims, a random signature."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    claims = {"sub": str(rng.getrandbits(40)), "iat": 1765000000 + rng.randrange(10**6), "scope": "read write", "name": rng.choice(("Ann Lee", "李雷", "Zoë"))}
    head = b64(json.dumps({"alg": rng.choice(("HS256", "RS256")), "typ": "JWT"}).encode())
    return f"{head}.{b64(json.dumps(claims, ensure_ascii=False).encode())}.{b64(rng.randbytes(32))}"


def tokens(rng: random.Random, n: int) -> list[str]:
    """Long opaque values apps exchange: JWTs, UUIDs, digests, API-key shapes, data URIs."""
    out = []
    for i in range(n):
        raw = rng.randbytes(48)
        out += [
            jwt(rng),
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            hashlib.sha256(raw).hexdigest(),
            hashlib.sha1(raw).hexdigest(),
            "sk_test_" + base64.b32encode(raw[:20]).decode().lower().rstrip("="),
            "ghp_" + base64.b64encode(raw[:27]).decode().replace("+", "A").replace("/", "B"),
            "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + raw).decode(),
            "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff\xe0" + raw * 2).decode(),
            base64.b64encode(raw).decode(),
            f"v1:{i}:{raw[:12].hex()}:{base64.urlsafe_b64encode(raw[12:36]).decode()}",
        ]
    return out


def fill(template: str, rng: random.Random) -> str:
    return template.format(
        n=rng.randrange(1000, 99999),
        k=rng.randrange(2, 250),
        m=rng.randrange(60),
        date=f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        host=rng.choice(("example.com", "shop.example.org", "api.example.net")),
        cmd=rng.choice(SHELL_COMMANDS),
    )


def texts(rng: random.Random) -> dict[str, list[str]]:
    """Family -> the texts of that family (templates filled from ``rng``)."""
    return {
        "tickets": [fill(t, rng) for t in TICKETS for _ in range(3)],
        "dev-questions": list(DEV_QUESTIONS),
        "stack-traces": list(STACK_TRACES),
        "log-lines": [fill(t, rng) for t in LOG_LINES for _ in range(4)],
        "shell-in-prose": [fill(t, rng) for t in SHELL_IN_TICKETS for _ in range(8)],
        "math-prices": list(MATH + PRICES),
        "non-english": list(I18N_MORE),
        "rich-text": [fill(t, rng) for t in RICH_TEXT for _ in range(2)],
        "everyday-prose": everyday(rng, 200),
        "long-tokens": tokens(rng, 6),
    }
