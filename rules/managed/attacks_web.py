"""Attack classes of the core managed rule group(s): what each matches, and why.

See ``ruleclass.py`` for the conventions every regex here follows."""

from __future__ import annotations

from ruleclass import I, RuleClass

# ---- core -------------------------------------------------------------------------------------
_XSS = (
    # An opening tag of an element that runs script or loads content.
    I + r"<\s*/?\s*(?:script|iframe|frame|object|embed|applet|base|meta|svg|math|form|isindex|xss|style|link|template|marquee|body|img|video|audio|details|input|select|textarea|button|a|img)\b[^>]*(?:\bon[a-z]{3,}\s*=|\b(?:src|href|data|action|formaction|xlink:href|srcdoc)\s*=\s*[\"'`]?\s*(?:javascript|vbscript|data\s*:\s*text/html))",
    I + r"<\s*(?:script|iframe|frame|object|embed|applet|svg|math|xss|isindex|base|meta\s+http-equiv)\b",
    I + r"<[a-z][a-z0-9:-]*\s[^>]*\bon(?:error|load|click|mouse[a-z]+|focus|blur|key[a-z]+|change|submit|toggle|animation[a-z]+|transition[a-z]+|pointer[a-z]+|begin|end|input|wheel|scroll|drag[a-z]*|drop|copy|cut|paste|show|play|start|finish|message|hashchange|popstate|resize|unload|beforeunload|search|select|invalid|contextmenu|auxclick|dblclick)\s*=",
    I + r"(?:javascript|vbscript|livescript)\s*:[^\s]",
    I + r"\bdata\s*:\s*(?:text/html|image/svg\+xml|application/(?:x-)?javascript)[;,]",
    I + r"[\"'`;)]\s*(?:document\s*\.\s*(?:cookie|domain|write|location)|window\s*\.\s*location|alert\s*\(|prompt\s*\(|confirm\s*\(|eval\s*\(|fetch\s*\(|settimeout\s*\(|\bfunction\s*\()",
    I + r"[\"'/`]\s*on[a-z]{3,}\s*=|\bdocument\s*\.\s*(?:cookie|domain)\b|\bwindow\s*\[\s*[\"'`]|\breflect\s*\.\s*\w+\s*\.\s*call\s*`|<\s*v:[a-z]+",
    I + r"\b(?:alert|prompt|confirm)\s*(?:\(|`)\s*(?:document|window|\d|[\"'`]|/)",
    # DOM access split by JS comments or bracket notation (document/**/.cookie, self["alert"],
    # (document)["cookie"]), and sink calls with no argument or a timer with a code string/name.
    I + r"\bdocument[\s\"'`)\]]*(?:/\*[^*]{0,64}\*/[\s\"'`\]]*)*(?:\.|\[)\s*(?:/\*[^*]{0,64}\*/\s*)*[\"'`]?\s*(?:cookie|domain|write|location)\b|\b(?:self|top|parent|frames|globalthis)\s*\[\s*(?:/\*[^*]{0,64}\*/\s*)*[\"'`]",
    I + r"\b(?:alert|prompt|confirm|atob|btoa)\s*\(\s*\)|\bset(?:interval|timeout)\s*\(\s*(?:[a-z_$][\w$]*|[\"'`][^\"'`]*[\"'`])\s*,\s*\d",
    I + r"\(!\[\]\+\[\]\)|\[!\[\]\]|!!\[\]\+|\burl\s*\(\s*[\"']?\s*(?:java|vb)script|@import\s*(?:url\s*\()?\s*[\"']?\s*(?:https?:|//|javascript:)",
    I + r"\bstring\s*\.\s*fromcharcode\s*\(|\batob\s*\(\s*[\"'`]|\bexpression\s*\(",
)

_TRAVERSAL = (
    # Two or more parent steps ("../../", "..\\..\\", "....//"), or one step to a sensitive root.
    I + r"(?:\.{2,}[\\/]+){2,}",
    I + r"(?:^|[\\/=\s])\.{2,}[\\/]+(?:etc|proc|root|var|usr|home|boot|windows|winnt|inetpub|system32)\b",
    I + r"(?:^|[^a-z0-9])/?(?:etc/(?:passwd|shadow|gshadow|group|hosts|issue|hostname|crontab|sudoers|fstab|resolv\.conf|subuid|subgid|ssh/|mysql/|nginx/|apache2?/|httpd/)|proc/(?:(?:self|\d+)/(?:environ|cmdline|fd|maps|status|cwd|exe|root|mem)|interrupts|cpuinfo|meminfo|mounts|version|net/)|sys/(?:class|kernel|devices|firmware|power)/|root/\.(?:ssh|bash_history)|\.ssh/(?:id_[a-z0-9]+|authorized_keys|known_hosts)|var/log/[a-z]|\.aws/credentials|\.kube/config)",
    I + r"(?:^|[^a-z0-9])/?(?:\.docker/(?:config\.json|secrets)|\.(?:bash_|zsh_|mysql_|psql_|python_)?history\b)",
    I + r"(?:[a-z]:)?[\\/](?:windows|winnt)[\\/](?:win\.ini|system\.ini|system32[\\/])|\bboot\.ini\b|[\\/](?:inetpub|wwwroot)[\\/]|\bweb\.config\b|[\\/]\.htaccess\b|[\\/]\.htpasswd\b",
    I + r"\bfile\s*:\s*/{2,3}\s*(?:[a-z]:|/?(?:etc|proc|root|var|home|usr|windows|c:))",
)

_RFI = (
    # Remote include: a URL argument to an include-like parameter ends in '?' (query cut) or is an IP.
    I + r"=\s*(?:https?|ftps?)://[^&\s]+\?+(?:&|$)",
    I + r"=\s*(?:https?|ftps?)://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}[:/][^&\s]*\.(?:php|txt|asp|jsp|pl|sh|py)\b",
    # A URL whose host is an IP literal (v4 or v6) given as an argument: include / fetch targets.
    I + r"(?:^|[=\s\"'>])(?:https?|ftps?)://(?:\d{1,3}\.){3}\d{1,3}\b|(?:^|[=\s\"'>])(?:https?|ftps?)://\[?[0-9a-f]{1,4}:[0-9a-f]{0,4}:[0-9a-f:]{0,30}\]?",
)

_IPV4_ODD = (
    r"(?:0x[0-9a-f]{1,8}|0[0-7]{1,11}|\d{8,10})(?:\.(?:0x[0-9a-f]{1,2}|0[0-7]{1,3}|\d{1,3})){0,3}"
)

_SSRF = (
    # Cloud metadata endpoints by address or name, whatever the scheme.
    I + r"169\.254\.169\.254|169\.254\.170\.2\b|\bmetadata\.google\.internal\b|100\.100\.100\.200|\[?fd00:ec2::254\]?|\bmetadata\.azure\.com\b|\binstance-data\b|\bmetadata\.(?:packet\.net|tencentyun\.com|oraclecloud)|192\.0\.0\.192",
    # A URL whose host is loopback, private, link-local or an unspecified address.
    I + r"\b(?:https?|ftp|gopher|dict|ldap|tftp|ws|wss)\s*:\s*/+(?:[^/@\s?#]*@)?(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|0\.0\.0\.0|0+(?:[:/?#]|$)|10\.\d{1,3}\.\d{1,3}\.\d{1,3}|192\.168\.\d{1,3}\.\d{1,3}|172\.(?:1[6-9]|2\d|3[01])\.\d{1,3}\.\d{1,3}|169\.254\.\d{1,3}\.\d{1,3}|127\.\d{1,3}(?:\.\d{1,3})?(?:[:/?#]|$)|\[[0:]*(?:1|ffff:[0-9a-f.:]+)?\]|\[(?:fc|fd|fe[89ab])[0-9a-f]{0,2}:[0-9a-f:]*\]|[a-z0-9.-]*\.(?:internal|local|localdomain|nip\.io|sslip\.io|xip\.io)\b)",
    # Odd IP notations: decimal (2130706433), octal (0177.0.0.1), hex (0x7f000001 / 0x7f.0x0.0.1).
    I + r"\b(?:https?|ftp|gopher|dict|ldap|tftp)\s*:\s*/+(?:[^/@\s?#]*@)?" + _IPV4_ODD + r"(?:[:/?#]|$)",
    # Internal host names, even without a scheme (the app may prepend one).
    I + r"\b(?:ip6-(?:loopback|localhost)|ipv6-(?:localhost|loopback)|(?:host|gateway)\.docker\.internal|kubernetes\.default(?:\.svc)?|localhost[46]?\.localdomain[46]?|localhost[46]\b|(?:[a-z0-9-]+\.)*(?:localtest|lvh|vcap)\.me|[a-z0-9-]+\.localhost)\b|(?:^|[=\s\"'@])localhost(?::\d{1,5})?/",
    # Schemes only SSRF uses against internal services.
    I + r"\b(?:gopher|dict|ldap|ldaps|tftp|jar|netdoc|sftp)\s*:\s*//",
)

_SCANNERS = (
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
    I + r"(?:^|[&;?=/])(?:(?:[\w.:-]*[._:-])?(?:j|php|asp|jserv|jw|weblogic)?sess(?:ion)?(?:[._-]?(?:id|token))?[a-z0-9]*|[\w.:-]*[._:-]sid|cf(?:id|token|sid)|[\w.:-]*[._-]login[._-]token)=",
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
    RuleClass("core", "SSRF", _SSRF, chains=("DEC", "B64")),
    RuleClass("core", "SessionFixation", _SESSION_FIXATION, placements=("QUERYARGUMENTS",)),
    RuleClass("core", "HiddenPath", _HIDDEN_PATH, placements=("URIPATH",)),
)
