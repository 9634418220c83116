"""Attack classes of the sql-database managed rule group(s): what each matches, and why.

See ``ruleclass.py`` for the conventions every regex here follows."""

from __future__ import annotations

import attacks_sql_probes
from ruleclass import I, RuleClass, alt_whitespace, alt_whitespace_all

# Placements with value boundaries ("=", "&", quotes): every one but the URI path.
NO_PATH = ("QUERYARGUMENTS", "BODY", "COOKIE", "HEADER")

# SQL token separators: whitespace (incl. VT and the 0xA0 byte MySQL also skips), comments, "(".
_SQL_CMT = r"(?:[\s\xa0]|/\*(?:[^*]|\*+[^*/])*\*+/|/\*!\d{0,5}|\*/|\(|\+)"
_SQLI = (
    I + r"(?:^|[^a-z_])union" + _SQL_CMT + r"*(?:all|distinct)?" + _SQL_CMT + r"+select\b",
    I + r"(?:^|[^a-z_])union" + _SQL_CMT + r"*(?:all|distinct)?" + _SQL_CMT + r"*\(?\s*select\b",
    I + r"[\"'`)][\s\xa0]*(?:\)[\s\xa0]*)*(?:or|and|xor|\|\||&&)" + _SQL_CMT + r"+(?:not\s+)?[\"'`(]*\s*[\w@.]+[\"'`)]*\s*(?:==?(?:[^=]|$)|<>|!=(?:[^=]|$)|<=>|>=|<=|>|<(?:[^/]|/\*|$)|\blike\s*[\"'`%(\d@-]|\bis\s+(?:not\s+)?(?:null|true|false|unknown|distinct)\b|\bregexp\b|\bbetween\b|\bin\s*\()",
    I + r"(?:^|[\s\"'`(])(?:or|and|xor)" + _SQL_CMT + r"+(\d+)\s*(?:=|<>|!=|>|<)\s*\d+\s*(?:--|#|/\*|;|$|[\"'`)])",
    # A string literal closed and the rest of the query commented out: admin'-- / 1')# / x"/*.
    # At most one line break between them: a multipart part's header ends in a quote
    # (name="content") and a blank line, and its value may start with "---" (YAML front matter
    # of a Markdown post) or "/*" (a CSS or JS upload's licence comment).
    I + r"\w[\"'`][ \t\x0b\x0c]*\)*[ \t\x0b\x0c]*(?:--|#|/\*|;\s*--)[\s-]*(?:$|[&\"\r\n])",
    # On the next line, "--" is a comment only when no third dash is glued to it: a line of
    # dashes under a line is a reStructuredText / Markdown heading ('"numbers.Real" ("float")\n----').
    I + r"\w[\"'`][ \t\x0b\x0c]*\)*[ \t\x0b\x0c]*\r?\n[ \t\x0b\x0c]*(?:--(?:[ \t\x0b\x0c][\s-]*)?|(?:#|/\*|;\s*--)[\s-]*)(?:$|[&\"\r\n])",
    # "1 or true" as a whole condition (ends the value or is followed by a comment / quote).
    I + r"(?:\d|['\"`])\s*\)*\s+(?:or|and|xor|\|\||&&)\s+(?:not\s+)?(?:true|false)\s*(?:$|--|#|;|/\*|[)'\"`&])",
    I + r"\b(?:sleep|pg_sleep|benchmark)\s*\(\s*(?:(?:\d+(?:\.\d+)?|0x[0-9a-f]+)\s*(?:[),*+/#;%|-]|$)|\()|\bwaitfor\s+(?:delay|time)\s+[\"']|\bdbms_(?:pipe|lock)\.|\butl_(?:http|inaddr)\.|\bdeclare\s+@\w|\b(?:sqlite_\w+|uncompress|load_extension|randomblob|zeroblob|last_insert_rowid)\s*\(",
    # A ";" that ends an HTML/XML entity (&#39;select all&#39;, &amp;delete from) in a chain that
    # leaves entities encoded is no statement separator: after a word, only one not led by & or #.
    I + r"(?:^|\W|(?:^|[^&#\w])\w+);\s*(?:drop|truncate|alter|create|rename)" + _SQL_CMT + r"+(?:table|database|schema|user|view|procedure|function)\b|(?:^|\W|(?:^|[^&#\w])\w+);\s*(?:delete\s+from|insert\s+into\s+[\w.`\"\[\]]+\s*(?:\(|(?:values|select|set|default)\b)|update\s+\w+\s+set|exec(?:ute)?\s+(?:xp_|sp_|master\.)|shutdown\b|declare\s+@|select\s)",
    I + r"\b(?:load_file|extractvalue|updatexml|group_concat|concat_ws|make_set|elt|name_const|json_keys|sys_eval|sys_exec|lo_import|lo_export|pg_read_file|current_setting)\s*\(|\binto\s+(?:out|dump)file\b|\bxp_cmdshell\b|\bsp_executesql\b|\bsp_oacreate\b|@@(?:version|datadir|hostname|basedir|servername)\b",
    I + r"\binformation_schema\b|\bsys(?:objects|columns|databases|users)\b|\bpg_(?:catalog|shadow|user|tables)\b|\bsqlite_master\b|\bmysql\.user\b|\ball_tables\b|\buser_tables\b",
    # More system catalogs and sample schemas an enumeration probes (MSSQL, Access, MySQL), and the
    # current-database functions; a value that is only such a name is a probe, not prose.
    I + r"\b(?:tempdb|msdb|master\.\.sys\w*|msys(?:accessobjects|objects|queries|relationships|aces)|mysql\.(?:db|host|tables_priv|columns_priv|proc)|sys\.(?:objects|tables|columns|databases|sql_logins|server_principals)|northwind|pubs\.dbo)\b|\b(?:database|schema|current_database|db_name|current_schema)\s*\(\s*\)",
    I + r"\bselect" + _SQL_CMT + r"+(?:\*|@@\w+|[\w.`\"\[\]]+\s*,\s*[\w.`\"\[\]]+|(?:count|char|concat|substr(?:ing)?|ascii|user|database|version|null)\s*\()[^;]*\bfrom\b",
    I + r"\b(?:and|or|&&|\|\|)\s+(?:ascii|ord|substr(?:ing)?|mid|length|char|if|case)\s*\(|\bcase\s+when\s.*\bthen\b|\bi?if\s*\(\s*\d+\s*[=<>]",
    I + r"\border\s+by\s+\d+\s*(?:--|#|/\*|$)|\bgroup\s+by\s+\S+\s+having\b",
    I + r"/\*!\d{0,5}\s*(?:union|select|and|or|from|where)",
    # Function calls only SQL makes (no English word): concat(, substring(, pg_sleep(, strcmp(...
    I + r"(?:^|[^\w.])(?:concat|substring|substr)\s*\(|\b(?:concat_ws|group_concat|pg_sleep|benchmark|rand|unhex|strcmp|ifnull|isnull|nullif|coalesce|instr|char_length|octet_length|bit_length|make_set|export_set|find_in_set|json_extract|json_object|xmltype|utl_inaddr|sys_context|dbms_\w+|pg_\w+|current_user|session_user|system_user|schema_name|table_name|column_name|hex|ascii|md5|sha1|sha2|crc32|load_file)\s*\(",
    # PostgreSQL casts and JSON operators after a literal: '{"a":1}'::jsonb, '[1]' ?| array[...]; a lone
    # "?" only set apart by a space and before a quoted key that no ":" follows (the glued quoted
    # label "type '?' for one" is prose, and so is a ternary, ``type === 'dev' ? 'x' : ''``); a spaced
    # arrow only when a comparison follows its key (menu paths "'File' -> 'Save as'" are prose);
    # ?| and ?& take an array ("says 'yes'?&page=2" is a question, then a parameter).
    I + r"(?:^|[^:\w])\w*[\w'\"\)]\s*::\s*(?:jsonb?|text|int\d?|integer|bool(?:ean)?|varchar|regclass|bytea|xml|numeric|double\s+precision|float\d?)(?:[^:\w]|$)|['\"]\s*(?:@>|<@)\s*['\"a-z]|['\"]\s*\?[|&]\s*(?:array\s*\[|['\"])|['\"](?:#>>?|->>?)\s*['\"a-z]|['\"]\s+(?:#>>?|->>?)\s*'[^']{0,60}'\s*(?:[=<>!)]|::|is\b)|['\"][ \t]+\?\s*['\"][^'\"\n]{0,64}['\"]\s*(?:[^\s:'\"]|$)",
    I + r"\b(?:db_name|schema_name|suser_s?name|user_name|object_id|col_name|has_dbaccess|is_srvrolemember|serverproperty)\s*\(|\bselect\s*\(\s*(?:user|database|version|@@|\d|char)|@[\w.]*\s*:=|\w[\"'`]\s*\)*\s*;\s*(?:$|&|--(?:[^\w-]|$)|#|/\*)",
    # A privilege statement: GRANT / REVOKE naming database.table ("ON *.*", "ON shop.*") or chained
    # after a closed string ("'; GRANT ..."). Prose grants "all access to the team", on no db.table.
    I + r"\b(?:grant|revoke)\s+[\w\s,]{1,60}?\bon\s+[\w*`\"]+\s*\.\s*[\w*`\"]+\s+(?:to|from)\b|[\"'`)]\s*;\s*(?:grant|revoke)\s+\w",
    I + r"\b(?:having|where)\s+\d+\s*[=<>]|\bselect\s+(?:pg_sleep|sleep|benchmark|version|user|database|current_user|@@)\b",
    # A subquery opened after a closed string or a boolean: "' (select top 1", "' or (EXISTS",
    # "and not exists(select" — MSSQL's TOP n and EXISTS are SQL only in these positions.
    I + r"\(\s*select\s+top\s+\d|[\"'`)]\s*(?:or|and|xor|\|\||&&)\s*\(?\s*(?:not\s+)?exists\b",
)


# ---------------------------------------------------------------------------------------------
# Where a value starts and ends inside a whole raw field (query string, form / JSON / XML body,
# header): after "=", "&", a JSON/XML quote or ">" / before "&", a quote, "<" or the end. Grammar
# anchored to a whole value is far stricter than the same words inside prose.
_VS = r"(?:^|[=&\"'>])\s*"
_VE = r"\s*(?:$|[&<\r\n]|[\"']\s*(?:$|[,}\]>&]))"
# SQL built-in functions (MySQL, PostgreSQL, MSSQL, Oracle, SQLite): names a probe calls.
_SQL_FN = (
    r"(?:abs|acos|asin|atan2?|ascii|avg|benchmark|bin|bit_(?:and|or|xor|length)|cast|ceil(?:ing)?|"
    r"char(?:acter)?(?:_length)?|chr|coalesce|collation|compress|concat(?:_ws)?|conv|convert|cos|cot|"
    r"count|crc32|cur(?:date|time)|current_(?:date|time|timestamp|user|setting)|database|datalength|"
    r"date(?:_format|_add|_sub|diff)?|day(?:name|of(?:month|week|year))?|db_name|decode|default|degrees|"
    r"elt|encode|encrypt|exec(?:ute)?|exp|export_set|extractvalue|field|find_in_set|floor|format|found_rows|"
    r"from_(?:base64|unixtime)|get_lock|greatest|group_concat|hex|host_name|hour|if|ifnull|in|"
    r"inet6?_(?:aton|ntoa)|insert|instr|is_(?:free|used)_lock|isnull|json_\w+|last_insert_id|lcase|"
    r"least|left|len|length|ln|load_file|locate|log(?:10|2)?|lower|lpad|ltrim|make_set|max|md5|mid|min|"
    r"minute|mod|month(?:name)?|name_const|now|nullif|nvl2?|object_(?:id|name)|oct|octet_length|ord|"
    r"password|pg_\w+|pi|position|pow(?:er)?|quarter|quote|radians|rand|rawtohex|release_lock|repeat|"
    r"replace|reverse|right|round|row_count|rpad|rtrim|schema(?:_name)?|sec_to_time|second|"
    r"session_user|sha[12]?|sign|sin|sleep|soundex|space|sqrt|stddev|str_to_date|strcmp|subdate|"
    r"substr(?:ing(?:_index)?)?|sum|suser_s?name|sysdate|system_user|tan|time(?:stamp|diff)?|"
    r"time_to_sec|to_(?:base64|char|days|number)|trim|truncate|ucase|uncompress|unhex|unix_timestamp|"
    r"updatexml|upper|user(?:_name)?|utc_(?:date|time|timestamp)|uuid|values|variance|version|"
    r"week(?:day|ofyear)?|year(?:week)?)"
)
# Structural SQL the older list missed: each names an SQL-only construct (an operator word after
# a closed string, an alias before FROM, a stacked statement glued to ";", a server procedure).
_SQLI_MORE = (
    # ASP's Request decoding drops a "%" that no two hex digits follow, so "%S%E%L%E%C%T" reaches
    # the database as SELECT (sqlmap's "percentage" tamper): an SQL keyword with a "%" before
    # every letter. No text writes a word that way.
    I + r"%(?:s%e%l%e%c%t|u%n%i%o%n|s%l%e%e%p|w%a%i%t%f%o%r|c%o%n%c%a%t|i%n%s%e%r%t|u%p%d%a%t%e|d%e%l%e%t%e"
    r"|d%e%c%l%a%r%e|b%e%n%c%h%m%a%r%k|e%x%e%c|c%a%s%e|f%r%o%m|w%h%e%r%e|e%l%t%\(|(?:a%n%d|o%r|x%o%r)%\s)",
    # A boolean then two calls with no arguments compared: "and user()=user()", "or version()<>pi()".
    I + r"\b(?:and|or|xor|&&|\|\|)\s+\w+\(\s*\)\s*(?:=|<>|!=|<=>|\slike\s)\s*\w+\(\s*\)",
    # A stacked statement glued to the ";" (";drop", ";update users", ";truncate[", ";SET @x",
    # "mod(1,2);INSERT /*x*/INTO t(", ";insert into" ending the value): prose puts a space after a
    # semicolon and names no table ("done; insert into the slot" passes).
    I + r";(?:drop|truncate|alter|shutdown)\b|;update\s+[\w.`\[\]\"]+" + _VE + r"|;set\s+@"
    r"|;\s*insert(?:\s|/\*[^*]*\*/)+into(?:(?:\s|/\*[^*]*\*/)+[\w.`\"\[\]]+\s*(?:\(|(?:values|select|set|default)\b)|\s*$)"
    r"|;\s*set\s+@@?\w+\s*:?=",
    # A statement ended and the rest commented out at the end of a value: "DROP t;--", "';#".
    I + r";\s*(?:--|#)[\s-]*(?:$|[&\"'<\r\n])",
    # A string closed, an SQL tail, then "--" glued to it ends the value: "x'-email--",
    # "id'not glob-id--", "' is not?--", "user'collate nocase--". Prose dashes are spaced.
    I + r"(?:['`]|(?:^|[^:\[,\s])\s*\")[^'\"`\r\n&]{0,30}(?:[|^+*/%<>=!~?(]|[|^+*/%<>=!~?(\s-][^'\"`\r\n&]{0,30}[^\s'\"`&\d-])--[\s-]*(?:$|[&\"<\r\n])",
    # A string closed, then a boolean on a function call, then the statement ended:
    # "' or json_valid (id);", "' or glob (id,id);".
    I + r"['\"`]\s*(?:or|and|xor)\s+\w+\s*\(\s*[\w@.]+(?:\s*,\s*[\w@.]+)*\s*\)\s*(?:;|--|#)",
    # Two short string literals compared: "'1'='1", "'x'!='y", "'3085'='30".
    I + r"'\w{0,20}'\s*(?:=|==|!=|<>|<=>|\s(?:not\s+)?(?:like|regexp|rlike|glob)\s)\s*'",
    # A column alias then FROM: ") AS cc FROM", "` AS `OXTIMESTAMP` from", "1234 AS \"foobar\" FROM".
    # A quoted alias is SQL; a bare alias needs FROM to end the value or name one table.
    I + r"[)`'\"\d]\s*as\s*[`'\"\[]\w*[`'\"\]]\s*from\b",
    I + r"[)`'\"\d]\s*as\s+\w+\s+from\s*(?:$|[&\"<]|[\w.`\[\]\"]+\s*(?:[;#)]|--|where\b|limit\b|order\b|group\b|union\b))",
    # SELECT of an SQL function or CASE ("select Char(", "SELECT (CASE", "select if(x").
    I + r"\bselect(?:\s|/\*[^*]*\*/|\()+(?:char|chr|concat\w*|count|cast|convert|ascii|substr\w*|if|ifnull|"
    r"case|user|current_user|database|version|md5|hex|unhex|load_file|sleep|benchmark|group_concat)\b\s*(?:\(|when\b)",
    r"(?i)\bselect\s*(?:\*/|/\*)|\bselect\s+0x[0-9a-f]{2,}|\bselect\s*\(\s*case\b|\(\s*select" + _VE,
    # Comparison / CASE fragments glued to a closing parenthesis: ") like (", ") when 234 then".
    I + r"\)\s*(?:not\s+)?like\s*\(|\)\s*when\s+[\w'\"]+\s+then\b",
    # Keywords glued to inline comments instead of spaces ("DROP/*x*/t", "/**/FROM/**/").
    I + r"\b(?:select|union|insert|update|delete|drop|alter|truncate|exec|declare|from|where|into|having)/\*[^*]+\*/"
    r"|/\*\*/(?:select|union|from|where|into|values|and|or|order|group|having|limit)/\*\*/",
    # Dynamic SQL and server procedures: EXEC master., EXECUTE IMMEDIATE, PROCEDURE ANALYSE(,
    # DECLARE/**/@x, PREPARE s FROM @a, PostgreSQL large objects, MSSQL xp_/sp_ procedures and
    # OLE DB providers (names that mean nothing outside SQL Server).
    I + r"\bexec(?:ute)?\s+master\.|\bexecute\s+immediate\b|\bprocedure\s+analyse\s*\(|\bdeclare(?:\s|/\*[^*]*\*/)+@\w"
    r"|\bprepare\s+\w+\s+from\s+@|\blo_(?:get|put|import|export|open|creat|create|unlink|from_bytea)\s*\(",
    I + r"\bxp_(?:dirtree|regread|regwrite|fileexist|subdirs|servicecontrol|availablemedia|ntsec\w*|terminate\w*|"
    r"loginconfig|enum\w+|makecab|msver|getnetname|cmdshell|reg\w+)\b|\bsp_(?:password|oa\w+|executesql|makewebtask|"
    r"addlogin|addsrvrolemember|configure|addextendedproc|dropextendedproc|start_job)\b"
    r"|\b(?:openrowset|opendatasource|openquery|msdasql|sqloledb|utl_(?:http|file|smtp|tcp))\b",
    # PostgreSQL casts of a call or literal to more types: "function(foo)::bigint".
    I + r"[\w'\"\)]\s*::\s*(?:bigint|smallint|oid|regproc|regtype|name|timestamp\w*|inet|char|cstring)\b",
    # Time-based blind sleep with comments in the argument: "sleep(/*x*/12)".
    I + r"\b(?:sleep|pg_sleep)\s*\(\s*(?:/\*[^*]*\*/\s*)+\d",
    # Hex / bit string literals assigned to a variable: "SET @a = X'5345...'", "@a=b'0111...'".
    I + r"@\w+\s*:?=\s*(?:x'[0-9a-f]{8,}'|b'[01]{8,}'|0x[0-9a-f]{8,})",
    # INSERT ... VALUES with a quoted literal: "VALUES ('192.168.0.1', 'test')".
    # A VALUES list starting the value or after punctuation (a column list, a closed literal:
    # "x') values ('a',"); a sentence puts a word before it ("our values ('integrity', 'trust')").
    I + r"(?:^|[^\w\s])\s*values\s*\(\s*'[^']{0,80}'\s*,|\binsert\s+into\s+[\w.`\"\[\]]+\s*(?:\([^)]{0,200}\)\s*)?(?:values|select)\b",
    # JSON path comparisons (MySQL/SQLite JSON SQL): "'{...}' < '$.c[2].f'".
    I + r"['\"]\s*(?:[<>=]|->>?)\s*['\"]\$[.\[]",
    # GROUP / ORDER BY after a FROM clause and followed by more SQL, LIMIT after a quoted table
    # name ("photos from 2019 group by year" passes).
    I + r"\bfrom\s+[\w.`\[\]\"]+\s+(?:group|order)\s+by\s+[\w.`\[\]\"]+\s*(?:[;)#]|--|having\b|limit\b|asc\b|desc\b)|`\w+`\s+limit\b",
    # DDL with a column list or a change clause: "CREATE TABLE t (", "ALTER TABLE `t` ADD ...".
    I + r"\bcreate\s+table\s+(?:if\s+not\s+exists\s+)?[\w.`\"\[\]]+\s*\(|\balter\s+table\s+[\w.`\"\[\]]+\s+(?:add|drop|change|modify|rename|alter)\b",
    # MySQL scientific-notation keyword splitting: "1.e(ascii)".
    I + r"\b\d+\.e\s*\(",
    # A string closed, a conjunction, then an SQL-only comparison word, and the statement ended:
    # "' and password glob password;", "x' or email notnull--". On one line: a multipart body
    # ends with "--boundary--" (a part's header quote, "Or something like that." and the
    # closing delimiter are no statement).
    I + r"['\"`]\s*\)*\s*(?:or|and|xor|&&|\|\|)\s*\(?\s*[\w@.]+\s+(?:not\s+)?(?:glob|like|rlike|regexp|ilike|"
    r"similar\s+to|sounds\s+like|notnull|isnull|between|collate)\b[^;&\r\n]{0,40}(?:;|--|#)\s*(?:$|&)",
    # An escaped quote (\' or \`) straight into a conjunction: "\'or'1", "\' and 1" (a JSON \" is not).
    I + r"\\['`]\s*(?:or|and|xor)\b",
    # Typographic quotes an app may fold to ASCII: "1’ OR ’1’=’x’", "‘ OR ‘1‘=‘x‘".
    I + r"[’‘´]\s*\)*\s*(?:or|and|xor|\|\||&&)\s+(?:[’‘´]\w*[’‘´]?|\d+)\s*(?:=|<>|!=)",
    # A variable assigned a subquery ("@.= ( SELECT"), an unfinished LIKE pattern ("x LIKE '"),
    # EXCEPT VALUES.
    I + r"@[\w.]*\s*[:.]?=\s*\(\s*select\b|\w\s+like\s+['\"]\s*(?:$|&)|\bexcept\s+values\s*\(",
    # PostgreSQL div()/mod() on numbers: "div(23,-2)", "div (23.23 , 2)".
    I + r"\b(?:div|mod)\s*\(\s*-?[\d.]+\s*,\s*-?[\d.]+\s*\)",
    # HAVING on an aggregate: "HAVING COUNT(id) > 5".
    I + r"\bhaving\s+(?:count|sum|avg|min|max)\s*\(",
    # A string closed, then a complete comment and the statement ended: "x'/* c */;".
    I + r"\w['\"`]\s*\)*\s*/\*[^*]*\*/\s*(?:;|--|#)|\w['`]\s*\)*\s*;\s*\"\s*(?:$|[,}\]>/])",
)

# SQL fragments anchored to a whole value (see _VS/_VE): the pieces scanners and chained
# injections send into one parameter ("AND 2771=1709)", "database(", "1=1", "';"). Words that
# are harmless inside prose are only matched where a value starts or ends, so a path segment
# (no value boundary there) is not inspected: its own class, so it can be excluded on its own.
_SQLI_FRAGMENT = (
    # A value that is only an SQL built-in opened for a call and cut off there ("database(",
    # "rtrim (", "md5\\("): the probe a scanner sends to see whether the call reaches a query.
    # Whole-value only: "round(" inside prose or code is not matched.
    # Punctuation between the name and "(" ("version=(", "length||!!$(", "left')?$(") is junk a
    # probe adds to slip past a "name(" check.
    I + _VS + _SQL_FN + r"(?:[\s\\/?|&!$\].'=<>)]|/\*[^*]*\*/){0,6}\(" + _VE,
    # A value that *starts* with a boolean conjunction and a comparison ("AND 2771=1709)",
    # "or 1='", "xor 'b' >", "OR (7319=8742)"): the tail of a condition appended to a number.
    # Prose never starts a field that way ("a <= b and c >= d" is not at the start).
    # IS and LIKE are English words ("Or something like that.", "And it is fine"): after them
    # the operand must be SQL's (a literal, a number, a pattern, NULL/TRUE/FALSE).
    I + r"(?:^|[=&\"])\s*(?:\)\s*)*(?:and|or|xor)\b\s*\(*\s*(?:[\w@.$`]+|'[^'&]{0,40}')\s*"
    r"(?:(?:==|=|!=|<>|<=>|>=|<=|<|>|\bregexp\s|\bin\s*\()"
    r"\s*(?:$|[&\"'(]|[\w.'\"]+\s*(?:$|[&)'\"=#;]|--))"
    r"|(?:\blike|\bis(?:\s+not)?)\s+(?:[\"'\d(%@-][^\s&]*|(?:null|true|false|unknown)\b)\s*(?:$|[&)#;]|--))",
    I + r"(?:^|[=&\">])\s*(?:or|and|xor)\s+\d+\s*(?:#|--)",
    # ... or with a symbolic conjunction glued to a comparison ("||(null!=", "&&(e===", "&& 1==(").
    I + r"(?:^|[=&\"])\s*(?:&&|\|\|)\s*(?:\(\s*[\w@.$]+\s*[=!<>]|[\w@.$]+\s*(?:==|!=|<>|<=|>=|<(?:[^/]|/\*|$)|>|=\s*['\"(]))",
    # A value that starts by closing a string and ending the statement or commenting: "';",
    # "'--", "\"#", "'); --". A double-quoted "#" is HTML's placeholder link (<a href="#">, in
    # every rich-text field): after a double quote "#" must end the value.
    I + r"(?:^|[=&])\"?(?:['\"`]\s*\)*\s*(?:;|--)|['`]\s*\)*\s*#\s*(?:$|[&\"])|\"\s*\)*\s*#\s*(?:$|&))",
    # A whole value that is a numeric tautology or contradiction: "1=1", "b,1=1", "42<=>42",
    # "11!=1", "42 like 42", "1 is not 2".
    I + r"(?:^|[=,(\">])\s*\d+\s*(?:=|==|!=|<>|<=>|\s(?:not\s+)?like\s|\sis\s+(?:not\s+)?|\s(?:r|not\s+)?like\s)\s*\d+" + r"\s*(?:$|[&\"'<)#;]|--)",
    # Integer-overflow and float-parsing magic numbers, as a whole value: 2^31, 2^32, 2^63, 2^64
    # (and -1 of them), and the 2.2250738585072011e-308 double that hangs PHP and Java parsers.
    I + _VS + r"-?(?:2147483648|4294967296|9223372036854775808|18446744073709551616)" + _VE
    + r"|\b2\.225073858507201\d*e-0*308\b",
    # IN-lists that are a whole value (" IN (815914, 815913)", "in (select ...").
    I + _VS + r"(?:not\s+)?in\s*\(\s*(?:select\b|-?\d+(?:\s*,\s*-?\d+)+\s*\)" + _VE + r")",
    # A value that opens with a closed string and a boolean on a bare word: "' or xyz!", "'  xor  abcdefg!".
    I + r"(?:^|[=&])\s*['\"`]\s*(?:or|xor|and)\s+[\w,@]+\s*(?:[!<>=-]|$|&)|(?:^|[=&\"])\s*xor\s+\d",
)


# Cheap gates in front of libinjection (one more pattern in the field's scan): a value without a
# quote, a "--" comment, a stacked statement or an SQL keyword is not SQL injection libinjection
# reports (a bare "/*" is left out: every browser's "Accept: */*" has one; so is the double quote,
# structural in every JSON body — a double-quoted injection still needs an SQL keyword), and one without markup, an event handler or a script URL cannot be its XSS. A benign
# request then skips the detectors entirely (plan.PatternBlock); AndStatement keeps it AWS JSON.
# The gate of the libinjection rules (issue 15): a quote, a comment, a stacked statement or an SQL
# keyword. AND / OR / XOR open it only with an SQL operand next to them — a number, a literal, a
# comparison or a call (``1 OR 1``, ``x" OR "1"="1``, ``OR sleep(5)``, ``AND a LIKE``) — so boolean
# search syntax (``(wool OR linen) AND NOT "dry clean"``, ``title:x OR author:y``) is not read as
# SQL at all. ``--`` counts unless it starts a line: multipart boundaries (``\r\n--boundary``).
# libinjection reads "1/**/AND/**/1=1" and "1%a0or%a0true" as it reads them with spaces; the gate
# in front of it must too: a comment or an alternative whitespace byte is a gap.
_SQLI_GATE = (
    r"(?i)['`]|(?:^|[^\n-])--|;\s*(?:drop|delete|insert|update|shutdown|exec|declare|select)"
    r"|\b(?:union|select|sleep|benchmark|waitfor|having)\b"
    r"|(?:\d|\bnull|\btrue|\bfalse)\s*\)*\s*\b(?:or|and|xor)\b"
    r"|\b(?:or|and|xor)\b\s*\(*\s*(?:not\s+)?(?:[\d!~-]|@@|@\w+\s*(?:[=<>!:)]|$)|[\"`]\s*[\w.]*\s*[\"`]?\s*[=<>!]|(?:true|false|null)\b"
    r"|[\w.]+\(|[\w.]+\s*(?:[=<>!]|\b(?:like|is|in|between|regexp|rlike|sounds|div|mod)\b))"
)
# A C comment, "*" inside it included (/**/, /*x*/, /**_**/): what MySQL, PostgreSQL and MSSQL skip.
# A comment glued to a word, a quote or a bracket (1/**/AND, UNION/*x*/SELECT, '/**/OR): the
# gate opens and libinjection, which skips comments, decides. Written as its own alternative, not
# as a gap inside the others: hyperscan 5.4 misses ";(?:\s|/\*[^*]*\*/)*drop" in some inputs
# ("https://a.example/s?q=done; drop", found by comparing both engines), so no comment is a
# repeated alternative of whitespace in these regexes.
_COMMENT_GLUED = r"|[\w'\"`)]/\*|\*/[\w'\"`(]"
SQLI_PREFILTER = alt_whitespace(_SQLI_GATE) + _COMMENT_GLUED

# One comment as the only gap inside a time delay or a tautology (WAITFOR/**/DELAY '0:0:5',
# or/**/1=1, and/*x*/'a'='a'): an operator word glued to a comment is SQL, never prose.
_CMT1 = r"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/"
_GLUED_BY_COMMENT = (
    I + r"\bwaitfor[\s\x0b\xa0]*" + _CMT1 + r"[\s\x0b\xa0]*(?:delay|time)[\s\x0b\xa0]*(?:" + _CMT1 + r")?[\s\x0b\xa0]*[\"']\d",
    I + r"\b(?:or|and|xor)[\s\x0b\xa0]*" + _CMT1 + r"[\s\x0b\xa0]*(?:\d+|'[^']*'|\"[^\"]*\")[\s\x0b\xa0]*(?:=|<>|!=|>|<|\blike\b)",
)

# A statement separator, a comment, then a statement: "1;/**/SHUTDOWN", "x';/*x*/DROP TABLE t".
# (JavaScript's "; /* note */ delete obj.k" passes: DELETE needs its FROM.)
_STACKED_AFTER_COMMENT = (
    I + r";[\s\x0b\xa0]*/\*[^*]*\*+(?:[^/*][^*]*\*+)*/[\s\x0b\xa0]*(?:shutdown\b|(?:drop|truncate|alter|create)\s+(?:table|database|schema|user|view|procedure|function)\b"
    r"|delete\s+from\b|insert\s+into\b|update\s+[\w.`\[\]\"]+\s+set\b|exec(?:ute)?\s+(?:xp_|sp_|master\.)|declare\s+@|(?:grant|revoke)\s+\w"
    r"|select\s+(?:\*|@@|\d|null\b|[\w.`\"\[\]]+\s+from\b))"
)

CLASSES: tuple[RuleClass, ...] = (
    RuleClass("sql-database", "SQLi", detector="sqli"),
    RuleClass("sql-database", "SQLiGrammar", (*alt_whitespace_all((*_SQLI, *_SQLI_MORE, *attacks_sql_probes.GRAMMAR)), _STACKED_AFTER_COMMENT, *_GLUED_BY_COMMENT), chains=("DEC", "B64")),
    RuleClass("sql-database", "SQLiFragment", alt_whitespace_all((*_SQLI_FRAGMENT, *attacks_sql_probes.FRAGMENT)), placements=NO_PATH, chains=("DEC", "B64")),
)
