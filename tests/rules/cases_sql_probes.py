"""Should-block / should-pass payloads of ``rules/managed/attacks_sql_probes.py`` (see ``cases.py``);
``cases_sql.py`` appends them to its SQLiGrammar / SQLiFragment cases (one case per class keeps the
case ids of ``load_tests/decision_identity.py`` unique).

Written per grammar class: several shapes of each probe, and the prose, search syntax, code and
names that share its words or punctuation."""

from __future__ import annotations

GRAMMAR_BLOCK: tuple[str, ...] = (
    # keywords split by comments or "<>"
    "UN/**/ION SEL/**/ECT 1,2",
    "sel<>ect password from users",
    "uni<>on all sel<>ect 1",
    "DE/**/LETE FROM t",
    "conc/*x*/at(user,0x3a)",
    "DR/**/OP/*no filter*/t1",
    # UNION SELECT glued
    "xunionselectfrom",
    "1 unionselect 1,2",
    "-9 UNIONALLSELECT(1)",
    # closed string, conjunction, call, conjunction
    "7' and substr(name,1,1) and 'x",
    "abc\" or length(pw) or (1",
    "9` && f(a) && `1",
    "1' AND starts_with(pw, 'a') AND 'true",
    # closed string concatenated with a function expression
    "x' + (function(){while(1){}})()",
    "a\" (function(){ var t=new Date(); })()",
    # sleep with string arithmetic
    "sleep('1'+5)",
    "pg_sleep('3' * 2)",
    "benchmark('x'|1)",
    "SLEEP('0x12' 1)",
    # closed string, SQL null test, statement ended
    "admin' notnull --",
    "x\" isnull;",
    "' is not null #",
    # column-count probes
    "'', '', '', '', 4",
    "'','','','',null",
    # alias quote before FROM
    "1 as\" from users",
    "(x) AS' from t",
    "5 as` from dual",
    # literal glued to a word after a conjunction
    "and '7'union",
    "x or 'a'from",
    # empty literals compared, quoted operator + quoted conjunction, DISTINCTROW
    "\" or \"\"=\"",
    "' or ''='",
    "x' AND ''<>'",
    "'=' 'or'",
    "\"<\" \"and\"",
    "' union distinctrow select 1,2--",
    "1 UNION/**/DISTINCTROW(SELECT 1)",
    # scientific-notation splitting
    "1.e.tables",
    "9.E.columns",
    "0.e.user",
    # acute accent as a quote
    "2\u00b4 or \u00b4a\u00b4=\u00b4a",
    "1\u00b4 AND \u00b47\u00b4<>\u00b48",
)
GRAMMAR_ALLOW: tuple[str, ...] = (
    "union station",
    "reunion selection",
    "unionselection",
    "see clause 4.e.iii",
    "section 2.e.viii of the lease",
    "version 1.e.g. draft",
    "Tom's and f(x) is fine",
    "\"6\" as \"from\"",
    "known as 'from here'",
    "rock 'n' roll",
    "he said \"or\" and \"\" was left",
    "type '=' or '<'",
    "union of distinct rows",
    "Sleep (8 hours) is important",
    "if 'x' is null; return early",
    "it's not null",
    "'not null' constraint",
    "'', 'a'",
    "f('', '', x)",
    "f('', '', 1)",
    "('', '', '', 5)",
    "'1' '2' '3'",
    "if (`count` > 0) and done",
    "x/*note*/y",
    "price >= 100 and price <= 200",
    "(wool OR linen) AND NOT \"dry clean\"",
    "select the order by date",
    "a >= 5 && b < 3",
    "O'Brien and D'Angelo",
    "caf\u00e9 \u00b4accent\u00b4 or not",
)
FRAGMENT_BLOCK: tuple[str, ...] = (
    # quote + statement keyword, never closed
    "'alter t",
    "\" UNION x",
    "'union/",
    "'select H",
    "` drop table x",
    "'delete from users",
    "\"insert into t",
    "'exec xp_x",
    # quote + SQL-only operator at the start or the end
    "'glob 1;",
    "' regexp '^a",
    "\"rlike 1",
    "'notnull",
    "` REGEXP ",
    "x' like ",
    "abc\" glob",
    # information function cut off
    "selectect user(",
    "select version(",
    "SELECT  database(",
    # conjunction and a number
    "or 88",
    "xor -3",
    # variable assignment
    "SET @OLD_SQL_NOTES",
    ";set @a",
    "set @x=1",
    # closed string then a number list
    "' ', 10",
    "', 2, 1",
    "\",5,6",
    "`,1,2,3",
    # quoted identifier compared
    "`>65",
    "`=abc",
    "` != 9e7",
    "` < 0) AND `",
    "' = 1)) or (",
    # string arithmetic on empty literals
    "'-'",
    "'^'",
    "\"*\"",
    # JSON member break-out
    "\":60",
    "\":[\"00",
    "\": \"7",
    # quotes and arithmetic, quotes only
    "\"` * 123",
    "'` + 5",
    "\"'",
    "'\"",
    "\"''",
    # escaped double quote and a conjunction
    "\\\"or\"1",
    "\\\"1 or 1-",
    "\\\" and 'x",
    # DDL after punctuation
    "/CREATE TABLE Persons",
    ")) alter database y",
    "'truncate table logs",
    # catalog column as the whole value
    "schema_name",
    "SCHEMA_NAME",
    # function name, junk, "("
    "version=(",
    "date]=(",
    "length||!!$(",
    "left')?$(",
    "ln) (",
    "execute(",
    "encode=(",
)
FRAGMENT_ALLOW: tuple[str, ...] = (
    "\"union station\"",
    "'Select all' button",
    "'Delete' removes the row",
    "\"update your profile\" link is broken",
    "Union Street",
    "alter ego",
    "\"Alter Bridge\" tour",
    "the `grep` like this",
    "`>` is the greater-than sign",
    "user(s) and group(s)",
    "get user(",
    "call version(",
    "and 5",
    "\"\" * 2",
    "the version (2.1) is out",
    "or 5 more",
    "and 2 others",
    "set @john as reviewer",
    "Please set @mike_doe as owner",
    "': a colon",
    "\"quote\"",
    "use '-' as the separator",
    "a - b",
    "'-' and '+'",
    "'a', 'b'",
    "he's 5'11\" tall",
    "schema name",
    "schema_name_v2",
    "date (today)",
    "month: March",
    "left or right",
    "execute the plan",
    "How do I create table persons in sql?",
    "create table persons",
    "from kids group by age",
    "in (a, b, and c)",
    "1) a-b=c",
    "john+or@var.es",
    "rating: 4 or 5",
    "5 or 6 people",
    "12\" x 18\" frame",
)
