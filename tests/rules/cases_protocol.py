"""Should-block / should-pass payloads of the ``rules/managed/attacks_protocol.py`` payload classes
(see ``cases.py``). The whole-request classes (method, one named header, header names) have their
cases in ``test_protocol_rules.py``."""

from __future__ import annotations

from tests.rules.case import Case

_MP = '--b\r\nContent-Disposition: form-data; name="{name}"{extra}\r\n{headers}\r\n{value}\r\n--b--\r\n'


def _part(name: str, value: str = "x", extra: str = "", headers: str = "") -> str:
    return _MP.format(name=name, value=value, extra=extra, headers=headers)


CASES: tuple[Case, ...] = (
    Case(
        "BodyCharsetEvasion",
        (
            "application/x-www-form-urlencoded; charset=ibm037",
            "text/plain; charset=utf-8; charset=utf-7",
            "text/plain; charset=utf-80",
            'application/json; charset="CP1026"',
            "text/xml;charset=latin-9x",
            "application/xml; charset=UTF-16LE",
        ),
        (
            "application/json; charset=utf-8",
            "text/html; charset=ISO-8859-1",
            "application/x-www-form-urlencoded; charset=cp1252",
            "text/xml; charset=Shift_JIS",
            'text/plain; charset="windows-1251"',
            "https://shop.example/search?charset=auto&q=shoes",
            "multipart/form-data; boundary=x; charset=gb18030",
        ),
    ),
    Case(
        "MultipartEvasion",
        (
            _part("a;b", extra='; filename="x"'),
            _part("fi=le", extra='; filename="test"'),
            _part("f", extra='; filename="&amp;x;zzz"'),
            _part("f", extra='; filename="1.j\\s\\p"'),
            _part("f", extra='; filename="shell.p\\hp"'),
        ),
        (
            _part("cv", extra='; filename="cv.pdf"'),
            _part("cv", extra='; filename="C:\\fakepath\\cv.pdf"'),
            _part("video", extra='; filename="Tom & Jerry; the movie.mp4"'),
            _part("user[email]", "jane@example.com"),
            _part("note", "a = b; c \\ d"),
        ),
    ),
    Case(
        "MultipartCharset",
        (
            _part("username", "+ADw-script+AD4-", headers="Content-Type: text/plain; charset=utf-7\r\n"),
            _part("a", "x", headers="Content-Type: text/plain; CHARSET = utf-16\r\n"),
            _part("a", "x", headers="Content-Transfer-Encoding: 8bit\r\nContent-Type: text/html; charset=shift_jis\r\n"),
            '--b\r\nContent-Type: text/plain; charset=utf-32\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--b--\r\n',
            _part("_charset_", "utf-7"),
            _part("_charset_", "utf-"),
        ),
        (
            _part("username", "jane", headers="Content-Type: text/plain; charset=utf-8\r\n"),
            _part("_charset_", "Shift_JIS"),
            '--b\r\nContent-Disposition: form-data; name="_charset_"\r\n\r\nUTF-8\r\n'
            '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nJohn\r\n--b--\r\n',
            # an uploaded e-mail keeps its own MIME parts and charsets
            _part(
                "mail",
                '--=_m\r\nContent-Type: text/plain; charset="koi8-r"\r\n\r\nhello\r\n--=_m--',
                extra='; filename="message.eml"',
                headers="Content-Type: message/rfc822\r\n",
            ),
        ),
    ),
    Case(
        "RequestSmuggling",
        ("x\r\nPOST /admin HTTP/1.1", "abcGET /b.html HTTP/1.0", "v=\nHEAD http://example.com/ HTTP/1.1"),
        ("use the GET verb over HTTP/1.1", "a budget of 5 http/2 calls", "POST /api/v1/users returns 201", "HTTP/2 get post head"),
    ),
    Case(
        "RestrictedExtensions",
        (
            "backup/site.sql",
            "config.php.bak",
            "index.php~",
            "index.php~/foo/bar/",
            "db/dump.rdb",
            "etc/letsencrypt/live/example.com/privkey.pem",
            "web.config",
            "logs/error.log",
            "foo.bar.sqlite3;jsessionid=1",
        ),
        (
            "docs/app.config.js",
            "blog/sql-tips",
            "api/db/users",
            "files/report.pdf",
            "releases/v1.2.3",
            "books/the.old-man-and-the-sea",
            "how-to-configure-nginx",
            "images/logo.svg",
        ),
    ),
    Case(
        "InvalidEncoding",
        (
            "file.php\x00.jpg",
            "%00",
            "..%c0%af..%c0%afetc/passwd",
            "%uff0e%uff0e%uff0fwinnt",
            "%u0027 or 1=1",
            "%f5%80%bf%bf",
            "%e0%80%af",
            "test1\x127",  # control bytes, encoded once by the placement (`%12`)
            "a\x03",
            "theme\x7f",
        ),
        (
            "café crème",
            "日本語のテキスト",
            "ＡＢＣ１２３",  # full-width letters and digits as UTF-8 (what an IME types)
            "50% off",
            "100%u",
            '{"a":"\\u00e9"}',
            "Ünïcödé",
            "printf %10s and %1$s",  # a typed percent: `%2510s`
            "tab\tseparated",
        ),
    ),
    Case(
        "PathNewline",
        ("foo\nbar", "PHP\r\ninfo.php", "a\rb"),
        ("foo bar", "line-break", "a%20b"),
    ),
    Case(
        "UnicodeNewline",
        ("\u560a\u560dSet-Cookie:crlf=injection", "^\x98\x8dset-cookie:a=b", "x\u560aLocation: https://evil.example/"),
        ("\u560a\u560d", "日本語Talk:page", "\u560dSet-Cookie", "cookies: set-cookie: explained"),
    ),
    Case(
        "UnixSocketProxy",
        ("unix:AAAAAAAAA|http://example.org/", "unix:/var/run/app.sock|https://internal.example/x"),
        ("unix: the operating system", "unix:timestamp 1700000000", "pipes | in unix shells: a|b"),
    ),
    Case(
        "CookieVersion",
        ('$Version=1; session="deadbeef; PHPSESSID=secret; dummy=qaz"', '$Version="1"; a=b'),
        ("version=1", "app version=1.2; theme=dark", "price $5 version 2"),
    ),
)
