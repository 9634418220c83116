"""Attack classes of the known-bad-inputs managed rule group(s): what each matches, and why.

See ``ruleclass.py`` for the conventions every regex here follows."""

from __future__ import annotations

import base64

from ruleclass import NO_BODY, I, RuleClass, alt_whitespace_all


def _b64_inside(word: str) -> tuple[str, ...]:
    """The base64 text ``word`` becomes at each of the three byte alignments inside a longer
    base64 blob (a serialized object, a gadget chain), minus the characters that depend on the
    neighbouring bytes. Case-sensitive: base64 is."""
    out = []
    raw = word.encode()
    for pad, skip in ((0, 0), (1, 2), (2, 3)):
        enc = base64.b64encode(b"\0" * pad + raw).decode()
        enc = enc[skip : (pad + len(raw)) * 8 // 6]
        out.append(enc.replace("+", "[+ ]"))  # URL decoding may have turned "+" into " "
    return tuple(out)

# ---- known-bad-inputs -------------------------------------------------------------------------
_LOG4J = (
    # ${jndi:...} and every lookup that can rebuild it: ${lower:j}, ${::-j}, ${env:X:-j}, nesting.
    I + r"\$\{\s*(?:\$\{[^}]*\}\s*)*(?:jndi|j\$|[a-z]{0,10}:[^}]*-j)",
    I + r"\$\{\s*(?:lower|upper|env|sys|java|date|ctx|main|base64|bundle|k8s|docker|web|spring|log4j|marker|sd|map|event|jvmrunargs|::-)\s*:",
    # Nested lookups (``${${lower:j}ndi:…}``); a JavaScript template literal inside another's
    # expression has a backtick between them (`` `${a ? ` to ${b}` : ''}` ``).
    I + r"\$\{[^}`]*\$\{",
    I + r"\bjndi\s*:\s*(?:ldaps?|rmi|dns|iiop|nis|nds|corba|https?)\s*:",
)

_SSTI = (
    # Template expressions that reach Python/Java internals or evaluate arithmetic.
    *(I + opener + r"[^}%>]*(?:__(?:class|mro|subclasses|globals|builtins|import|init|base|bases|dict|getattribute|code|self)__|\bconfig\b|\brequest\s*\.\s*(?:application|environ)|\bself\s*\.|\blipsum\b|\bcycler\b|\bjoiner\b|\bnamespace\b|\bos\s*\.\s*(?:popen|system)|\bgetruntime\b|\bruntime\b|\bprocessbuilder\b|\bexec\s*\(|\beval\s*\(|\bsystem\s*\(|\bpopen\b|\bsubprocess\b|\bclass\.forname|\bnew\s+java|\bt\s*\(\s*java\.|\b_self\s*\.\s*env\b|\bconstructor\s*(?:\.\s*constructor|\()|\bgetclass\s*\(|\bgetprotectiondomain\b|\bsettings\s*\.\s*secret|\bdump\s*\(\s*app\b|\bapp\s*\.\s*request\s*\.\s*server\b)" for opener in (r"\{\{", r"\{%", r"(?:\$|#|\*|@)\{", r"<%=?")),
    I + r"(?:\{\{|\$\{|#\{|\*\{|<%=?|\{%|\[\[|\{#)[=~-]?\s*[\d\s'\"]+[*+/%-]\s*[\d\s'\"]+(?:\}\}|\}|%>|%\}|\]\]|#\})",
    # Tags that reach the loader or the environment ({% raw %} / {% if %} are ordinary text).
    I + r"\{%\s*(?:import|include|extends|from|debug|load)\b[^%]*%\}",
    I + r"<#\s*(?:assign|import|include|list|if|macro)\b|freemarker\.template\.utility|\?new\s*\(\s*\)|#set\s*\(\s*\$|\$class\.inspect|#\{\s*[a-z_]+\s*\(",
    # A whole framework object dumped ({{self}}, {{request}}, {{settings}}): templates print its
    # attributes ({{ request.path }}), a probe prints the object; a string literal's method called
    # ({{'a'.toUpperCase()}}); Razor arithmetic over two literals (@(7*7), @{7*7}, @(3+4), whose "+"
    # a second URL decoding turns into a space); the engine-detection polyglot.
    I + r"\{\{\s*(?:self|_self|request|config|settings|app|session|env|environ|g)\s*\}\}|\{\{\s*['\"][^'\"{}]*['\"]\s*\.\s*[a-z_]\w*\s*\(|@[({]\s*\d+(?:\s*[*+]|\s)\s*\d+\s*[)}]|\$\{\{\s*<%|\{\{\s*<%\s*\[%",
    I + r"\{\{\s*[a-z_]+\s*\|\s*(?:attr|safe|e|join|format|tojson)\b|\|\s*attr\s*\(|\{\{\s*\[\]\s*\.|\{\{\s*['\"]\s*['\"]\s*\.",
    # A control tag whose condition is a constant ({% if True %}49{% endif %}, <% if 1 %>): an
    # evaluation probe; a template sent as data tests a variable, not a literal.
    # Unified EL (JSP, JSF, Spring) reading a container's implicit object: ${applicationScope},
    # #{facesContext.externalContext}, ${pageContext.request}. The names are JSP/JSF internals no
    # Ruby "#{...}" or JavaScript "${...}" interpolation a user quotes would use.
    I + r"[#$]\{\s*(?:facescontext|applicationscope|sessionscope|requestscope|pagescope|pagecontext|servletcontext|initparam)\b",
    # Engine-specific probes: Jinja's print statement over arithmetic ({%print(7*7)%}), Smarty's
    # own variables and tags ({$smarty.version}, {system('id')}; {php} is the php group's), the Handlebars "with"
    # block over a string literal that the known RCE chain starts with.
    I + r"\{%-?\s*print\s*\(?\s*[\d'\"]+\s*[*+/%-]|\{\$smarty\.(?:version|template|template_object|current_dir|now|const|server|env|cookies|session)\b"
    r"|\{(?:system|exec|passthru|shell_exec|popen)\s*\(|\{\{#with\s+(?:\"[^\"]*\"|'[^']*')\s+as\s*\|",
    # ... or calling the Servlet API from inside the expression (#{session.getAttribute('x')}).
    I + r"[#$]\{[^}]{0,80}\.\s*get(?:attribute|parameter|header|session|servletcontext|realpath|initparameter|writer|outputstream)\s*\(",
    I + r"(?:\{%-?|<%=?-?)\s*(?:if|elif|elsif|unless|while)\s+(?:true|false|none|nil|null|\d+(?:\s*[=!<>]=?\s*\d+)?)\s*-?(?:%\}|%>)",
)

_CRLF = (
    # A decoded line break followed by an HTTP header name and a colon (response splitting).
    I + r"(?:[\r\n]|\\[rn])\s*(?:set-cookie|location|content-(?:type|length|disposition|security-policy)|x-[a-z0-9-]+|access-control-[a-z-]+|refresh|host|cache-control|transfer-encoding|connection|link|server|status|www-authenticate|http/\d)\s*:",
    # Any hyphenated header name after a line break (Remote-Addr:, X-Forwarded-Host:, Content-…):
    # prose labels after a line break in a query or header value are rare and seldom hyphenated.
    I + r"(?:[\r\n]|\\[rn])\s*[a-z][a-z0-9]*-[a-z0-9-]+\s*:",
    I + r"[\r\n]+\s*http/\d(?:\.\d)?\s+\d{3}\b|[\r\n]{2}\s*<(?:html|script)",
    # A whole request line inside a value (smuggling / request splitting), or as the first path
    # segment ("/GET /admin HTTP/1.1").
    I + r"(?:^/?|[\r\n=&;]|\\[rn])\s*(?:get|post|head|put|delete|options|connect|trace|patch)\s+(?:https?://\S+|/\S*)\s+http/\d(?:\.\d)?\b",
    # U+560A / U+560D: some runtimes keep only the low byte (0x0A / 0x0D) of a UTF-16 unit; two of
    # them then markup is a response body injected after the headers.
    I + r"[\x{560a}\x{560d}]\s*[a-z-]{2,40}\s*:|[\x{560a}\x{560d}]{2}\s*<[a-z!]",
    # A cookie header glued to a mangled line break (bytes a runtime may fold into CR/LF, an
    # encoding left half-done): "^\x98\x8dSet-Cookie:a=b" in a path or query.
    I + r"[^\w\s-]set-cookie:[^\s=;]+=",
)

# In bodies line breaks are ordinary (textareas): only response-splitting header names count,
# and X-XSS-Protection only with the value that turns the browser's filter off.
_CRLF_BODY = (
    I + r"(?:[\r\n]|\\[rn])\s*(?:set-cookie|content-length|access-control-allow-[a-z-]+|x-injected|transfer-encoding)\s*:|(?:[\r\n]|\\[rn])\s*x-xss-protection\s*:\s*0\b|(?:[\r\n]|\\[rn])\s*location\s*:\s*(?:https?:|//)|(?:[\r\n]|\\[rn])\s*refresh\s*:\s*\d+\s*;\s*url\s*=",
    I + r"[\x{560a}\x{560d}]\s*[a-z-]{2,40}\s*:|[\x{560a}\x{560d}]{2}\s*<[a-z!]",
)

# Gadget classes of the public deserialization chains (commons-collections, xalan, JDK), as they
# appear inside a base64 blob at any offset (CamelCase as in the stream, lowercase as in probes).
_GADGETS = (
    "ProcessBuilder", "InvokerTransformer", "ChainedTransformer", "ConstantTransformer",
    "InstantiateTransformer", "InstantiateFactory", "CloneTransformer", "ForClosure", "WhileClosure",
    "PrototypeCloneFactory", "PrototypeSerializationFactory", "TemplatesImpl", "JdbcRowSetImpl",
    "AnnotationInvocationHandler", "BadAttributeValueExpException", "java.lang.Runtime", "getRuntime",
)
_GADGETS_B64 = sorted({frag for g in _GADGETS for w in (g, g.lower()) for frag in _b64_inside(w)})
# "runtime" is an ordinary word inside longer base64 text (a source file, a JSON config), so it
# counts only as a *short* token: base64 of the bare class name, give or take a byte or two around
# it (a probe for a deserializer that base64-decodes a class name from a parameter or cookie).
# A "/" around it counts as a boundary too: it separates URL path segments.
_B64_ALPHABET = "A-Za-z0-9+/"
_RUNTIME_B64 = (
    rf"(?:^|[^A-Za-z0-9+])[{_B64_ALPHABET}]{{0,3}}(?:"
    + "|".join(sorted({frag for w in ("runtime", "Runtime") for frag in _b64_inside(w)}))
    + rf")[{_B64_ALPHABET}]{{0,4}}(?:$|[^A-Za-z0-9+])"
)

_JAVA = (
    # Serialized Java objects: the stream magic AC ED 00 05 in base64 at each byte alignment
    # ("rO0AB", "?ztAA?", "?s7QAF", with the prefix-dependent characters spelled out), raw.
    r"\brO0AB[A-Za-z0-9+/]|[Kaq6]ztAA[U-X]|[CGKOSWaeimquy26/]s7QAF|\xac\xed\x00?\x05",
    # The same magic as a hex dump, then a TC_* type code (0x70-0x7e): "aced0005737200…".
    I + r"\baced0005\s?7[0-9a-e]",
    "(?:" + "|".join(_GADGETS_B64) + ")",
    _RUNTIME_B64,
    I + r"\bjava\.(?:lang\.(?:runtime|processbuilder|reflect|class|system)|io\.(?:objectinputstream|file)|net\.url|beans\.xmldecoder|util\.scanner)\b|\bjavax\.(?:naming|script|management)\.|\borg\.apache\.commons\.collections\d*\.|\bcom\.sun\.(?:rowset|org\.apache\.xalan|jndi)\.|\bysoserial\b|\bjdbcrowsetimpl\b|\btemplatesimpl\b|\bbeanutils\.beancomparator\b",
    I + r"\bclass\s*\.\s*(?:module|classloader|protectiondomain)\s*\.|\bgetclass\s*\(\s*\)\s*\.\s*(?:forname|getclassloader|getmethod)|\b(?:runtime|system)\s*\.\s*(?:getruntime|exec)\s*\(|\.\s*getruntime\s*\(\s*\)\s*\.\s*exec\s*\(",
    I + r"[\"']@type[\"']\s*:\s*[\"'][a-z]+\.[a-z]+\.|<\s*java\s+version\s*=|<\s*(?:object|void)\s+class\s*=\s*[\"']java\.",
    # Fully qualified JDK / gadget classes in user input (deserialization, expression injection).
    I + r"\b(?:java|javax|jdk|sun)\.(?:lang|io|util|net|nio|beans|rmi|security|sql|script|naming|management|xml|awt|el)\.[a-z_$][\w$]*(?:[^\w$:\s]|$)|<\s*(?:java|javax|jdk|sun)\.[a-z]+\.[a-z_$]|\bjava/lang/(?:runtime|processbuilder|reflect)\b|\bch\.qos\.logback\.|\bbsh\.interpreter\b|\bgroovy\.lang\.|\bcom\.(?:sun|opensymphony|alibaba\.fastjson|mchange|caucho)\.|\borg\.(?:apache\.(?:commons|xalan|tomcat|catalina|struts|log4j|xbean|myfaces|wicket|bcel)|springframework|codehaus\.groovy|hibernate|jboss|mozilla\.javascript|python\.core|omg\.corba)\b",
    I + r"\b(?:processbuilder|invokertransformer|instantiatetransformer|chainedtransformer|constanttransformer|prototypeclonefactory|prototypeserializationfactory|instantiatefactory|whileclosure|forclosure|clonetransformer|annotationinvocationhandler|badattributevalueexpexception|priorityqueue|lazymap|transformedmap|jdbcrowsetimpl|templatesimpl|xmldecoder|objectinputstream|classloader\.(?:loadclass|definclass))\b",
    I + r"%\{\s*[#(@]|\$\{\s*#|#_memberaccess|@ognl|ognlcontext|#context\s*\[|\.getwriter\s*\(|@java\.lang\.",
    # Runtime / ProcessBuilder named through a java.* package path (java.Runtime,
    # java.evil.runtime); the system property "java.runtime.version" is not a class and passes.
    I + r"\bjava(?:\.[\w$]+)*\.[\w$]+\.(?:runtime|processbuilder)\b|\bjava\.(?:runtime|processbuilder)(?:[^\w.]|$)",
)

# The node-serialize marker and child_process as they appear inside a base64 blob at any offset: a
# cookie or header carrying a serialized function, even when the blob itself was \u-escaped.
_NODE_B64 = sorted({frag for w in ("_$$ND_FUNC$$_", "child_process", "__js_function") for frag in _b64_inside(w)})

_NODE = (
    "(?:" + "|".join(_NODE_B64) + ")",
    # Server-side JavaScript: node-serialize IIFE marker, child_process, prototype pollution,
    # busy loops (event-loop DoS). ``module.exports`` only as a whole value (a probe, CRS 934100):
    # every CommonJS file writes ``module.exports = X`` on a line of its own (a code upload).
    I + r"_\$\$nd_func\$\$_|\b__js_function\b|\bchild_process\b|\brequire\s*\(\s*[\"'`](?:child_process|fs|net|vm|os|http)[\"'`]\s*\)|\bprocess\s*\.\s*(?:mainmodule|binding|kill|exit|dlopen)\b|\bprocess\s*\.\s*env\s*(?:[\[)};,]|$|\.\s*[a-z_]\w*\s*(?:[)};,]|$))|\bmodule\s*\.\s*(?:constructor|require)\b|(?:^|[=&\"'])\s*module\s*\.\s*exports\b|\bglobal\s*\.\s*process\b|\bconstructor\s*\.\s*constructor\b|\brequire\s*\[",
    I + r"\bwhile\s*\(\s*[!+\-(\s]*(?:true|false|undefined|null|nan|-?infinity|\d+|''|\"\"|\[\]|\{\})\s*\)*\s*\)|\bfor\s*\(\s*;\s*;\s*\)",
    I + r"(?:__proto__|constructor[\"'\]\\]*\s*[.\[]\s*\\?[\"']?prototype)\s*[\]\"'\\]*\s*[.\[=:]|\[\s*\\?[\"']__proto__\\?[\"']\s*\]",
    I + r"\bconstructor\\?[\"']?\s*:\s*\{\s*\\?[\"']?prototype\\?[\"']?\s*:|\bfunction\s*\(\s*[\"'`]\s*return\b",
    # The global object indexed by a string (global['process']) and Object.prototype assignments.
    I + r"\b(?:global|globalthis)\s*\[\s*[\"'`](?:process|require|module|eval|function|constructor)[\"'`]\s*\]|\bobject\s*\.\s*prototype\s*\.\s*[\w$]+\s*=\s*[^=\s]",
    # The module loader reached from an expression: require.main, module._load, constructor._load.
    # Not a Node stack trace's frame ("at Module._load (node:internal/modules/cjs/loader:1023:12)"
    # in a pasted error): a space then "(" is how a trace prints the frame's location.
    I + r"\brequire\s*\.\s*(?:main|cache|extensions)\b|\b(?:module|constructor|main)\s*\.\s*_(?:load|compile|resolvefilename)(?:\(|\s*[^\s(\w]|\s*$)",
    # React Server Components (Flight) references that walk into a constructor or prototype:
    # "$3:constructor:constructor", "$7:Module:prototype:_compile" (CVE-2025-55182 style).
    I + r"[\"']\$[a-z@]?[0-9a-f]{0,8}:(?:[\w$]+:)*(?:constructor|__proto__|prototype)\b",
    # Busy loops on a value that never becomes false: while(this);, while(new Date);, while(!``).
    I + r"\bwhile\s*\(\s*[!+\-(\s]*(?:``|this|new\s+[a-z_$][\w$]*(?:\s*\(\s*\))?|string|object|array|number|boolean|symbol|date|math|json|function|regexp|globalthis|window)\s*\)*\s*\)\s*(?:;|\{|$)",
    I + r"\bnew\s+function\s*\(|\bprocess\s*\[|\beval\(\s*[a-z\"'`\[(]|\beval\s+\(\s*[\"'`\[(]|\bconsole\s*\[\s*[\"']\w+[\"']\s*\]\s*\(|\bfunction\s*\(\s*\)\s*\{[^}]*\}\s*\(\s*\)",
    # A script sink invoked through Function.prototype.call / apply / bind
    # (console.info.call(this,1), alert.apply(null,[1])): code, never prose.
    I + r"\b(?:alert|confirm|prompt|eval|settimeout|setinterval|execscript|function|require|console\s*\.\s*[a-z]+|process\s*\.\s*[a-z]+|document\s*\.\s*write(?:ln)?)\s*\.\s*(?:call|apply|bind)\s*\(",
    # A value that is one console call and nothing else (console.info(1)): an injection probe
    # checking that server-side JavaScript runs; a sentence quoting it has words around it.
    I + r"(?:^|[=&]|\r?\n\r?\n)\s*console\s*\.\s*(?:log|info|warn|error|debug|dir|dirxml|trace|table|assert|count|time|timeend|timelog|group)\s*\([\w\s,'\"-]{0,64}\)\s*;?\s*(?:$|&|\r?\n--)",
)

# GraphQL schema introspection (__schema { … }, __type(name: …)): how an attacker maps an API
# whose schema is not published. Production APIs turn it off; client queries never select it
# (``__typename``, which Apollo adds to every selection, passes).
_GRAPHQL_INTROSPECTION = (
    I + r"\b__schema\s*\{|\b__type\s*\(\s*name\s*:",
)

# A data: URI of a text or PHP media type as a JSON member name or an XML attribute value
# ({"data:text/plain": …}, <a probe="data:text/plain;base64,…">): a PHP data:// stream handed to
# a fetcher (CRS 934170). Uploaded files arrive as JSON *values* and images, which pass.
_DATA_SCHEME_BODY = (
    I + r"[{,]\s*\"\s*data:(?:text/(?:plain|x-php|php)|application/(?:x-httpd-php\w*|x-php|php))\b[^\"]*\"\s*:|\s[\w:.-]+\s*=\s*[\"']\s*data:(?:text/(?:plain|x-php|php)|application/(?:x-httpd-php\w*|x-php|php))\b",
)

# Perl and Ruby code evaluated from a string: Perl's "@{[ expr ]}" interpolation (code run inside
# a double-quoted string), Ruby's Process.spawn / Kernel.exec / IO.popen / Open3.
_PERL_RUBY = (
    I + r"@+\s*\{\s*\[",
    I + r"\b(?:process|kernel|io|open3|pty)\s*\.\s*(?:spawn|exec|system|popen\d?|fork|capture(?:2e|2|3)?|pipeline\w*)\s*\(",
    # Ruby/Perl command literals %x(…), %x{…}, %x[…] at the start of a value or after a separator.
    I + r"(?:^|[\s;=(&|,/])%x\s*(?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\]|<[^>]*>|\|[^|]*\|)",
    # Ruby's dynamic dispatch to a command runner (obj.send(:system, "id")) and Perl/Ruby pipe
    # opens (open("|id")).
    I + r"\.\s*(?:send|public_send|__send__|method)\s*\(\s*[:\"'](?:system|exec|spawn|syscall|eval|instance_eval|class_eval|popen|`)\b|\bopen\s*\(\s*(?:(?:my\s+)?\$?\w+\s*,\s*)?[\"']\s*\|",
)

# Deserializers that build arbitrary objects from text: YAML tags naming a class (Ruby Psych
# "!ruby/object:", PyYAML "!!python/object/apply:", SnakeYAML "!!javax.script…") and the pickle
# GLOBAL opcode importing a command runner ("cos\nsystem\n").
_UNSAFE_DESER = (
    I + r"!ruby/(?:object|hash|struct|class|module|marshalable|sym|regexp|array|string)\b|!!python/(?:object|name|module)\b|!!(?:javax?|com|org|sun|jdk)\.[a-z]",
    I + r"\bc(?:os|posix|nt|subprocess|builtins|__builtin__|commands|pty)\s*\n\s*(?:system|popen\w*|check_output|check_call|call|run|eval|exec|execfile|getoutput|spawn\w*|getattr)\b",
)

# LDAP filter injection: a closed filter followed by a new one, "admin)(|(password=*".
_LDAP = (
    I + r"\)\s*\(\s*[|&!]\s*(?:\)|$)|\)\s*[|&!]?\s*\(\s*[|&!]?\s*\(?\s*[a-z][\w-]*\s*[~<>]?=|\*\s*\)\s*\(\s*[|&]|\(\s*[|&]\s*\(\s*[a-z][\w-]*\s*=\s*\*",
    # The same with nested opening parentheses, operators between them and extensible matches
    # ("admin*)((|userPassword=*)", ")(|(userAccountControl:1.2.840.113556.1.4.803:=2)",
    # "admin))(|(|"), RFC 4515 escapes of the parentheses ("\29\28|\28uid=*").
    I + r"\)\s*[|&!]?\s*(?:\(\s*[|&!]?\s*){1,3}[a-z][\w.-]*(?::[\w.:-]*)?\s*[~<>]?:?=|\)\s*\(\s*[|&!]\s*\(\s*[|&!]|\\29\s*(?:\\28|\()",
    # A presence filter (attr=*) on a directory attribute, a filter closed and cut with a NUL or
    # at the end ("*))%00"), the LDAP fuzzing string "*()|&'".
    I + r"\(\s*(?:objectclass|objectcategory|uid|cn|sn|mail|userpassword|samaccountname|memberof|ou|dc|givenname|telephonenumber|description|department|title|uidnumber|gidnumber|homedirectory|loginshell|userprincipalname|distinguishedname|member|manager|employeeid|displayname)\s*[~<>]?=\s*\*",
    I + r"\*\s*\)\s*\)+\s*(?:%00|\x00|$|&|[\r\n])|\*\s*\(\s*\)\s*\|\s*&",
    # An extensible match (RFC 4515): an attribute, an optional ":dn", a matching rule's OID, then
    # ":=" ("userPassword:2.5.13.18:=x", "cn:dn:=admin"): filter syntax no form value has.
    I + r"\b[a-z][\w-]*(?::dn)?:\d+(?:\.\d+){2,}:=|\b[a-z][\w-]*:dn(?::\d+(?:\.\d+)+)?:=",
)

CLASSES: tuple[RuleClass, ...] = (
    RuleClass("known-bad-inputs", "Log4JRCE", _LOG4J, chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "TemplateInjection", alt_whitespace_all(_SSTI), chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "CRLFInjection", _CRLF, placements=NO_BODY, chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "CRLFInjectionBody", _CRLF_BODY, placements=("BODY",), chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "NodeJSInjection", _NODE, chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "GraphQLIntrospection", _GRAPHQL_INTROSPECTION, placements=("QUERYARGUMENTS", "BODY"), chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "DataSchemeBody", _DATA_SCHEME_BODY, placements=("BODY",), chains=("DEC",)),
    RuleClass("known-bad-inputs", "LDAPInjection", _LDAP, chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "PerlRubyInjection", _PERL_RUBY, chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "UnsafeDeserialization", _UNSAFE_DESER, chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "JavaDeserializationRCE", _JAVA, chains=("DEC", "B64")),
)
