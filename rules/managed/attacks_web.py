"""Attack classes of the core managed rule group(s): what each matches, and why.

See ``ruleclass.py`` for the conventions every regex here follows."""

from __future__ import annotations

from ruleclass import I, RuleClass

# ---- core -------------------------------------------------------------------------------------
# Tags that run script or load content, as filter-evasion payloads spell them apart.
_SPLIT_TAGS = ("script", "form", "style", "svg", "iframe", "frame", "object", "embed", "applet",
               "dialog", "marquee", "meta", "link", "base", "isindex", "template", "math", "import")
# What a browser's URL parser removes inside a scheme: tab, CR, LF (raw or as HTML5 entities).
_URL_GAP = r"(?:[\t\n\r]|&(?:tab|newline);?)"


def _spelled_apart(words: tuple[str, ...], gap: str = r"\W") -> str:
    """Each word with ``gap`` allowed between its letters and required between at least two of
    them: ``f o r m`` and ``fo rm`` match, ``form`` does not (the plain word is not an evasion)."""
    alts = []
    for word in words:
        for cut in range(1, len(word)):
            head = (gap + "*").join(word[:cut])
            tail = (gap + "*").join(word[cut:])
            alts.append(head + gap + "+" + tail)
    return "|".join(alts)


# A brace block that runs as a handler: an unquoted attribute value ends at the first space, so
# only a block without whitespace up to its ``}`` is one (``{alert(1)}``, ``{location=name}``);
# JSX's ``{() => setOpen(true)}`` is ``{()`` to a browser, a syntax error that runs nothing.
_BRACE_CODE = r"\{[^}\s]*[^\w$.\s}][^}\s]*\}"

# What follows an event handler attribute's name: ``=`` and a value, unless the value is one JSX
# handler reference (``onClick={onClick}``, ``onChange={this.save}``): as HTML that handler body is a
# block naming a variable, which calls nothing; or a JSX arrow (``_BRACE_CODE``). ``{alert(1)}`` or
# ``{location=name}`` still count.
_HANDLER_VALUE = r"\s*=(?:\s*[^\s{]|\s*$|\s*" + _BRACE_CODE + ")"

_XSS = (
    # An opening tag of an element that runs script or loads content.
    I + r"<\s*/?\s*(?:script|iframe|frame|object|embed|applet|base|meta|svg|math|form|isindex|xss|style|link|template|marquee|body|img|video|audio|details|input|select|textarea|button|a|img)\b[^>]*(?:\bon[a-z]{3,}" + _HANDLER_VALUE + r"|\b(?:src|href|data|action|formaction|xlink:href|srcdoc)\s*=\s*[\"'`]?\s*(?:javascript|vbscript|data\s*:\s*text/html))",
    I + r"<\s*(?:script|iframe|frame|object|embed|applet|math|xss|isindex|base|meta\s+http-equiv)\b",
    # An <svg> start tag, unless it declares a namespace (``xmlns=``, ``xmlns:xlink=``): that is an
    # SVG *document* (an upload, an icon in a JSON field), whose script, handlers and script URLs
    # the other patterns still see. The tag body is spelled as "no ``xmlns`` in it" without
    # lookahead (the automaton of the word: x, xm, xml, xmln).
    I + r"<\s*svg\b(?:[^>x]|x(?:x|m(?:l(?:n)?)?x)*(?:[^>xm]|m[^>xl]|ml[^>xn]|mln[^>xs]))*(?:x(?:x|m(?:l(?:n)?)?x)*(?:m(?:l(?:n)?)?)?)?(?:>|$)",
    I + r"<[a-z][a-z0-9:-]*\s[^>]*\bon(?:error|load|click|mouse[a-z]+|focus|blur|key[a-z]+|change|submit|toggle|animation[a-z]+|transition[a-z]+|pointer[a-z]+|begin|end|input|wheel|scroll|drag[a-z]*|drop|copy|cut|paste|show|play|start|finish|message|hashchange|popstate|resize|unload|beforeunload|search|select|invalid|contextmenu|auxclick|dblclick)" + _HANDLER_VALUE,
    # Any element with any ``on…`` attribute assigned a value (``<test oNxX=yYy>``, ``<x/onfoo=1``):
    # handler names grow every year and scanners probe with made-up ones; an attribute that only
    # starts with "on" after a hyphen (``data-online``) or a JSX handler reference passes.
    I + r"<[a-z][a-z0-9:-]*(?:[\s/][^>]*)?[\s/\"']on[a-z]{2,}" + _HANDLER_VALUE,
    I + r"(?:javascript|vbscript|livescript)\s*:[^\s]",
    I + r"\bdata\s*:\s*(?:text/html|image/svg\+xml|application/(?:x-)?javascript)[;,]",
    I + r"[\"'`;)]\s*(?:document\s*\.\s*(?:cookie|domain|write|location)|window\s*\.\s*location|alert\s*\(|prompt\s*\(|confirm\s*\(|eval\s*\(|fetch\s*\(|settimeout\s*\(|\bfunction\s*\()",
    # A quote or slash closing an attribute, then a handler whose value is code (a quote, a call,
    # an assignment, a member, a block) or nothing yet (``"onzoom=`` at the value's end); a
    # setting quoted in prose (``"onboarding=done"``) assigns a word and passes.
    I + r"[\"'/`]\s*on[a-z]{3,}\s*=\s*(?:$|&|[\"'`]|[^\s\"'`&;{]*[(`=\[.]|" + _BRACE_CODE + r")|\bdocument\s*\.\s*(?:cookie|domain)\b|\bwindow\s*\[\s*[\"'`]|\breflect\s*\.\s*\w+\s*\.\s*call\s*`|<\s*v:[a-z]+",
    I + r"\b(?:alert|prompt|confirm)\s*(?:\(|`)\s*(?:document|window|\d|[\"'`]|/)",
    # DOM access split by JS comments or bracket notation (document/**/.cookie, self["alert"],
    # (document)["cookie"]), and sink calls with no argument or a timer with a code string/name.
    I + r"\bdocument[\s\"'`)\]]*(?:/\*[^*]*\*/[\s\"'`)\]]*)*(?:\.|\[)\s*(?:/\*[^*]*\*/\s*)*[\"'`]?\s*(?:cookie|domain|write|location)\b|\b(?:self|top|parent|frames|globalthis)\s*\[\s*(?:/\*[^*]*\*/\s*)*[\"'`]",
    I + r"\b(?:alert|prompt|confirm|atob|btoa)\s*\(\s*\)|\bset(?:interval|timeout)\s*\(\s*(?:[a-z_$][\w$]*|[\"'`][^\"'`]*[\"'`])\s*,\s*\d",
    I + r"\(!\[\]\+\[\]\)|\[!\[\]\]|!!\[\]\+|\burl\s*\(\s*[\"']?\s*(?:java|vb)script|@import\s*(?:url\s*\()?\s*[\"']?\s*(?:https?:|//|javascript:)",
    I + r"\bstring\s*\.\s*fromcharcode\s*\(|\batob\s*\(\s*[\"'`]|\bexpression\s*\(",
    # An unquoted attribute injection: whitespace, then any event-handler name (browsers add new
    # ones every year, so the shape ``on`` + letters, not a list) assigned code: a call, a tagged
    # template, a quoted string with a call, a sink name, or a broken ``= =`` (CRS 941120). Not
    # after ``;`` so a Cookie header's ``a=1; onboarding=done`` passes, and a setting such as
    # ``ONBOOT=yes`` in prose is not code.
    I + r"(?:^|[^;\s])[ \t\x0b\x0c]+on[a-z]{3,}[ \t]*=[ \t]*(?:[\"'`][^\"'`]*[(`]|[a-z_$][\w$.]*[ \t]*[(`\[]|(?:alert|prompt|confirm|eval|throw|location|top|self|window|document|import)\b|=)|[\s\"'`/](?:formaction|srcdoc)\s*=",
    # A script-capable or content-loading tag spelled with separators between its letters
    # (``<f o r m``, ``<s/c/r/i/p/t``: filter evasion, CRS 941160), or behind an XML namespace
    # prefix (``< x: script``, ``<:vmlframe``). At least one separator is required, so the plain
    # word in prose or markdown (`` `<form>` element``) is left to the other rules.
    I + r"<[^\w<>]{0,3}(?:[a-z][\w.-]{0,20})?\s*:\s*(?:script|iframe|frame|object|embed|applet|vml[a-z]*)\b",
    *(I + r"<[^\w<>]{0,3}(?:" + _spelled_apart(_SPLIT_TAGS[i : i + 6]) + r")" for i in range(0, len(_SPLIT_TAGS), 6)),
    # Script URLs with their letters split by what a browser's URL parser drops (tab, newline,
    # as raw bytes or HTML5 entities ``&tab;`` ``&newline;`` the decoder leaves alone), and
    # ``javascript:`` followed by whitespace and then code (CRS 941170/941210/941220). Plain
    # spaces are not dropped by browsers, so "Java Script: the good parts" is not an evasion.
    *(I + r"(?:" + _spelled_apart((w,), _URL_GAP) + r")" + _URL_GAP + r"*(?::|&colon;)" for w in ("javascript", "vbscript", "livescript")),
    # A quote that closes an attribute, then JavaScript's ``in`` operator and a member write or a
    # prototype method (``'infoo.bar=``, ``"in valueOf=``: IE XSS-filter bypasses, CRS 941330/941340);
    # prose ("in this.case=true") has a space after ``in``.
    I + r"[\"'`]\s*in[a-z_$][\w$]*(?:\.[a-z_$][\w$]*)+\s*=[^=]|[\"'`]\s*in\s+(?:valueof|tostring|constructor|__proto__|prototype)\s*=",
    I + r"(?:^|[=\"'`(])\s*(?:java|vb|live)script\s*:\s+(?:[\\<{]|(?:alert|prompt|confirm|eval|fetch|import|document|window|top|self|parent|location|this)\b)",
    # data: URI whose payload starts with markup (``data:,<x>``), CSS bindings that load script
    # (``-moz-binding:``, IE ``behavior:url()``), IE's data binding that renders a bound XML
    # island as HTML (``<span datasrc=#x datafld=c dataformatas=html>``), IE's
    # ``<?import implementation=``, ``<link>`` that
    # imports or styles (``rel=import|stylesheet``) or points at a script URL — an Atom feed's
    # ``<link href="https://…" rel="alternate"/>`` passes —
    # a ``<meta charset>`` switch (UTF-7 tricks) (CRS 941170/941240/941260/941270).
    I + r"\bdata\s*:\s*(?:[\w.+-]+/[\w.+-]+)?\s*(?:;[^,<]*)?,\s*<\s*[a-z!/?]|-moz-binding\s*:|\bbehaviou?r\s*:\s*url\s*\(|\bdataformatas\s*=\s*[\"']?\s*html\b",
    I + r"<\s*\??\s*import[^>]*implementation\s*=|<\s*link\b[^>]*\b(?:rel\s*=\s*[\"'`]?\s*(?:import|stylesheet|preload|prefetch|modulepreload)\b|href\s*=\s*[\"'`]?\s*(?:javascript|vbscript|livescript|data)\s*:|href\s*[\s/+][\s/+]*=)|<\s*link[\s/+][^>]*/[^>]*\bhref\b|<\s*meta\b[^>]*\bcharset\s*=|<\s*noscript\b",
    # Markup written in another charset: UTF-7 (``+ADw-script+AD4-``, case-sensitive as the
    # encoding is; the ``+`` may have become a space in a second URL decoding) and US-ASCII with the high bit set (0xBC/0xBE read as ``<``/``>``, which the
    # decoder turns into ``¼``/``¾`` and NFKC into ``1⁄4``) before a tag name (CRS 941310/941350).
    r"(?:^|[+\s])ADw-\s*[/!?]?[A-Za-z]|[+\s]AD4-\s*[+\s]ADw-",
    I + r"(?:¼|1⁄4)/?(?:script|iframe|img|svg|body|object|embed|style|div|meta|link|form|input|details|video|audio)|(?:¼|1⁄4)/?[a-z][a-z0-9]*(?:¾|3⁄4)",
    # DOM access and writes: the location of the window, document lookups chained to a write
    # (``document.querySelector("p").textContent=``, ``document.body.appendChild(``), element
    # creation and ``document.write`` calls (CRS 941180). Not ``self.location``: Python code.
    I + r"\b(?:window|top|document)\s*\.\s*location\b|\bdocument\s*\.\s*(?:createelement|write(?:ln)?|execcommand)\s*\(",
    I + r"\bdocument\s*\.\s*(?:body|head|documentelement|(?:queryselector(?:all)?|getelements?by[a-z]+)\s*\([^)]*\)(?:\s*\[\s*\d+\s*\])?)\s*\.\s*(?:appendchild|append|prepend|insertbefore|insertadjacenthtml|replacewith|innerhtml|outerhtml|textcontent|innertext|setattribute|src|href|action)\b",
    # Server-side includes that the page would run (``<!--#exec cmd=``, ``<!--#set var=``).
    I + r"<!--\s*#\s*(?:exec|include|echo|set|config|fsize|flastmod)\s+(?:cmd|cgi|file|virtual|var|value|errmsg|timefmt|sizefmt|encoding)\s*=|<!--\s*#\s*printenv\b",
    # Calls without parentheses: a tagged template on a method (``[].sort.call`${alert}1337` ``,
    # comments allowed between the dots) and a template whose expression is a sink (CRS 941400).
    I + r"\.\s*(?:/\*[^*]*\*/\s*)*(?:call|apply|bind)\s*`[^`]*\$\{|`[^`]*\$\{\s*(?:alert|prompt|confirm|eval)\s*\}",
    # JSFuck: the primitives ``![]`` and ``+[]`` glued to other operators (``(![]+[])[+!+[]]``,
    # ``+!![]``), continued by another operator; a markdown image with an empty alt text
    # (``![](pic.png)``) is followed by ``(``, prose about ``!![]`` by a word. A ``+`` reaches the
    # rules as a space (form decoding), hence ``( [])`` / ``[ []]`` (but not ``[ [] ]``).
    I + r"[+(\[!]\s*!+\[\s*\](?:\s*[+\])\[]|\s*$)|[\[(][+\s]\[\][\])+]|!\s*\+\s*\[\s*\]",
    # A dialog or eval sink used as a function *value* rather than called by name (filters look for
    # ``alert(``): wrapped in parentheses (``(alert)(1)``, ``(0,eval)(x)``), called optionally
    # (``alert?.()``), through ``.call``/``.apply``/``.bind``, handed as the callback of an array,
    # promise, Reflect or event method (``[1].find(alert)``, ``Reflect.apply(prompt,…)``; Python's
    # ``queue.put(alert)`` names no such method), assigned to a global handler before more script
    # (``onerror=alert;throw 1``; a setting ``onclose=prompt`` is a word), or
    # looked up on ``this`` by a quoted name (``this['alert']``; a dict's ``cfg['alert']`` passes).
    # Prose says "(alert)" or "confirm (yes/no)", never these.
    I + r"\((?:\s*0\s*,)?\s*(?:alert|prompt|confirm|eval)\s*\)(?:\(|`)|\b(?:alert|prompt|confirm|eval)\s*(?:\?\.\s*[(`]|\.\s*(?:call|apply|bind)\s*[(`])",
    I + r"\.\s*(?:map|flatmap|find|findindex|findlast|filter|some|every|foreach|reduce|sort|then|catch|finally|apply|call|construct|addeventlistener)\s*\(\s*(?:[\"'`][\w-]*[\"'`]\s*,\s*)?(?:alert|prompt|confirm|eval)\s*[),]|\bon[a-z]{3,}\s*=\s*(?:alert|prompt|confirm|eval)\s*[;,]|\bthis\s*\[\s*[\"'`]\s*(?:alert|prompt|confirm|eval)\s*[\"'`]\s*\]",
    # Script loaded or navigated to without a tag: a dynamic ``import()`` of an absolute URL, a
    # tagged ``new Function``, a write to ``location.href`` or to another window's location
    # (prose naming ``parent.location`` writes nothing).
    I + r"\bimport\s*\(\s*[\"'`]\s*(?:(?:https?|data|javascript)\s*:|//)|\bnew\s+function\s*`|\blocation\s*\.\s*href\s*=|\b(?:opener|parent|frames)\s*\.\s*location\s*(?:\.\s*href\s*)?=[^=]",
    # Tags a sanitizer strips, placed inside a handler's name or a sink's call so that the word
    # appears only after stripping (``o<x>nfocus=``, ``alert<x>(1)``).
    I + r"\bo(?:</?[a-z0-9]{0,8}>)+n[a-z0-9<>/]{3,40}\s*=|\bon[a-z]{0,20}</?[a-z0-9]{0,8}>[a-z0-9<>/]{0,40}\s*=|\b(?:alert|prompt|confirm|eval)(?:</?[a-z0-9]{0,8}>)+\s*[(`]",
    # An XML entity declaration (``<!ENTITY % x SYSTEM "…">``, also without its ``<``): a DTD
    # fragment in a parameter or header is an entity-expansion attempt (CRS 941130).
    I + r"!\s*entity\s+(?:%\s*)?[\w.:-]+\s+(?:system|public)\b",
    # An HTML comment's closer as a whole value or parameter name (``-->``): breaking out of a
    # comment the value is reflected in (CRS 941181). An arrow inside prose has words around it.
    I + r"(?:^|[=&;])\s*-->\s*(?:$|[&;=<])",
)

# A path separator as a file API reads it: repeated slashes and ``./`` steps change nothing.
_SEP = r"/+(?:\./+)*"

_TRAVERSAL = (
    # Two or more parent steps ("../../", "..\\..\\", "....//"), or one step to a sensitive root.
    I + r"(?:\.{2,}[\\/]+){2,}",
    I + r"(?:^|[\\/=\s])\.{2,}[\\/]+(?:etc|proc|root|var|usr|home|boot|windows|winnt|inetpub|system32)\b",
    # An NTFS stream named after a file (``index.php::$DATA``, ``web.config::$INDEX_ALLOCATION``):
    # IIS serves a script's source, or a directory, through it.
    I + r"[\w.-]::\$(?:data|index_allocation)\b",
    # Sensitive files by their paths; ``/etc/./passwd`` and ``/etc//passwd`` name the same file
    # (``_SEP``), and a path that *ends* in ``sys/class`` lists the kernel's device classes.
    I + r"(?:^|[^a-z0-9])/?(?:etc" + _SEP + r"(?:passwd|shadow|gshadow|group|hosts|issue|hostname|crontab|sudoers|fstab|resolv\.conf|subuid|subgid|ssh/|mysql/|nginx/|apache2?/|httpd/|php[\w./-]{0,30}\.ini\b|my\.cnf\b|machine-id|environment\b|ld\.so\.preload|cron\.d/|security/|pam\.d/)|proc" + _SEP + r"(?:(?:self|\d+)" + _SEP + r"(?:environ|cmdline|fd|maps|status|stat|limits|mountinfo|cwd|exe|root|mem|task/|ns/)|interrupts|cpuinfo|meminfo|mounts|version|sched_debug|kallsyms|net/)|sys/(?:class|kernel|devices|firmware|power)(?:/|$)|/sys/(?:class|kernel|devices|firmware|power|block|bus|module|fs)\b|root/\.(?:ssh|bash_history)|\.ssh/(?:id_[a-z0-9]+|authorized_keys|known_hosts)|var/log/[a-z]|var/(?:spool/)?mail/[a-z]|var/spool/cron/|var/lib/mysql/|\.aws/credentials|\.kube/config|run/secrets/kubernetes\.io/)",
    I + r"(?:^|[^a-z0-9])/?(?:\.docker/(?:config\.json|secrets)|\.(?:bash_|zsh_|mysql_|psql_|python_)?history\b)|[\\/](?:tomcat-users\.xml|wp-config\.php)\b",
    I + r"(?:[a-z]:)?[\\/](?:windows|winnt)[\\/](?:win\.ini|system\.ini|system32[\\/])|\bboot\.ini\b|[\\/](?:inetpub|wwwroot)[\\/]|\bweb\.config\b|[\\/]\.htaccess\b|[\\/]\.htpasswd\b",
    I + r"\bfile\s*:\s*/{2,3}\s*(?:[a-z]:|/?(?:etc|proc|root|var|home|usr|windows|c:))",
    # A value or an upload's file name that *starts* with a parent step (``file=../x``,
    # ``filename="..\\1.7z"``): prose and markdown mention ``../`` mid-sentence, and code snippets
    # quote it (``require('../lib')``), so only a value's first bytes count. Tomcat's ``..;/``
    # path-parameter trick, and separators or dots written as hex text (``0x5c0x2e./``) which
    # some decoders turn back into ``\\`` and ``.`` (CRS 930100/930110). A JSON member's value is
    # its own view (``^``), so a quote is no value start: ``require("../lib")`` in a code snippet
    # and ``"..\"`` (the string ``..``) inside a JSON text pass; a multipart part's value starts
    # after its headers' blank line.
    I + r"(?:^|[=&?]|\n\r?\n)\s*\.{2,}[\\/]|\bfilename\*?\s*=\s*[\"']?\s*\.{2,}[\\/]|(?:^|[\\/=])\.\.;",
    I + r"(?:[\\/]|0x(?:2f|5c))(?:\.0x2e|0x2e\.|0x2e0x2e)\.?(?:[\\/]|0x(?:2f|5c))|0x(?:2f|5c)\.{2,3}(?:[\\/]|0x(?:2f|5c))",
    # A parent step whose separator is hex text, starting a value or a path segment
    # (``..0x2fboot.ini``, ``..0x5c..0x5cwin.ini``): no file name or prose starts with ".." and "0x".
    I + r"(?:^|[=&?\"/\\]|\n\r?\n)\s*\.{2,}0x(?:2f|5c)",
    # Slashes a Unicode-aware path API folds to "/" or "\\" (division slash U+2215, set minus
    # U+2216, fraction slash, big solidus), and dot leaders (U+2024/U+2025, which NFKC has turned
    # into dots already), as parent steps.
    I + r"\.{2,}[\\/\x{2215}\x{2216}\x{2044}\x{29f8}\x{29f9}]+\.{2,}[\\/\x{2215}\x{2216}\x{2044}\x{29f8}\x{29f9}]|\.{2,}[\x{2215}\x{2216}\x{2044}\x{29f8}\x{29f9}]",
    # Encodings left over after the chain's two URL decodings (a third layer, or a JSON string
    # holding an encoded path): "..%2f", "%2e%2e/", overlong UTF-8 ("%c0%af", "%e0%80%af",
    # "%c1%9c", "%c0%ae") and IIS "%u2215"/"%uff0e", as text or as the raw bytes.
    I + r"\.\.(?:%(?:25)*(?:2f|5c)|%(?:25)*(?:c0%(?:25)*af|e0%(?:25)*80%(?:25)*af|c1%(?:25)*9c|c0%(?:25)*2f|c1%(?:25)*1c)|%(?:25)*u(?:2215|2216|2044|ff0f|ff3c|002f|005c))|%(?:25)*2e%(?:25)*2e(?:[\\/]|%(?:25)*(?:2f|5c))|%(?:25)*(?:c0%(?:25)*ae|uff0e|u002e|u2024){2}|\.\.(?:\xc0\xaf|\xe0\x80\xaf|\xc1\x9c)",
    # What URL_DECODE_UNI leaves of IIS "%u2215"/"%u2216"/"%uff0e"/"%uff0f" (the low byte, as IIS
    # does): control characters no text has, after or instead of dots.
    r"[.\x0e]{2,}[\x15\x16\x0f]|\x0e\x0e[\\/]",
    # Windows device and UNC paths as a value (\\?\C:\, \\.\C:\, \\host\share, \\host@SSL\DavWWWRoot,
    # file://\\host): what makes a server open a remote share (NTLM leak) or a raw device. Only as
    # a whole value (a support message naming \\fileserver\reports mid-sentence passes), and an
    # administrative share (``\\::1\c$\``, ``\\[::1]\admin$``) wherever it is, IPv6 hosts included.
    I + r"\\\\[?.]\\|\\\\\?\\unc\\|\bfile:/*\\\\|(?:^|[=&\"'/])\s*\\\\[\w.:\[\]-]+(?:@ssl)?(?:@\d+)?\\[\w$.-]+|\\\\[\w.:\[\]-]+\\(?:[a-z]|admin|ipc)\$(?:\\|$)",
    # Two overlong UTF-8 dots as raw bytes (``%c0%ae`` decoded once): invalid UTF-8 no text has,
    # which old decoders read as ``..``.
    r"(?:\xc0\xae|\xe0\x80\xae){2}",
    # A value that *is* a path to a repository's or deployment's secrets (``/.git/config``,
    # ``../.env``, ``/app/.env``, ``/.svn/wc.db``): a file name handed to a download or include parameter. Prose
    # ("edit .git/config") has no leading slash at the value's start.
    I + r"(?:^|[=&?\"'])\s*(?:\.{0,2}[\\/]+)+(?:[\w.-]+[\\/]+){0,8}\.(?:git[\\/]+(?:config|head|index|logs|refs)\b|env(?:\.[a-z]+)?(?:$|[&\"'\s?#])|svn[\\/]+(?:entries|wc\.db)\b|git-credentials\b|npmrc\b|pgpass\b|netrc\b)",
    # Java web application internals, never a parameter value of a working app (CRS 930130).
    I + r"(?:^|[^\w-])(?:web-inf|meta-inf)[\\/]+(?:web\.xml|classes|lib|jboss-web\.xml|weblogic\.xml|manifest\.mf|context\.xml)",
)

_RFI = (
    # Remote include: a URL argument to an include-like parameter ends in '?' (query cut; also a
    # bare scheme, ``x=http?``), or is an IP-literal URL to a script.
    I + r"=\s*(?:https?|ftps?)://[^&\s]+\?+(?:&|$)|(?:^|[=&])\s*(?:file|https?|ftps?)(?::/{0,3})?\?+(?:&|$)",
    I + r"=\s*(?:https?|ftps?)://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}[:/][^&\s]*\.(?:php|txt|asp|jsp|pl|sh|py)\b",
    # A URL given to a parameter that names a filesystem location — PHP's config globals and
    # their kin (``_CONF[path]=``, ``mosConfig_absolute_path=``, ``config[root_dir]=``,
    # ``_SERVER[DOCUMENT_ROOT]=``, ``include_path=``): the app will include from it (CRS 931110).
    # Names ending in url/uri (``base_url=``, ``return_to=``) are where URLs belong and pass.
    I + r"(?:abs(?:olute)?_?path|base_?dir|root_?dir|doc_?root|document_root|include_?(?:path|dir)|\[path\]|_path\])\s*=\s*(?:https?|ftps?|file)://",
    # URL wrappers that reach local files or remote archives from a fetching library: Java's
    # ``jar:http://…!/``, Python urllib's ``local_file://`` and ``url:file://``, and a value that
    # is a ``file:`` URL (CRS 931130). A ``file:`` link mid-sentence in a comment passes.
    I + r"\bjar\s*:\s*(?:https?|ftps?|file)\s*:|\blocal_file\s*:|\burl:file:|(?:^|[=&])\s*file:/",
    # A URL whose host is an IP literal (v4 or v6) given as an argument: include / fetch targets.
    I + r"(?:^|[=\s\"'>])(?:https?|ftps?)://(?:\d{1,3}\.){3}\d{1,3}\b|(?:^|[=\s\"'>])(?:https?|ftps?)://\[?[0-9a-f]{1,4}:[0-9a-f]{0,4}:[0-9a-f:]{0,30}\]?",
)

# A URL whose authority hides a delimiter, percent-encoded, before a userinfo ``@``
# (``http://example.com%2f@evil.example/``): one URL parser stops the host at the decoded ``/``
# and sees example.com, the fetching one reads evil.example (CRS 931130 bypasses). As sent (RAW):
# the decoded text is an ordinary ``https://medium.com/@user`` link. The same URL sent encoded
# whole has the delimiter one level deeper than its own (``example.com%252f%40``), while an
# ordinary encoded link (``https%3A%2F%2Fmedium.com%2F%40user``) has one level throughout.
_RFI_AUTHORITY = (
    I + r"(?:https?|ftps?)(?::|%3a)(?:/|%2f){2}[^/?#&\s@]*%(?:25)*(?:2f|5c|3f|23)[^/?#&\s]*@|(?:https?|ftps?)%3a%2f%2f[^/?#&\s@%]*%25(?:25)*(?:2f|5c|3f|23)[^/?#&\s@]*%40",
)

# Schemes of network services an SSRF reaches by host name (RFC 3986 authority): the web ones and
# the internal-service ones (mail, chat, streaming, data stores) a fetching library also speaks.
_NET_SCHEME = (
    r"(?:https?|ftps?|gopher|dict|ldaps?|tftp|wss?|sftp|ssh|telnets?|rtmp[est]?|rtsp|ircs?|acap|imaps?|pop[23]s?|"
    r"smtps?|nntp|news|snmp|rsync|svn|git|redis|mongodb|mysql|postgres(?:ql)?|smb|nfs|vnc|rdp|sips?|xmpp|mqtt|"
    r"amqps?|memcached?|zookeeper|netdoc|jar)"
)
# The authority's start: "scheme://" (or "http:host" / "http:/host", which URL parsers accept),
# then a userinfo that may hold several "@": a parser takes the last, a validator the first
# ("http://good.example:80 &@good.example# @127.0.0.1/").
_AUTHORITY = r"\b(?:" + _NET_SCHEME + r"\s*:\s*//|(?:https?|ftps?|wss?):/?)(?:[^/\r\n\"'<>]*@)?\s*"
# An IPv4 address written any way but the dotted quad a reviewer would recognise: one number
# (decimal 2130706433, hex 0x7f000001, 16 hex digits that wrap), a hex or octal part anywhere
# (0177.0.0.1, 0251.00376.000251.0000376, 127.0x0.0.1), or two or three parts whose last one
# carries the rest (169.254.43518, 169.16689662). inet_aton reads them all; no DNS name looks so.
_PART = r"(?:0x[0-9a-f]+|0[0-7]+|\d{1,3})"
_ODD_PART = r"(?:0x[0-9a-f]+|0[0-7]+)"
_IPV4_ODD = (
    r"(?:(?:0x[0-9a-f]+|0[0-7]+|\d{8,10})(?:\." + _PART + r"){0,3}"
    r"|\d{1,3}(?:\." + _PART + r"){0,2}\." + _ODD_PART + r"(?:\." + _PART + r"){0,2}"
    r"|\d{1,3}\.(?:\d{1,3}\.)?\d{4,10})"
)
# Where a host ends: a port, a path, a query, a fragment, a quote or space, the value's end.
_HOST_END = r"(?:[:/?#\\\s\"'&<]|$)"

_SSRF = (
    # Cloud metadata endpoints by address or name, whatever the scheme.
    I + r"169\.254\.169\.254|169\.254\.170\.2\b|://metadata(?::\d+)?/|\bcomputemetadata/v1\b|\bmetadata\.google\.internal\b|100\.100\.100\.200|\[?fd00:ec2::254\]?|\bmetadata\.azure\.com\b|\binstance-data\b|\bmetadata\.(?:packet\.net|tencentyun\.com|oraclecloud)|192\.0\.0\.192",
    # A URL whose host is private or link-local (web and internal-service schemes); an internal
    # DNS suffix only as the last label (hooks.internal.example.com is a public name). "consul"
    # (Consul's service DNS: vault.service.consul), "svc" (Kubernetes: api.default.svc) and
    # "home.arpa" (RFC 8375) are no delegated top-level domains: only a resolver inside the
    # network answers them.
    I + r"\b(?:(?:https?|ftp|gopher|dict|ldap|tftp|wss?)\s*:\s*//|(?:https?|ftps?|wss?):/?)(?:[^/\r\n\"'<>]*@)?\s*(?:10\.\d{1,3}\.\d{1,3}\.\d{1,3}|192\.168\.\d{1,3}\.\d{1,3}|172\.(?:1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3}|169\.254\.\d{1,3}\.\d{1,3}|\[(?:fc|fd|fe[89ab])[0-9a-f]{0,2}:[0-9a-f:]*\]|[a-z0-9.-]*\.(?:internal|local|localdomain|consul|svc|home\.arpa|nip\.io|sslip\.io|xip\.io)\.?" + _HOST_END + r")",
    # A URL of any network scheme whose host is loopback or unspecified (circled and fullwidth
    # letters and digits arrive here already folded by NFKC: "irc://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ").
    # Also (one regex: the scheme list is compiled once) odd IPv4 notations (above) and a host
    # spelled with backslash escapes ("http://\\l\\o\\c\\a\\l…").
    I + _AUTHORITY + r"(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|0\.0\.0\.0|127\.\d{1,3}(?:\.\d{1,3})?" + _HOST_END + r"|\[[0:]*(?:1|ffff:[0-9a-f.:]+)?(?:%[\w.-]*)?\]|" + _IPV4_ODD + r"\.?" + _HOST_END + r"|(?:\\+[a-z0-9_-]\.?){3,})",
    # A protocol-relative reference ("//127.0.0.1/admin") to a loopback or private host: the
    # fetcher adds its own scheme.
    I + r"(?:^|[=\s\"'>])//(?:[^/\r\n\"'<>]*@)?(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost(?:[:/]|$)|0\.0\.0\.0|\[[0:]*1?\]|169\.254\.\d{1,3}\.\d{1,3}|10\.\d{1,3}\.\d{1,3}\.\d{1,3}|192\.168\.\d{1,3}\.\d{1,3})",
    I + r"\b" + _NET_SCHEME + r"\s*:\s*//(?:[^/\r\n\"'<>]*@)?0+" + _HOST_END,
    # Numeric hosts split by ideographic full stops (U+3002, U+FF61: IDNA reads them as dots).
    I + _AUTHORITY + r"\d{1,10}(?:[.\x{3002}\x{ff61}]\d{0,10}){0,3}[\x{3002}\x{ff61}]",
    # Internal host names, even without a scheme (the app may prepend one).
    I + r"\b(?:ip6-(?:loopback|localhost)|ipv6-(?:localhost|loopback)|(?:host|gateway|kubernetes|[a-z0-9-]+)\.(?:docker|containers)\.internal|kubernetes\.default(?:\.svc)?|localhost[46]?\.localdomain[46]?|localhost[46]\b|(?:[a-z0-9-]+\.)*(?:localtest|lvh|vcap)\.me|(?:[a-z0-9-]+\.)+(?:rbndr\.us|1u\.ms)|[a-z0-9-]+\.localhost)\b|(?:^|[=\s\"'@])localhost(?::\d{1,5})?/",
    # Schemes only SSRF uses against internal services.
    I + r"\b(?:gopher|dict|ldap|ldaps|tftp|jar|netdoc|sftp)\s*:\s*//",
    # Out-of-band interaction hosts of security testing tools (Burp Collaborator, interactsh,
    # DNSLog, ceye): a URL or name the server resolves so the tester learns the SSRF landed. No
    # application's users or integrations point anything at them.
    I + r"\b(?:[a-z0-9-]+\.)*(?:burpcollaborator\.net|oastify\.com|interact\.sh|interactsh\.com|oast\.(?:pro|live|site|online|fun|me)|dnslog\.cn|ceye\.io|bxss\.me)\b",
)

_SCANNERS = (
    # Names that go on into a version or plugin id without a break (OpenVASVT, Nessus NASL
    # plugin files) and ffuf's long name.
    I + r"\b(?:openvas|nessus)|\.nasl\b|\bfuzz faster u fool\b",
    I + r"\b(?:sqlmap|nikto|nmap|masscan|zgrab|nuclei|acunetix|netsparker|w3af|dirbuster|gobuster|wpscan|havij|openvas|arachni|fimap|hydra|nessus|zmeu|jorgee|whatweb|ffuf|feroxbuster|commix|xsstrike|dirb|paros|webinspect|appscan|skipfish|joomscan|wfuzz|sqlninja|qualys|morfeus|zmap|bbqsql|vega/|grabber|webshag|wapiti|nsauditor|brutus|absinthe|pangolin|metis|httprint|mysqloit|blackwidow|cgichk|webvulnscan|sitelockspider|detectify|burpcollaborator|interact\.sh|oast\.(?:pro|live|site|online|fun|me))\b",
)

# Hidden files and directories in the path (/.git, /.ssh, /.aws, agent configs), but /.well-known.
_HIDDEN_PATH = (
    I + r"/\.(?:[a-vx-z0-9_]|w[a-df-z0-9_])",
)

# Session fixation (CRS 943): a framework's session cookie handed over as a URL parameter, so a
# victim following the link logs in under an id the attacker already knows. Names are the
# session-cookie conventions of the common frameworks (``*sess*``, ``*.sid``, ColdFusion
# ``cfid``/``cftoken``); bare ``sid`` and words merely containing "sess" (assessment) pass.
_SESSION_FIXATION = (
    I + r"(?:^|[&;?=/])(?:(?:[\w.:-]*[._:-])?(?:j|php|asp|jserv|jw|weblogic)?sess(?:ion)?(?:[._-]?(?:id|token))?[a-z0-9]*|[\w.:-]*[._:-]sid|cf(?:id|token|sid)|cakephp|laravel_session|ci_session|play_session|shiny-token|[\w.:-]*[._-]login[._-]token)=",
    # A cookie planted through the URL: script that sets ``document.cookie`` with an
    # ``expires``/``domain`` attribute, or a ``<meta http-equiv=set-cookie>`` (CRS 943100).
    I + r"\.cookie\b[^&]{0,200}?;\s*(?:expires|domain|path|max-age)\s*=|\bhttp-equiv\W+set-cookie\b",
)

# The same in a request body: a session-cookie name of the frameworks that accept their session
# id from a form or JSON field (Java ``jsessionid``, PHP ``phpsessid``/``phpsession``, classic ASP
# ``aspsessionidXXXXXXXX``, ASP.NET ``asp.net_sessionid``) as a form or JSON key (CRS 943110/943120).
# Only those names: ``session_id`` / ``sessionId`` are ordinary API fields (analytics, checkout).
_SESSION_COOKIE_IN_BODY = (
    I + r"(?:^|[&=?;{,\s\"])(?:j|php|asp(?:\.net_)?)sess(?:ion)?(?:id)?[a-z]{0,8}\"?\s*[=:]",
    # Django's session cookie, ``sessionid``, as a urlencoded form field (CRS 943110): JSON APIs'
    # ``"sessionId":`` members are analytics and pass.
    I + r"(?:^|[&=])sessionid=",
)

# Files a site never serves but scanners ask for (CRS 930130), by the shape of their names in the
# URI path: database dumps and editor/backup copies (``backup.sql.zip``, ``index.php.bak``,
# ``config.php~``), log files (``/wp-content/debug.log``), and Vite's dev-server module and
# file-system routes (``/@id/__x00__``, ``/@fs/etc/passwd``). Path only: a search for
# "error.log" or an upload named ``dump.sql`` is not a request for the file.
_RESTRICTED_FILE = (
    I + r"\.(?:sql|sqlite3?|mdb|dump|bak|backup|old|orig|save|swp|swo)(?:\.(?:zip|gz|tgz|bz2|xz|7z|rar|tar))?$|[^/]~$",
    I + r"[\w-]\.log(?:\.\d{1,3})?(?:\.gz)?$",
    I + r"/@id/__x00__|/@fs/+(?:[a-z]:|etc|proc|root|home|usr|var|tmp|windows)\b",
)

# A query argument that is wholly a database dump in an archive (``code=backup.sql.zip``, CRS
# 930120): a download parameter asked for the file. Only the double extension, as the whole value:
# a search for "backup.sql" or a sentence naming one passes.
_RESTRICTED_FILE_ARGUMENT = (
    I + r"(?:^|[=&])[\w./-]*\.(?:sql|sqlite3?|mdb|dump|bak)\.(?:zip|gz|tgz|bz2|xz|7z|rar|tar)(?:&|$)",
)

# The XSS detector's gate (see SQLI_PREFILTER in attacks_sql.py): markup, a handler or a script URL.
XSS_PREFILTER = r"(?i)<|\bon[a-z]{3,}\s*=|(?:java|vb|live)script|\b(?:style|src|href|data)\s*[=:]|expression\s*\("

CLASSES: tuple[RuleClass, ...] = (
    RuleClass("core", "SizeRestrictions", placements=("QUERYARGUMENTS",), size=4096),
    RuleClass("core", "SizeRestrictions", placements=("URIPATH",), size=2048),
    RuleClass("core", "SizeRestrictions", placements=("COOKIE",), size=10240),
    RuleClass("core", "UserAgent_Scanner", _SCANNERS, placements=("HEADER",)),
    RuleClass("core", "CrossSiteScripting", detector="xss"),
    RuleClass("core", "CrossSiteScriptingGrammar", _XSS, chains=("DEC", "B64")),
    RuleClass("core", "PathTraversal", _TRAVERSAL, chains=("DEC", "B64")),
    RuleClass("core", "RemoteFileInclusion", _RFI, placements=("QUERYARGUMENTS", "BODY")),
    RuleClass("core", "RemoteFileInclusionAuthority", _RFI_AUTHORITY, placements=("QUERYARGUMENTS",), chains=("RAW",)),
    RuleClass("core", "SSRF", _SSRF, chains=("DEC", "B64")),
    RuleClass("core", "SessionFixation", _SESSION_FIXATION, placements=("QUERYARGUMENTS",)),
    RuleClass("core", "SessionCookieInBody", _SESSION_COOKIE_IN_BODY, placements=("BODY",)),
    RuleClass("core", "HiddenPath", _HIDDEN_PATH, placements=("URIPATH",)),
    RuleClass("core", "RestrictedFile", _RESTRICTED_FILE, placements=("URIPATH",)),
    RuleClass("core", "RestrictedFileArgument", _RESTRICTED_FILE_ARGUMENT, placements=("QUERYARGUMENTS",)),
)
