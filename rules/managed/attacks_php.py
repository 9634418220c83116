"""Attack classes of the php managed rule group(s): what each matches, and why.

See ``ruleclass.py`` for the conventions every regex here follows."""

from __future__ import annotations

from ruleclass import NO_BODY, I, RuleClass

# ---- pieces of PHP's grammar ------------------------------------------------------------------
# What PHP lets an attacker put between a function name and its "(": whitespace and the three
# comment forms (/* */, // to end of line, # to end of line).
_CMT = r"(?:/\*[^*]*\*+(?:[^/*][^*]*\*+)*/|//[^\n]*\n|#[^\n]*\n)"
_SEP = r"(?:\s|" + _CMT + r")*"
# Separators nobody types in prose: one with a comment in it, or (after the few names that are
# only ever commands) a tab, a line break or a run of spaces.
_CMT_SEP = _SEP + _CMT + _SEP
_ODD_SEP = _SEP + r"(?:" + _CMT + r"|[\t\r\n\x0b\x0c]|\x20\x20)" + _SEP
# A *global* call: the name is not a method or property (not after ".", "->", "::", "$" or a
# letter), which keeps `arr.sort()`, `$obj->filter()` and `np.array_split(` out.
_GLOBAL = r"(?:^|[^\w.>:$\\-])"

# PHP built-ins whose names are not English words: any call is code.
_PHP_FUNCS = (
    r"(?:shell_exec|passthru|proc_(?:open|close|terminate|get_status|nice)|pcntl_\w+|popen|fsockopen|pfsockopen"
    r"|gzinflate|gzuncompress|gzdecode|gzopen|gzread|gzfile|bzdecompress|bzopen|bzread|zlib_(?:decode|encode)"
    r"|str_rot13|strrev|base64_decode|convert_uudecode|hex2bin|assert_options|create_function"
    r"|call_user_(?:func|method)(?:_array)?|func_get_args|forward_static_call(?:_array)?|invokeargs"
    r"|preg_replace(?:_callback(?:_array)?)?|mb_ereg_replace(?:_callback)?|mb_eregi_replace"
    r"|array_(?:map|filter|walk(?:_recursive)?|reduce|diff_u\w*|intersect_u\w*|udiff\w*|uintersect\w*)"
    r"|u[ak]?sort|iterator_apply|register_(?:shutdown|tick)_function|set_(?:error|exception)_handler"
    r"|spl_autoload_register|ob_start|parse_str|var_dump|var_export|print_r|debug_zval_dump"
    r"|file_get_contents|file_put_contents|fputs|fwrite|fopen|readfile|fpassthru|show_source|highlight_file"
    r"|highlight_string|php_strip_whitespace|phpinfo|phpversion|php_uname|php_sapi_name|getmypid|getmyuid"
    r"|get_cfg_var|get_current_user|get_defined_(?:vars|functions|constants)|get_class_(?:methods|vars)"
    r"|get_included_files|get_loaded_extensions|ini_(?:get|get_all|set|restore|alter)|putenv|getenv"
    r"|apache_\w+|posix_\w+|escapeshell(?:cmd|arg)|curl_(?:init|exec|multi_exec|setopt\w*)"
    r"|move_uploaded_file|is_uploaded_file|unserialize|simplexml_load_(?:file|string)|parse_ini_(?:file|string)"
    r"|file_exists|is_(?:file|dir|link|readable|writ(?:e)?able|executable|array|callable|object|string)"
    r"|scandir|opendir|readdir|unlink|rmdir|mkdir|tempnam|tmpfile|symlink|chmod|chown|chgrp|lchown"
    r"|filegroup|fileowner|fileperms|fileinode|disk_free_space|sys_get_temp_dir"
    r"|strip_tags|addslashes|stripslashes|htmlspecialchars_decode|html_entity_decode|intval|floatval"
    r"|str_replace|str_repeat|str_pad"
    r"|function_exists|method_exists|class_exists|reflection(?:function|method|class)"
    r"|wp_(?:safe_)?remote_\w+|wp_remote_fopen|__halt_compiler|gethostbyname\w*"
    # Date built-ins no other language names this way (SQL's date_add, date_part, date_trunc are
    # left out).
    r"|date_(?:create(?:_immutable)?(?:_from_format)?|default_timezone_[gs]et|interval_\w+|parse_from_format"
    r"|sun_info|sunrise|sunset|timestamp_[gs]et|timezone_[gs]et|time_set|date_set|isodate_set|get_last_errors"
    r"|modify|offset_get))"
)
# Extension families whose prefix alone says "PHP built-in" (pl2: any of the ~1,000 functions).
_PHP_FAMILIES = (
    r"(?:pcntl|posix|proc|curl|preg|mb|zlib|ob|stream|socket|ldap|odbc|sodium|openssl|tidy|zend|libxml"
    r"|simplexml|iconv|finfo|exif|gmp|ctype|grapheme|intl|ftp|ssh2|mysqli|sqlite|oci|pg|xmlrpc|dba|imap"
    r"|mcrypt|mhash|apcu?|opcache|xdebug|runkit7?|uopz|ffi|pcre)_\w+"
)
# PHP's array built-ins: PHP code calls them with arguments ("$a = array_merge($b, $c);" is a
# developer's snippet), a probe with none or with a comment before "(" (PostgreSQL's array_agg,
# array_length, array_fill and array_replace are left out).
_PHP_ARRAY = (
    r"array_(?:change_key_case|chunk|column|combine|count_values|diff(?:_assoc|_key)?|fill_keys|flip"
    r"|intersect(?:_assoc|_key)?|is_list|key_exists|key_first|key_last|keys|merge(?:_recursive)?|multisort"
    r"|pad|pop|product|push|rand|replace_recursive|reverse|search|shift|slice|splice|sum|unique|unshift|values)"
)
# English words that are also dangerous PHP functions ("exec", "system", "file"): they count only
# with an obfuscating separator or an argument that is code.
_PHP_WORDS = r"(?:exec|system|eval|assert|include(?:_once)?|require(?:_once)?|file|copy|rename|link|touch|header|pack|unpack|serialize|checkdate|chroot|crypt|range|extract|explode|implode|glob|chr|ord|mail|dl)"
# ... of which these are called with no argument only in code (`file()`, `touch()`, `pi()`).
_PHP_NOARG = r"(?:exec|system|eval|assert|file|touch|unpack|serialize|checkdate|chroot|crypt|symlink|pi|phpinfo|date_(?:add|sub|diff|format|parse)|" + _PHP_ARRAY + r")"

# Superglobal names spelled with whitespace between their letters ($_S ERVER['x']): PHP's
# tokenizer would not accept it, but a normaliser in front of it (or a WAF) may squeeze it.
_SPACED_SUPERGLOBAL = r"\$\s*_\s*(?:" + "|".join(r"\s*".join(n) for n in ("get", "post", "request", "cookie", "server", "files", "env", "session", "globals")) + r")\s*\[\s*[\"']"

# One piece of a name built by concatenation: a bare word or a quoted string, then spaces.
_PIECE = r"[\w\"']{1,12}\s*"

_WRAPPED = r"(?:system|exec|shell_exec|passthru|popen|proc_open|eval|assert|phpinfo|pcntl_exec|create_function|call_user_func|file_get_contents|file_put_contents|readfile|base64_decode)"

# ---- php --------------------------------------------------------------------------------------
_PHP = (
    # Open/close tags: <?php, <?=, "<? php" with any whitespace, a trailing ?> after code (";?>",
    # ")?>"; a question ending "flag?>" is prose), a quoted name called ('system'('id'); set apart
    # from "(", the argument must look like one: "'urgent' (again)" is prose), and BBCode-ish
    # [php] / [/php] / {/php} markers of template engines that evaluate the block.
    I + r"<\?(?:php|=)|<\?\s*php\b|<\?\s+(?:echo|system|eval|phpinfo)|[;)}\]\"'`]\s*\?>\s*$|<\?\s*$|[\"'][a-z_]{3,}[\"'](?:\(|[ \t]*(?:\r?\n[ \t]*)?\(\s*[\"'$\d)])",
    I + r"\b(?:eval|assert|system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|create_function|call_user_func(?:_array)?|preg_replace|file_get_contents|file_put_contents|fwrite|fopen|readfile|highlight_file|show_source|phpinfo|unserialize|base64_decode|gzinflate|str_rot13|move_uploaded_file|ini_set|putenv|mail|curl_exec|array_map|usort|ob_start|extract|parse_str|var_dump|print_r|chr)\s*\(\s*(?:\$|[\"'`]|\w+\s*\(|\d|\)\s*(?:[^\s{]|$)|@)",
    # include/require of anything but a module name: PHP includes a *file* (a path from the root,
    # a URL or stream, a script or data extension, a variable, a call), while Node's
    # ``require('express')``, ``require('@scope/pkg')``, ``require('node:path')`` and
    # ``require('./util.js')`` name modules (a README's or a pasted file's code).
    I + r"\b(?:include|require)(?:_once)?\s*\(\s*(?:\$|\w+\s*\(|\d|\)|@|[\"'`]\s*(?:[^\w@.\"'`\s]|[\w@.][^\"'`]*?(?:://|\.(?:php\d?|phtml|phar|inc|txt|log|jpe?g|gif|png|ini|conf|sh|html?)\b|[\\$%<\x00])))",
    I + r"\b(?:php|phar|zip|data|expect|glob|zlib|compress\.zlib|compress\.bzip2|input|ogg|rar|ssh2(?:\.[a-z]+)?)://",
    # A PHP built-in with a non-English name, called (comments and whitespace may separate the
    # name from "("; a stray "=" or ":" too, as in "shell_exec=(x)"). No word boundary: none of
    # these names ends an English word, and a glued prefix (`FOOgzinflate()`) is an evasion of
    # keyword filters.
    I + _PHP_FUNCS + _SEP + r"(?:[=:]\s*)?\(",
    I + _SPACED_SUPERGLOBAL,
    # A function name concatenated from pieces, one of them parenthesised, and called:
    # (sy.(st).em)(@id), ('ex'.('ec'))('id').
    I + r"\(\s*(?:" + _PIECE + r"\.\s*)+\(\s*" + _PIECE + r"\)\s*(?:\.\s*" + _PIECE + r")*\)\s*\(|\(\s*\(\s*" + _PIECE + r"\)\s*(?:\.\s*" + _PIECE + r")+\)\s*\(",
    # substr, strtolower, strtoupper are JavaScript / Java method names too (name.substr(0, 3)):
    # only a global call counts.
    I + _GLOBAL + r"(?:substr|strtolower|strtoupper)" + _SEP + r"\(",
    # printf/sprintf are C, Go and shell too ('printf("%d\n", x)' in a code snippet): called on a
    # bare name or a variable only, as PHP probes do (printf(foo), sprintf($x)).
    I + r"\b(?:v?s?printf|vsprintf)\s*\(\s*(?:\$|[a-z_]\w*\s*[,)])",
    # An extension-prefixed built-in (curl_, posix_, sodium_, ldap_…) called as a global function.
    I + _GLOBAL + _PHP_FAMILIES + _SEP + r"\(",
    # English-word functions: only with a comment before "(" (`file/*x*/(`, `exec #c\n (`), an
    # odd separator after a command name (`exec\t(`, `exec  (`), an empty argument list
    # (`file()`) or a PHP variable argument (`unpack($x)`); never `file (pdf)` or `e-mail (opt.)`,
    # nor a method *defined* with no parameters (`exec () {` in a JavaScript or PHP class).
    I + r"\b(?:" + _PHP_WORDS + "|" + _PHP_ARRAY + ")" + _CMT_SEP + r"\(|\b(?:exec|system|eval|assert|passthru)" + _ODD_SEP + r"\(|" + _GLOBAL + _PHP_NOARG + r"\s*\(\s*\)\s*(?:[^\s{]|$)|" + _GLOBAL + _PHP_WORDS + r"\s*\(\s*@?\$[a-z_]",
    I + r"\b(?:exec|system|eval|assert|include|require)(?:\s|/\*[^*]*\*/|//[^\n]*\n)*(?:/\*[^*]*\*/|//[^\n]*\n)(?:\s)*\(|[)\]](?:\s*\[[^\]]*\])*\(\s*[\"'][a-z]|[)\]]\s+(?:\[[^\]]*\]\s*)*\(\s*(?:\"[a-z][^\"\n]*\"|'[a-z][^'\n]*')\s*[),.]|[\"'][a-z_]+[\"'](?:\.|\s+\.\s*)[\"'][a-z_]+[\"']",
    # (After a space between the two parentheses, the string argument is closed and ends the
    # argument: grammar notation quotes alternatives, "(floatnumber | digitpart) (\"j\" | \"J\")".
    # A quoted word, a period and a space, then a quoted word is two sentences of prose
    # ('… in the same "try". "break", …'); concatenation is glued or spaced on both sides.)
    # A dangerous name wrapped in parentheses or brackets, then called: (system)(ls),
    # [system][0](ls), ("sys"."tem")(…) — PHP 7 uniform variable syntax.
    # Either the call follows at once, or an offset / brace comes first (prose "(system) (see
    # note)" has neither).
    I + r"[(\[]" + _SEP + r"[\"']?" + _WRAPPED + r"[\"']?" + _SEP + r"[)\]](?:\(|(?:\s|" + _CMT + r")*(?:\[[^\]]*\]|\{[^}]*\}|\))(?:\s|" + _CMT + r"|\[[^\]]*\]|\{[^}]*\}|\))*\()",
    # Superglobals, indexed or assigned ($_GET[, $_COOKIE=), and their long-form names.
    I + r"\$_(?:get|post|request|cookie|server|files|env|session)\s*(?:\[|=|;|\)|\.|,|$)|\$globals\s*\[|\$\{\s*[\"']?_(?:get|post|request)|\$(?:http_raw_post_data|http_(?:get|post|cookie|server|env|post_files|session)_vars)\b",
    I + r"\b[oc]:\d+:\"[a-z_\\][a-z0-9_\\]*\":\d+:\{|\ba:\d+:\{(?:[is]:\d+[:;])",
    # Function names built by XOR-ing short strings of symbols ("{"^"<"), the signature of
    # letterless webshells; "hi" ^ "bye" in prose passes.
    I + r"[\"'][^\"'\s\w]{1,4}[\"']\s*\^\s*[\"'][^\"'\s]{1,4}[\"']",
    # include/require of a URL or path naming a file ("include 'http://x/shell.txt'").
    I + r"\b(?:include|require)(?:_once)?\s*\(?\s*[\"'](?:[a-z][a-z0-9.+-]*://|/|\.\.?/)[^\"']*\.(?:php\d?|phtml|inc|txt|jpe?g|gif|png|log)[\"']",
    # Letterless shells juggling $_ ($_=@"$_"; $_=$_['!'=='@']).
    I + r"\$_+\s*=\s*@?[\"']\$_+[\"']|\$_+\s*=\s*\$_+\s*\[\s*[\"'][^\w\s\"']",
    # .htaccess / .user.ini payloads that make the server run PHP from another extension.
    I + r"\bx-httpd-php\d*\b|\bphp_(?:value|flag|admin_value|admin_flag)\s+[a-z_.]+",
    # Variable functions and dynamic calls: $a(1), ${'a'}(11), $$b(2), $_[0](…), @$x(…),
    # $__[$_[1]](7), $x{0}(15), $a/*c*/(), $a //x\n(), $obj->$name(), Foo::$name().
    I + r"(?:^|[^\w.])\$+(?:\s*\{[^}]*\}|[a-z_\x7f-\xff][\w\x7f-\xff]*)(?:\s|" + _CMT + r"|\[[^\]]*\]+|\{[^}]*\})*\(\s*(?:[\d\"'$@)]|\s*\))",
    I + r"(?:->|::)\s*\$[a-z_]\w*\s*\(",
    # Variable variables that no other language spells this way: "$ {x}" (a space after $),
    # ${'name'}, ${"name"}, ${$name}.
    I + r"\$\s+\{\s*(?:[\"'$@]|[a-z_]\w*\s*\})|\$\{\s*(?:[\"']|\$)",
    I + r"[\[{][/\\]?php[\]}]|<\?php\b|\bphp://",
    # Uploading a server-side script: multipart file names, including the "name.php." /
    # "name. php" forms some servers normalise back to ".php".
    I + r"filename\*?\s*=\s*[\"']?[^\"'\r\n;]*\.(?:php\d*|phtml|phar|phps|pht|phpt|pgif|shtml|aspx?|jspx?|cgi)\b|[\w-]\.\s+(?:php\d*|phtml|phar|phps|pht|jspx?)(?:\.[a-z0-9]+)*\s*(?:[\"'\r\n;]|$)|\.(?:php\d*|phtml|phar|phps|pht|phpt|jspx?)(?:\.{2,}\s*$|\.+[\"'])|\.(?:phtml|phar|phps|pht|php[3-7])\s*$",
    # php.ini directives set from a request (ini_set / .user.ini / CGI -d injection).
    I + r"\b(?:session\.[a-z_]{3,}|memory_limit|allow_url_fopen|allow_url_include|auto_prepend_file|auto_append_file|disable_functions|open_basedir|register_globals|upload_tmp_dir|max_execution_time|display_errors|error_log|include_path|short_open_tag|file_uploads|cgi\.force_redirect)\s*=",
    # Extension-scoped ini directives (opcache.jit=…, mbstring.regex_retry_limit=…, zend.*=…):
    # the dotted prefix is PHP's own namespace.
    I + r"\b(?:opcache|mbstring|zend|xdebug|phar|pcre|assert|apc|apcu|mysqli|mysqlnd|pdo_\w+|sqlite3|cli_server|realpath_cache|user_ini|unserialize|date|intl|soap|curl|openssl|highlight|zlib|filter|iconv|bcmath|ibase|oci8|odbc|pgsql|ldap|sendmail|mail|session|url_rewriter|zend_extension|ffi)\.[a-z_]{3,}\s*=",
    # Core directives that are ordinary words (engine, extension, precision, smtp…) count only as
    # the *value* of a parameter: "var=engine=On", "<a x=\"precision=50\">".
    I + r"[=\"']\s*(?:engine|extension|extension_dir|precision|serialize_precision|smtp|smtp_port|sendmail_path|sendmail_from|unserialize_max_depth|unserialize_callback_func|enable_dl|expose_php|output_handler|output_buffering|implicit_flush|doc_root|user_dir|variables_order|request_order|max_input_vars|max_input_time|post_max_size|upload_max_filesize|default_charset|error_reporting|log_errors|html_errors|track_errors|zend\.assertions|hard_timeout|syslog\.\w+)\s*=",
    I + r"\bauto_(?:prepend|append)_file\b|\ballow_url_include\b|\bdisable_functions\b|\bopen_basedir\b|\bsafe_mode\b",
)

# Headers an upload API uses for the file name (X-Filename, X-File-Name…) carry only the name:
# the regex sees header values, not names, so a value that *is* a server-script file name (no
# scheme, no query) or a PHP session file (sess_<id>, the target of session-file inclusion)
# counts. Referer-style URLs carry a scheme and pass.
_UPLOAD_NAME = (
    I + r"^\s*(?:[a-z]:)?[^:?#=&;,\s]*\.(?:php\d*|phtml|phar|phps|pht|phpt|jspx?)[.\s]*$",
    I + r"(?:^|[=;])\s*(?:[a-z]:)?[^:?#=&;\s]*\.(?:php\d*|phtml|phar|phps|pht|phpt|jspx?)(?:\.+|\s+\.[a-z0-9]+)\s*$",
    I + r"^\s*(?:[a-z]:)?(?:[^:?#=&;\s]*[/\\])?sess_[a-z0-9,-]{20,}\s*$|[=;]\s*(?:[a-z]:)?[^:?#=&;\s]*[/\\]sess_[a-z0-9,-]{20,}\s*$",
    I + r"filename\*?\s*=\s*[\"']?[^\"'\r\n;]*\bsess_[a-z0-9,-]{20,}",
)

# PHP's data: stream (include "data:text/plain;base64,PD9w…" runs the decoded text): a text or
# PHP media type at the start of a value. Not in bodies, where SPA uploads legitimately send
# FileReader data URIs (data:text/plain;base64,… for a .txt attachment); images always pass.
_DATA_WRAPPER = (
    I + r"(?:^|[=&\s\"'(,/])data:(?:text/(?:plain|x-php|php)|application/(?:x-httpd-php\w*|x-php|php))\b",
)

CLASSES: tuple[RuleClass, ...] = (
    RuleClass("php", "PHPHighRiskMethods", _PHP, chains=("DEC", "B64")),
    RuleClass("php", "PHPDataStreamWrapper", _DATA_WRAPPER, placements=NO_BODY, chains=("DEC",)),
    RuleClass("php", "ServerScriptUpload", _UPLOAD_NAME, placements=("BODY", "HEADER"), chains=("DEC",)),
)
