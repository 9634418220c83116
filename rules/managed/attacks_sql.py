"""Attack classes of the sql-database managed rule group(s): what each matches, and why.

See ``ruleclass.py`` for the conventions every regex here follows."""

from __future__ import annotations

from ruleclass import I, RuleClass

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


# Cheap gates in front of libinjection (one more pattern in the field's scan): a value without a
# quote, a "--" comment, a stacked statement or an SQL keyword is not SQL injection libinjection
# reports (a bare "/*" is left out: every browser's "Accept: */*" has one; so is the double quote,
# structural in every JSON body — a double-quoted injection still needs an SQL keyword), and one without markup, an event handler or a script URL cannot be its XSS. A benign
# request then skips the detectors entirely (plan.PatternBlock); AndStatement keeps it AWS JSON.
SQLI_PREFILTER = (
    r"(?i)['`]|--|;\s*(?:drop|delete|insert|update|shutdown|exec|declare|select)"
    r"|\b(?:union|select|sleep|benchmark|waitfor|or|and|xor|having)\b"
)

CLASSES: tuple[RuleClass, ...] = (
    RuleClass("sql-database", "SQLi", detector="sqli"),
    RuleClass("sql-database", "SQLiGrammar", _SQLI, chains=("DEC", "B64")),
)
