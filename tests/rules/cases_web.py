"""Should-block / should-pass payloads of the ``rules/managed/attacks_web.py`` classes (see ``cases.py``)."""

from __future__ import annotations

from tests.rules.case import Case

CASES: tuple[Case, ...] = (
    Case("SizeRestrictions", ("x" * 11000,), ("x" * 200,)),
    Case(
        "UserAgent_Scanner",
        ("sqlmap/1.7.2#stable (https://sqlmap.org)", "Mozilla/5.00 (Nikto/2.1.6)"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:118.0) Gecko/20100101 Firefox/118.0", "curl/8.4.0"),
    ),
    Case(
        "CrossSiteScripting",
        ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>"),
        ("a <= b", "I <3 this & that", "5 < 6 > 4"),
    ),
    Case(
        "CrossSiteScriptingGrammar",
        ("<svg/onload=alert(1)>", "<a href=javascript:alert(1)>x</a>", "<details open ontoggle=confirm(1)>",
         "document/*x*/./*y*/cookie", "top[/*a*/'al'+'ert'](1)", "(document)['cookie']", "prompt()"),
        ("Use `<b>` for bold, e.g. a < b", "data:image/png;base64,iVBORw0KGgo=", "javascript is fun",
         "the document (signed) cookie policy", "top [10] picks", "confirm (yes/no)"),
    ),
    Case(
        "PathTraversal",
        ("../../../../etc/passwd", "..\\..\\..\\windows\\win.ini", "....//....//proc/self/environ"),
        ("see ../docs/readme.md", "/etc is a directory name", "1/2 cup"),
    ),
    Case(
        "RemoteFileInclusion",
        ("page=http://203.0.113.9/shell.txt?",),
        ("next=https://example.com/welcome",),
    ),
    Case(
        "SSRF",
        (
            "http://169.254.169.254/latest/meta-data/",
            "http://0x7f000001/admin",
            "http://2130706433:8080/",
            "gopher://127.0.0.1:6379/_INFO",
            "http://[::1]/",
        ),
        ("https://example.com/callback", "http://cdn.example.org/1.2.3.4/x.png", "v1.0.0.1 release"),
    ),
    Case(
        "HiddenPath",
        (".aws/credentials", ".ssh/id_rsa", ".claude/settings.json"),
        (".well-known/security.txt", "static/app.64db6ee7.js", "v1.2/notes"),
    ),
    Case(
        "SessionFixation",
        ("jsessionid=74B0CB41", "rack.session=BAh7CEki", "shop_login_token=x9", "cftoken=6789"),
        ("assessment=final", "sid=3", "q=session times", "possession of the ball", "obsession=none"),
    ),
)
