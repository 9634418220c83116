"""Attack classes of the php managed rule group(s): what each matches, and why.

See ``ruleclass.py`` for the conventions every regex here follows."""

from __future__ import annotations

from ruleclass import I, RuleClass

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

CLASSES: tuple[RuleClass, ...] = (
    RuleClass("php", "PHPHighRiskMethods", _PHP, chains=("DEC", "B64")),
)
