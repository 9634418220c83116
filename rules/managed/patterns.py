"""The attack classes of the wafproxy managed rule groups: what each matches, and why.

Regexes run case-insensitively (``(?i)``) on values already decoded by the rule's chain (see
``generate.CHAINS``), in hyperscan or RE2: linear time, no backreferences or lookaround. Each
regex describes the *grammar* of an attack (a separator, then a command word, then an argument
shape), not a sample string, and each has a should-block and a should-pass case in
``tests/rules/cases.py``. The false-positive trade-offs are in ``docs/managed-rules.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL = ("URIPATH", "QUERYARGUMENTS", "BODY", "COOKIE", "HEADER")
NO_BODY = ("URIPATH", "QUERYARGUMENTS", "COOKIE", "HEADER")


@dataclass(frozen=True, slots=True)
class RuleClass:
    group: str
    name: str
    patterns: tuple[str, ...] = ()
    placements: tuple[str, ...] = ALL
    chains: tuple[str, ...] = ("DEC",)
    detector: str = ""  # "sqli" / "xss": libinjection through SqliMatchStatement / XssMatchStatement
    sensitivity: str = "LOW"
    size: int | None = None


GROUPS: dict[str, dict[str, str]] = {
    "core": {
        "Name": "WafproxyManagedRulesCommonRuleSet",
        "Description": "XSS, traversal/LFI/RFI, SSRF, scanners, size limits (like AWSManagedRulesCommonRuleSet).",
    },
    "sql-database": {
        "Name": "WafproxyManagedRulesSQLiRuleSet",
        "Description": "SQL injection: libinjection plus grammar rules, in every placement and decoding.",
    },
    "known-bad-inputs": {
        "Name": "WafproxyManagedRulesKnownBadInputsRuleSet",
        "Description": "Log4Shell lookups, template injection, CRLF injection, Java deserialization.",
    },
    "linux-posix": {
        "Name": "WafproxyManagedRulesLinuxRuleSet",
        "Description": "Unix shell command injection and Linux file disclosure.",
    },
    "windows": {
        "Name": "WafproxyManagedRulesWindowsRuleSet",
        "Description": "Windows command and PowerShell injection.",
    },
    "php": {
        "Name": "WafproxyManagedRulesPHPRuleSet",
        "Description": "PHP code injection, wrappers and object injection.",
    },
    "nosql": {
        "Name": "WafproxyManagedRulesNoSQLRuleSet",
        "Description": "MongoDB-style operator injection in JSON, query and form keys.",
    },
    "xxe": {
        "Name": "WafproxyManagedRulesXXERuleSet",
        "Description": "XML external entities and DTD tricks.",
    },
}

I = "(?i)"
# Whitespace an attacker can use instead of a space: real whitespace, shell $IFS, SQL comments.
SP = r"(?:\s|\$\{?ifs\}?|\+)"

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

# ---- sql-database -----------------------------------------------------------------------------
# SQL token separators: whitespace (incl. VT and the 0xA0 byte MySQL also skips), comments, "(".
_SQL_CMT = r"(?:[\s\xa0]|/\*[^*]*\*/|/\*!\d{0,5}|\*/|\(|\+)"
_SQLI = (
    I + r"(?:^|[^a-z_])union" + _SQL_CMT + r"*(?:all|distinct)?" + _SQL_CMT + r"+select\b",
    I + r"(?:^|[^a-z_])union" + _SQL_CMT + r"*(?:all|distinct)?" + _SQL_CMT + r"*\(?\s*select\b",
    I + r"[\"'`)][\s\xa0]*(?:\)[\s\xa0]*)*(?:or|and|xor|\|\||&&)" + _SQL_CMT + r"+(?:not\s+)?[\"'`(]*\s*[\w@.]+[\"'`)]*\s*(?:=|<>|!=|<=>|>=|<=|>|<|\blike\b|\bis\b|\bregexp\b|\bbetween\b|\bin\s*\()",
    I + r"(?:^|[\s\"'`(])(?:or|and|xor)" + _SQL_CMT + r"+(\d+)\s*(?:=|<>|!=|>|<)\s*\d+\s*(?:--|#|/\*|;|$|[\"'`)])",
    # A string literal closed and the rest of the query commented out: admin'-- / 1')# / x"/*.
    I + r"\w[\"'`]\s*\)*\s*(?:--|#|/\*|;\s*--)[\s-]*(?:$|[&\"\r\n])",
    # "1 or true" as a whole condition (ends the value or is followed by a comment / quote).
    I + r"(?:\d|['\"`])\s*\)*\s+(?:or|and|xor|\|\||&&)\s+(?:not\s+)?(?:true|false)\s*(?:$|--|#|;|/\*|[)'\"`&])",
    I + r"\b(?:sleep|pg_sleep|benchmark)\s*\(\s*[\d(]|\bwaitfor\s+(?:delay|time)\s+[\"']|\bdbms_(?:pipe|lock)\.|\butl_(?:http|inaddr)\.|\bdeclare\s+@\w|\b(?:sqlite_\w+|uncompress|load_extension|randomblob|zeroblob|last_insert_rowid)\s*\(",
    I + r";\s*(?:drop|truncate|alter|create|rename)" + _SQL_CMT + r"+(?:table|database|schema|user|view|procedure|function)\b|;\s*(?:delete\s+from|insert\s+into|update\s+\w+\s+set|exec(?:ute)?\s+(?:xp_|sp_|master\.)|shutdown\b|declare\s+@|select\s)",
    I + r"\b(?:load_file|extractvalue|updatexml|group_concat|concat_ws|make_set|elt|name_const|json_keys|sys_eval|sys_exec|lo_import|lo_export|pg_read_file|current_setting)\s*\(|\binto\s+(?:out|dump)file\b|\bxp_cmdshell\b|\bsp_executesql\b|\bsp_oacreate\b|@@(?:version|datadir|hostname|basedir|servername)\b",
    I + r"\binformation_schema\b|\bsys(?:objects|columns|databases|users)\b|\bpg_(?:catalog|shadow|user|tables)\b|\bsqlite_master\b|\bmysql\.user\b|\ball_tables\b|\buser_tables\b",
    # More system catalogs and sample schemas an enumeration probes (MSSQL, Access, MySQL), and the
    # current-database functions; a value that is only such a name is a probe, not prose.
    I + r"\b(?:tempdb|msdb|master\.\.sys\w*|msys(?:accessobjects|objects|queries|relationships|aces)|mysql\.(?:db|host|tables_priv|columns_priv|proc)|sys\.(?:objects|tables|columns|databases|sql_logins|server_principals)|northwind|pubs\.dbo)\b|\b(?:database|schema|current_database|db_name|current_schema)\s*\(\s*\)",
    I + r"\bselect" + _SQL_CMT + r"+(?:\*|@@\w+|[\w.`\"\[\]]+\s*,\s*[\w.`\"\[\]]+|(?:count|char|concat|substr(?:ing)?|ascii|user|database|version|null)\s*\()[^;]*\bfrom\b",
    I + r"\b(?:and|or|&&|\|\|)\s+(?:ascii|ord|substr(?:ing)?|mid|length|char|if|case)\s*\(|\bcase\s+when\s.*\bthen\b|\bif\s*\(\s*\d+\s*[=<>]",
    I + r"\border\s+by\s+\d+\s*(?:--|#|/\*|$)|\bgroup\s+by\s+\S+\s+having\b",
    I + r"/\*!\d{0,5}\s*(?:union|select|and|or|from|where)",
    # Function calls only SQL makes (no English word): concat(, substring(, pg_sleep(, strcmp(...
    I + r"\b(?:concat|concat_ws|group_concat|substring|substr|pg_sleep|benchmark|rand|unhex|strcmp|ifnull|isnull|nullif|coalesce|instr|char_length|octet_length|bit_length|make_set|export_set|find_in_set|json_extract|json_object|xmltype|utl_inaddr|sys_context|dbms_\w+|pg_\w+|current_user|session_user|system_user|schema_name|table_name|column_name|hex|ascii|md5|sha1|sha2|crc32|load_file)\s*\(",
    # PostgreSQL casts and JSON operators after a literal: '{"a":1}'::jsonb, '[1]' ?| array[...].
    I + r"[\w'\"\)]\s*::\s*(?:jsonb?|text|int\d?|integer|bool(?:ean)?|varchar|regclass|bytea|xml|numeric|double\s+precision|float\d?)\b|['\"]\s*(?:@>|<@|\?\||\?&|#>>?|->>?|\?)\s*['\"a-z]",
    I + r"\b(?:db_name|schema_name|suser_s?name|user_name|object_id|col_name|has_dbaccess|is_srvrolemember|serverproperty)\s*\(|\bselect\s*\(\s*(?:user|database|version|@@|\d|char)|@[\w.]*\s*:=|\w[\"'`]\s*\)*\s*;\s*(?:$|&|--|#|/\*)",
    I + r"\b(?:having|where)\s+\d+\s*[=<>]|\bselect\s+(?:pg_sleep|sleep|benchmark|version|user|database|current_user|@@)\b",
)

# ---- known-bad-inputs -------------------------------------------------------------------------
_LOG4J = (
    # ${jndi:...} and every lookup that can rebuild it: ${lower:j}, ${::-j}, ${env:X:-j}, nesting.
    I + r"\$\{\s*(?:\$\{[^}]*\}\s*)*(?:jndi|j\$|[a-z]{0,10}:[^}]*-j)",
    I + r"\$\{\s*(?:lower|upper|env|sys|java|date|ctx|main|base64|bundle|k8s|docker|web|spring|log4j|marker|sd|map|event|jvmrunargs|::-)\s*:",
    I + r"\$\{[^}]*\$\{",
    I + r"\bjndi\s*:\s*(?:ldaps?|rmi|dns|iiop|nis|nds|corba|https?)\s*:",
)
_SSTI = (
    # Template expressions that reach Python/Java internals or evaluate arithmetic.
    *(I + opener + r"[^}%>]*(?:__(?:class|mro|subclasses|globals|builtins|import|init|base|bases|dict|getattribute|code|self)__|\bconfig\b|\brequest\s*\.\s*(?:application|environ)|\bself\s*\.|\blipsum\b|\bcycler\b|\bjoiner\b|\bnamespace\b|\bos\s*\.\s*(?:popen|system)|\bgetruntime\b|\bruntime\b|\bprocessbuilder\b|\bexec\s*\(|\beval\s*\(|\bsystem\s*\(|\bpopen\b|\bsubprocess\b|\bclass\.forname|\bnew\s+java|\bt\s*\(\s*java\.)" for opener in (r"\{\{", r"\{%", r"(?:\$|#|\*|@)\{", r"<%=?")),
    I + r"(?:\{\{|\$\{|#\{|\*\{|<%=?|\{%|\[\[|\{#)\s*[\d\s'\"]+[*+/%-]\s*[\d\s'\"]+(?:\}\}|\}|%>|%\}|\]\]|#\})",
    # Tags that reach the loader or the environment ({% raw %} / {% if %} are ordinary text).
    I + r"\{%\s*(?:import|include|extends|from|debug|load)\b[^%]*%\}",
    I + r"<#\s*(?:assign|import|include|list|if|macro)\b|freemarker\.template\.utility|\?new\s*\(\s*\)|#set\s*\(\s*\$|\$class\.inspect|#\{\s*[a-z_]+\s*\(",
    I + r"\{\{\s*[a-z_]+\s*\|\s*(?:attr|safe|e|join|format|tojson)\b|\|\s*attr\s*\(|\{\{\s*\[\]\s*\.|\{\{\s*['\"]\s*['\"]\s*\.",
)
_CRLF = (
    # A decoded line break followed by an HTTP header name and a colon (response splitting).
    I + r"(?:[\r\n]|\\[rn])\s*(?:set-cookie|location|content-(?:type|length|disposition|security-policy)|x-[a-z0-9-]+|access-control-[a-z-]+|refresh|host|cache-control|transfer-encoding|connection|link|server|status|www-authenticate|http/\d)\s*:",
    I + r"[\r\n]+\s*http/\d(?:\.\d)?\s+\d{3}\b|[\r\n]{2}\s*<(?:html|script)",
    # A whole request line inside a value (smuggling / request splitting).
    I + r"\b(?:get|post|head|put|delete|options|connect|trace|patch)\s+(?:https?://\S+|/\S*)\s+http/\d(?:\.\d)?\b",
    # U+560A / U+560D: some runtimes keep only the low byte (0x0A / 0x0D) of a UTF-16 unit.
    I + r"[\x{560a}\x{560d}]\s*[a-z-]{2,40}\s*:",
)
# In bodies line breaks are ordinary (textareas): only response-splitting header names count.
_CRLF_BODY = (
    I + r"(?:[\r\n]|\\[rn])\s*(?:set-cookie|content-length|access-control-allow-[a-z-]+|x-injected|transfer-encoding)\s*:|(?:[\r\n]|\\[rn])\s*location\s*:\s*(?:https?:|//)",
    I + r"[\x{560a}\x{560d}]\s*[a-z-]{2,40}\s*:",
)
_JAVA = (
    # Serialized Java objects (raw magic or base64 "rO0AB"), gadget classes, expression languages.
    r"\brO0AB[A-Za-z0-9+/]",
    I + r"\bjava\.(?:lang\.(?:runtime|processbuilder|reflect|class|system)|io\.(?:objectinputstream|file)|net\.url|beans\.xmldecoder|util\.scanner)\b|\bjavax\.(?:naming|script|management)\.|\borg\.apache\.commons\.collections\d*\.|\bcom\.sun\.(?:rowset|org\.apache\.xalan|jndi)\.|\bysoserial\b|\bjdbcrowsetimpl\b|\btemplatesimpl\b|\bbeanutils\.beancomparator\b",
    I + r"\bclass\s*\.\s*(?:module|classloader|protectiondomain)\s*\.|\bgetclass\s*\(\s*\)\s*\.\s*(?:forname|getclassloader|getmethod)|\b(?:runtime|system)\s*\.\s*(?:getruntime|exec)\s*\(|\.\s*getruntime\s*\(\s*\)\s*\.\s*exec\s*\(",
    I + r"[\"']@type[\"']\s*:\s*[\"'][a-z]+\.[a-z]+\.|<\s*java\s+version\s*=|<\s*(?:object|void)\s+class\s*=\s*[\"']java\.",
    # Fully qualified JDK / gadget classes in user input (deserialization, expression injection).
    I + r"\b(?:java|javax|jdk|sun)\.(?:lang|io|util|net|nio|beans|rmi|security|sql|script|naming|management|xml|awt)\.[a-z_$][\w$]*|\bcom\.(?:sun|opensymphony|alibaba\.fastjson|mchange|caucho)\.|\borg\.(?:apache\.(?:commons|xalan|tomcat|catalina|struts|log4j|xbean|myfaces|wicket|bcel)|springframework|codehaus\.groovy|hibernate|jboss|mozilla\.javascript|python\.core|omg\.corba)\b",
    I + r"\b(?:processbuilder|invokertransformer|instantiatetransformer|chainedtransformer|constanttransformer|prototypeclonefactory|prototypeserializationfactory|instantiatefactory|whileclosure|forclosure|clonetransformer|annotationinvocationhandler|badattributevalueexpexception|priorityqueue|lazymap|transformedmap|jdbcrowsetimpl|templatesimpl|xmldecoder|objectinputstream|classloader\.(?:loadclass|definclass))\b",
    I + r"%\{\s*[#(@]|\$\{\s*#|#_memberaccess|@ognl|ognlcontext|#context\s*\[|\.getwriter\s*\(|@java\.lang\.",
)

_NODE = (
    # Server-side JavaScript: node-serialize IIFE marker, child_process, prototype pollution,
    # busy loops (event-loop DoS).
    I + r"_\$\$nd_func\$\$_|\bchild_process\b|\brequire\s*\(\s*[\"'`](?:child_process|fs|net|vm|os|http)[\"'`]\s*\)|\bprocess\s*\.\s*(?:mainmodule|binding|env|kill|exit|dlopen)\b|\bmodule\s*\.\s*(?:exports|constructor|require)\b|\bglobal\s*\.\s*process\b|\bconstructor\s*\.\s*constructor\b|\brequire\s*\[",
    I + r"\bwhile\s*\(\s*[!+\-(\s]*(?:true|false|undefined|null|nan|-?infinity|\d+|''|\"\"|\[\]|\{\})\s*\)*\s*\)|\bfor\s*\(\s*;\s*;\s*\)",
    I + r"(?:__proto__|constructor\s*[.\[]\s*[\"']?prototype)\s*[\]\"']*\s*[.\[=:]|\[\s*[\"']__proto__[\"']\s*\]",
    I + r"\bnew\s+function\s*\(|\bprocess\s*\[|\beval\s*\(\s*[a-z\"'`\[(]|\bconsole\s*\[\s*[\"']\w+[\"']\s*\]\s*\(|\bfunction\s*\(\s*\)\s*\{[^}]*\}\s*\(\s*\)",
)
# Shell globbing and parameter expansion used to spell a path or command without its letters.
_SHELL_EXPANSION = (
    I + r"[a-z]\$(?:\{[a-z_]{0,10}\}|@|\*|[a-z_]{0,10}\$)[a-z/]|[a-z/]\$\{?ifs",
    I + r"[<>]\(\s*[a-z]{2,}[^)]*\)|\[[?*]\][a-z]|[a-z]\[[?*]\]",
    I + r"/s?bin/[a-z?*]*\[[a-z!^?*\-]{1,10}\]|/[a-z?*]*\[[a-z!^?*\-]{1,20}\][a-z?*]*/|/(?:[a-z]*[?*][a-z?*]*/){1,}[a-z?*]*(?:sh|passwd|shadow|id)\b|/\?\?\?/|\$\[\s*\d+\s*[+*/-]\s*\d+\s*\]|\$\{[a-z_]*[#%:][^}]*\}|\$\{![a-z_]|\{,?\$?[\"']?[a-z]+[\"']?,[^}]*\}",
)

# LDAP filter injection: a closed filter followed by a new one, "admin)(|(password=*".
_LDAP = (
    I + r"\)\s*\(\s*[|&!]\s*(?:\)|$)|\)\s*[|&!]?\s*\(\s*[|&!]?\s*\(?\s*[a-z][\w-]*\s*[~<>]?=|\*\s*\)\s*\(\s*[|&]|\(\s*[|&]\s*\(\s*[a-z][\w-]*\s*=\s*\*",
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
# HTTP request smuggling / splitting (CRS 921110): a second request line glued to a value or after
# a raw CR/LF, which a proxy that re-frames the body may forward as a request of its own.
_SMUGGLING = (
    I + r"(?:[\r\n]\s*|[a-z0-9])(?:get|post|head|put|delete|options|trace|connect|patch|propfind)\s+(?:/|https?://|\*)\S*\s+http/\d(?:\.\d)?\b",
)
# Multipart field names with quoting tricks that split parsers (CRS 920120 / 922).
_MULTIPART = (
    I + r"content-disposition\s*:[^\r\n]*\bname\s*=\s*\"[^\"\r\n]*[\\;][^\"\r\n]*\"|content-disposition\s*:[^\r\n]*\bfilename\s*=\s*[^\r\n]*(?:\\\"|&#|%[0-9a-f]{2}[^\r\n]*\.(?:php|phtml|jsp|aspx?)\b)",
)

# Request-body charsets that re-encode every byte (EBCDIC code pages, UTF-7/16/32), or two
# charsets at once: the WAF and the app would decode the body differently.
_CHARSET = (
    I + r"\bcharset\s*=\s*[\"']?(?:ibm\d|cp\d|ebcdic|utf-?7|utf-?16|utf-?32|x-[a-z]|csibm|garbage)|\bcharset\s*=[^;]*;\s*charset\s*=",
)

# ---- linux-posix / windows ---------------------------------------------------------------------
# A shell separator (incl. newline, backtick, $(...)), then a command word used for recon or
# payload delivery, then an argument shape (option, path, variable, end, another separator).
_SEP = r"(?:[;|&\n\r]|\$\()\s*(?:(?:sudo|busybox|nohup|timeout\s+\d+)\s+)?(?:/(?:usr/)?s?bin/)?"
_CMD_WORDS = (
    "whoami|uname|ifconfig|ipconfig|netstat|nslookup|wget|curl|nc|ncat|netcat|telnet|bash|zsh|ksh",
    "dash|csh|tcsh|sh|python[23]?|perl|ruby|php|lua|node|chmod|chown|chattr|useradd|usermod|crontab",
    "mkfifo|socat|tftp|base64|xxd|hexdump|getent|systemctl|killall|pkill|passwd|id|ls|pwd|ps|cat|tac",
    "nl|head|tail|rm|cp|mv|awk|gawk|sed|find|grep|dd|env|printenv|echo|printf|sleep|ping|kill|touch",
    "more|less|uptime|hostname|w|who|last|lsof|df|mount|tar|zip|unzip|gzip|openssl|ssh|scp|ftp|dig",
    "host|traceroute|iptables|export|set|eval|exec|source|xargs|tee|trap|cd|column|base32|rev|time",
    "nohup|strace|ltrace|gdb|chroot|setsid|shred|truncate|chmod|ln|diff|cmp|cut|sort|uniq|tr|od|strings",
    "lastlog|htop|vmstat|dmesg|lsblk|lscpu|lsmod|arp|finger|pinky",
    # Configuration-management, log and recon CLIs an intruder drives; interpreters with a version.
    "ansible(?:-[a-z]+)?|chef-[a-z]+|salt-[a-z]+|visudo|sudoedit|bpftrace|busybox|bsdtar|cpio",
    "lastlogin|lastb|journalctl|cscli|nmap|masscan|zcat|bzcat|xzcat|jrunscript|jjs|tclsh",
    r"python[23]?\.\d+|(?:php|perl|ruby|node)\d(?:\.\d+)?",
)
_CMD_ARG = r"(?:\s*$|\s*[;|&)\n]|\s*[\"']\s*(?:[,}\]]|$)|" + SP + r"+(?:-{1,2}[a-z0-9]|/|~|\$|\.{1,2}/|[a-z0-9_.-]+\.(?:sh|py|pl|txt|php|conf)\b|[<>]|\d+\s*(?:$|[;|&`)])|[a-z0-9.-]+\.[a-z]{2,}\b|\d{1,3}\.\d{1,3}\.|[\"'][a-z]))"
_UNIX = (
    *(I + _SEP + "(?:" + words + ")" + _CMD_ARG for words in _CMD_WORDS),
    # Command substitution. Backticks also delimit markdown inline code, so only recon words there.
    I + r"\$\(\s*(?:/(?:usr/)?s?bin/)?(?:whoami|id|uname|hostname|ifconfig|nslookup|sleep|cat|ls|echo|curl|wget|nc|bash|sh|pwd|env|printenv|base64|ping|dig|host|ps|expr|printf|head|tail|rm)\b[^)]*\)",
    I + r"`\s*(?:/(?:usr/)?s?bin/)?(?:whoami|id|uname|hostname|ifconfig|nslookup|sleep\s+\d+|nc\s+-|cat\s+/etc/|curl\s+[^`]*\|\s*sh)\s*`",
    I + r"\b(?:cat|tac|more|less|head|tail|nl|strings|xxd|od|base64|curl|wget|grep|awk|sed|cp|vi|vim|nano|file|stat)" + SP + r"+(?:-[a-z]+" + SP + r"+)*[^\s;|&]*/etc/(?:passwd|shadow|group|hosts|sudoers|issue|crontab)\b",
    I + r"\b(?:bash|sh|zsh|ksh|dash)" + SP + r"+-[a-z]*c\b|\$\{?shell\}?" + SP + r"+-[a-z]*c\b|\b(?:bash|sh)" + SP + r"+-i\b|/dev/(?:tcp|udp)/|\b(?:nc|ncat|netcat)" + SP + r"+(?:-[a-z]+" + SP + r"+)*(?:-e|-c)\b|\bmkfifo\s|\b(?:curl|wget)" + SP + r"+[^\s]*\|\s*(?:ba)?sh\b",
    I + r"\$\{?ifs\}?|\$\{[a-z_]+:\d+:\d+\}|\b(?:cat|ls|id|cp|rm)\$\{?[a-z_@*]{0,10}\}?(?:\s|/|-)|\{(?:cat|ls|id|wget|curl|nc|bash|sh|echo|rm),",
    I + r"(?:^|[;|&`\s(])(?:/usr)?/bin/(?:ba|z|k|da|c|tc)?sh\b|/bin/(?:cat|ls|id|nc|busybox|echo|uname)\b",
    # A bash here-string feeding a command, and "cd" to the root or up, chained to the next command.
    I + r"[a-z]\s*<<<\s*[\"'$]?[a-z]|(?:^|[;|&`(=])\s*cd\s+(?:/|\.\.)[^;|&\s]*\s*[;|&]+\s*(?:cd\b|[a-z]+\s)",
)
_UNIX_CMDLINE = (
    # The same grammar after CMD_LINE removed quoting tricks (w'h'o'am'i, c\at, c^at; ";" is a
    # space there): recon commands, and a file reader aimed at a system file.
    I + r"(?:^|[\s|&`(=])(?:whoami|uname\s*-[a-z]|ifconfig|netstat\s*-|nslookup\s|wget\s*(?:https?|ftp|-)|curl\s*(?:-|https?)|ncat\s|netcat\s|printenv|getent\s|crontab\s*-|mkfifo\s)",
    I + r"\b(?:cat|tac|more|less|head|tail|nl|grep|awk|sed|base64|base32|xxd|strings|od|column|rev|cut|sort|uniq|diff)(?:\s|\$\{?ifs\}?|<)*[^\s]*/etc/(?:passwd|shadow|group|hosts|sudoers)\b",
    I + r"(?:^|[\s|&`(])(?:nc|ncat|netcat)\s+(?:-[a-z]+\s+)*-[a-z]*[ec]\s",
)
_WINDOWS = (
    I + r"(?:[;|&\n\r`]|\$\(|^)\s*(?:cmd(?:\.exe)?\s*/[ckr]|powershell(?:\.exe)?|pwsh|certutil(?:\.exe)?\s|bitsadmin|wmic\s|mshta\s|rundll32\s|regsvr32\s|cscript\s|wscript\s|net\s+(?:user|localgroup|view|share|use)\b|net1\s|type\s+[a-z]:\\|dir\s+(?:[a-z]:|\\|/[a-z])|whoami\b|ipconfig\b|systeminfo\b|tasklist\b|taskkill\s|reg\s+(?:query|add|delete)\s|sc\s+(?:query|create|start)\s|schtasks\s|vssadmin\s|nltest\s|quser\b|qwinsta\b|netsh\s|ver\b\s*$|echo\s+%[a-z]+%)",
    I + r"(?:^|[\s&|(=/])for\s+(?:/[a-z]\s+(?:\"[^\"]*\"\s+|[^\s%/]+\s+)?)*%%?[^\s%]{1,3}\s+in\s*\(|(?:^|[\s&|(=/])if(?:\s+|\s*/i\s+)(?:not\s+)?[^\s=]+==[^\s=]+\s+[a-z]|(?:^|[\s&|(=])if\s+(?:/i\s+)?(?:not\s+)?(?:exist|defined|errorlevel)\s|\bif\s+/i\s",
    I + r"(?:^|[\s&|(=/])if\s+(?:/i\s+)?(?:not\s+)?[^\s]*%[^\s]*\s*(?:==|lss|gtr|equ|neq|leq|geq)|(?:^|[\s&|(=/])if\s+(?:not\s+)?\S+\s*==\s*\S+\s+(?:goto|echo|call|exit|cmd|set)\b|(?:^|[\s&|(=/])if\s+(?:/i\s+)?(?:not\s+)?\(?\s*\S+\s+(?:equ|neq|lss|leq|gtr|geq)\s+\S|(?:^|[\s&|(=/])if\s+(?:/i\s+)?(?:not\s+)?\"[^\"]*\"\s*==\s*\"|\bgoto\s+:?[a-z_]\w*\s*$",
    I + r"%(?:comspec|systemroot|windir|userprofile|appdata|temp|programfiles|computername|username|path)%|\^%|%[a-z_]+:~-?\d+,\d*%",
    I + r"\b(?:invoke-(?:expression|webrequest|restmethod|command|mimikatz|shellcode)|iex\s*\(|new-object\s+(?:system\.)?net\.webclient|downloadstring\s*\(|downloadfile\s*\(|start-process\b|set-mppreference|add-mppreference|-encodedcommand\b|-enc\s+[a-z0-9+/=]{16,}|frombase64string\s*\(|get-(?:content|childitem|process|wmiobject|itemproperty)\s|\[system\.(?:convert|text\.encoding|reflection)\]|-(?:nop|noprofile|windowstyle\s+hidden|executionpolicy\s+bypass|exec\s+bypass)\b)",
    I + r"\b(?:cmd|command)\.(?:exe|com)\b|\bpowershell\.exe\b|\\\\(?:localhost|127\.0\.0\.1|[a-z0-9.-]+)\\(?:c|admin|ipc)\$",
)

# ---- php --------------------------------------------------------------------------------------
_PHP = (
    I + r"<\?(?:php|=)|<\?\s+(?:echo|system|eval|phpinfo)|\?>\s*$|<\?\s*$|[\"'][a-z_]{3,}[\"']\s*\(",
    I + r"\b(?:eval|assert|system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|create_function|call_user_func(?:_array)?|preg_replace|file_get_contents|file_put_contents|fwrite|fopen|readfile|highlight_file|show_source|phpinfo|unserialize|base64_decode|gzinflate|str_rot13|include(?:_once)?|require(?:_once)?|move_uploaded_file|ini_set|putenv|mail|curl_exec|array_map|usort|ob_start|extract|parse_str|var_dump|print_r|chr)\s*\(\s*(?:\$|[\"'`]|\w+\s*\(|\d|\)|@)",
    I + r"\b(?:php|phar|zip|data|expect|glob|zlib|compress\.zlib|compress\.bzip2|input|ogg|rar|ssh2)://",
    I + r"(?:shell_exec|passthru|proc_open|pcntl_exec|fsockopen|pfsockopen|gzinflate|gzuncompress|gzdecode|str_rot13|strrev|base64_decode|assert_options|create_function|call_user_func|preg_replace|file_get_contents|file_put_contents|fputs|readfile|show_source|highlight_file|phpinfo|posix_[a-z]+|escapeshell(?:cmd|arg)|curl_exec|move_uploaded_file|unserialize|get_defined_vars|ini_[gs]et|symlink|popen|fopen|fwrite)(?:\s|/\*[^*]*\*/|//[^\n]*\n|#[^\n]*\n)*\(",
    I + r"(?:file_exists|is_file|is_dir|scandir|opendir|readdir|unlink|rmdir|tempnam|tmpfile|parse_ini_file|simplexml_load_file|get_cfg_var|getmypid|php_uname|phpversion)(?:\s|/\*[^*]*\*/|//[^\n]*\n|#[^\n]*\n)*\(",
    I + r"\b(?:exec|system|eval|assert|include|require)(?:\s|/\*[^*]*\*/|//[^\n]*\n)*(?:/\*[^*]*\*/|//[^\n]*\n)(?:\s)*\(|[)\]]\s*(?:\[[^\]]*\]\s*)*\(\s*[\"'][a-z]|[\"'][a-z_]+[\"']\s*\.\s*[\"'][a-z_]+[\"']",
    I + r"\$_(?:get|post|request|cookie|server|files|env|session)\s*\[|\$globals\s*\[|\$\{\s*[\"']?_(?:get|post|request)",
    I + r"\b[oc]:\d+:\"[a-z_\\][a-z0-9_\\]*\":\d+:\{|\ba:\d+:\{(?:[is]:\d+[:;])",
    # Variable functions and dynamic calls: $a(1), ${'a'}(11), $$b(2), $_[0](…), @$x(…).
    I + r"\$+(?:\{[^}]*\}|[a-z_][\w]*)\s*(?:\[[^\]]*\]\s*|/\*[^*]*\*/\s*)*\(\s*[\d\"'$]",
    I + r"[\[{]php[\]}]|<\?php\b|\bphp://",
    # Uploading a server-side script: multipart file names and X-Filename-style header values,
    # including the "name.php." / "name. php" forms some servers normalise back to ".php".
    I + r"filename\*?\s*=\s*[\"']?[^\"'\r\n;]*\.(?:php\d?|phtml|phar|phps|pht|pgif|shtml|aspx?|jspx?|cgi)\b|\.\s+(?:php\d?|phtml|phar|phps|pht)\b|\.(?:php\d?|phtml|phar|phps|pht)\.+\s*$|\.(?:phtml|phar|phps|pht|php[3-7])\s*$",
    # php.ini directives set from a request (ini_set / .user.ini / CGI -d injection).
    I + r"\b(?:session\.[a-z_]{3,}|memory_limit|allow_url_fopen|allow_url_include|auto_prepend_file|auto_append_file|disable_functions|open_basedir|register_globals|upload_tmp_dir|max_execution_time|display_errors|error_log|include_path|short_open_tag|file_uploads|cgi\.force_redirect)\s*=",
    I + r"\bauto_(?:prepend|append)_file\b|\ballow_url_include\b|\bdisable_functions\b|\bopen_basedir\b|\bsafe_mode\b",
)

# ---- nosql ------------------------------------------------------------------------------------
_NOSQL = (
    # A MongoDB query operator as a JSON key ("$ne":) or a bracketed form key (a[$ne]=).
    I + r"[\"'\[{,]\s*\$(?:ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|expr|not|nor|or|and|elemmatch|size|all|type|mod|text|function|accumulator|jsonschema|options|lookup|merge|out)\b\s*[\"'\]]",
    I + r"\[\s*\$(?:ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|expr|not|nor|or|and)\s*\]",
    I + r"\$where\b\s*[\"']?\s*[:=]|\bdb\.(?:\w+\.)?(?:find|insert|update|remove|drop|getcollection)\w*\s*\(|\bthis\.\w+\s*(?:==|!=|\.match\s*\()|\bmapreduce\b\s*\(",
)

# ---- xxe ----------------------------------------------------------------------------------------
_XXE = (
    I + r"<!\s*entity\b|<!\s*doctype\s+[a-z0-9_:.-]+\s*(?:\[|system\b|public\b)|<!\s*element\b|<!\s*attlist\b",
    I + r"\bsystem\s+[\"'](?:file|https?|ftp|php|expect|jar|netdoc|gopher|data|dict|ldap)\s*:|\bxmlns:xi\s*=|<\s*xi:include\b|<\s*xsl:(?:value-of|copy-of|include|import)\b.*(?:document|system-property|unparsed-text)",
)

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
    RuleClass("core", "BodyCharsetEvasion", _CHARSET, placements=("HEADER",)),
    RuleClass("core", "MultipartEvasion", _MULTIPART, placements=("BODY",)),
    RuleClass("sql-database", "SQLi", detector="sqli"),
    RuleClass("sql-database", "SQLiGrammar", _SQLI, chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "Log4JRCE", _LOG4J, chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "TemplateInjection", _SSTI, chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "CRLFInjection", _CRLF, placements=NO_BODY, chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "CRLFInjectionBody", _CRLF_BODY, placements=("BODY",), chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "RequestSmuggling", _SMUGGLING, chains=("DEC",)),
    RuleClass("known-bad-inputs", "NodeJSInjection", _NODE, chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "LDAPInjection", _LDAP, chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "JavaDeserializationRCE", _JAVA, chains=("DEC", "B64")),
    RuleClass("linux-posix", "UNIXShellCommands", _UNIX, chains=("DEC", "B64", "CMD")),
    RuleClass("linux-posix", "UNIXShellCommandsUnquoted", _UNIX_CMDLINE, chains=("CMD",)),
    RuleClass("linux-posix", "UNIXShellExpansion", _SHELL_EXPANSION, placements=("URIPATH", "QUERYARGUMENTS", "BODY", "HEADER")),
    RuleClass("windows", "WindowsShellCommands", _WINDOWS, chains=("DEC", "B64")),
    RuleClass("php", "PHPHighRiskMethods", _PHP, chains=("DEC", "B64")),
    RuleClass("nosql", "NoSQLOperators", _NOSQL, chains=("DEC", "B64")),
    RuleClass("xxe", "XMLExternalEntity", _XXE, placements=("QUERYARGUMENTS", "BODY", "COOKIE", "HEADER"), chains=("DEC", "B64")),
)
