"""SQL injection probes: the short, broken-off pieces scanners and chained injections send.

A scanner rarely sends a whole query. It sends the piece that proves the parameter reaches one: a
string closed and an SQL keyword after it (``'alter a``), a function opened and cut off
(``version=(``), a column-count probe (``'', '', 13``), a keyword split by a comment a filter
strips (``UN/**/ION``), a JSON member broken out of (``":60``). Each pattern below names a piece
of SQL *grammar* no form field, search box or API value has a reason to hold; words that are
harmless in prose (``or``, ``union``, ``select``, ``from``) only count next to SQL punctuation or
where a value starts and ends. ``attacks_sql.py`` appends ``GRAMMAR`` to its grammar class (every
placement) and ``FRAGMENT`` to its whole-value class (no URI path: a segment has no value bounds).
The cases are in ``tests/rules/cases_sql_probes.py``.
"""

from __future__ import annotations

from ruleclass import I

# Where a form / query value starts (the key's "=", the pair's "&", the value's own start: a JSON
# string or XML attribute with markup in it is its own value, see engine/views.py; one of only
# words and spaces gets no view, so a JSON member's opening quote counts too) and where it ends
# (no closing quote of the payload's own after it: a quoted search phrase ``q="union station"``
# is a phrase, not a probe).
_START = r"(?:^|[=&]|[:\[,]\s*\")\s*"
_END = r"\s*(?:$|[&\r\n]|\"\s*[,}\]])"
# The same for a pattern whose own first character may be a JSON string's quote: a form value only.
_START_FORM = r"(?:^|[=&])\s*"
_END_FORM = r"\s*(?:$|[&\r\n])"
_Q = r"['\"`]"
# SQL statement words a comment or "<>" splits so that a filter removing the junk rejoins them.
_SPLIT_WORDS = ("union", "select", "insert", "update", "delete", "drop", "from", "where", "having", "concat")
_SPLIT_SEP = r"(?:<>|/\*[^*]*\*/)+"


def _split_keywords() -> str:
    """``u/**/nion|un/**/ion|...``: every way to cut each word in two with ``_SPLIT_SEP``."""
    cuts = [w[:i] + _SPLIT_SEP + w[i:] for w in _SPLIT_WORDS for i in range(1, len(w))]
    return r"\b(?:" + "|".join(cuts) + r")\b"


def _nested_keywords() -> str:
    """``ununionion|selselectect|...``: each word with itself inserted inside, what is left for a
    query after a filter deletes the keyword once."""
    nests = [w[:i] + w + w[i:] for w in _SPLIT_WORDS for i in range(1, len(w))]
    return r"\b(?:" + "|".join(nests) + r")\b"


GRAMMAR: tuple[str, ...] = (
    # A keyword cut by a comment or "<>" ("UN/**/ION", "sel<>ect", "DR/**/OP/*x*/t").
    I + _split_keywords(),
    # A keyword nested in itself ("ununionion", "selselectect"): built for a filter that strips it once.
    I + _nested_keywords(),
    # UNION SELECT glued into one token ("xunionselectfrom"); "unionselection" is a word.
    I + r"union(?:all|distinct)?select(?:$|[^a-z]|from)",
    # A string closed, a conjunction, a call, another conjunction reopening a literal:
    # "1' and starts_with(password) and 'true", "x' or f(a,b) or (1".
    I + r"\w" + _Q + r"\s*\)*\s*(?:and|or|xor|&&|\|\|)\s+\w+\s*\([^()]{0,80}\)\s*(?:and|or|xor|&&|\|\|)\s*['\"`(\d]",
    # A string closed and concatenated with a function expression (time-based JS injection).
    I + _Q + r"\s*\+?\s*\(\s*function\s*\(\s*\)\s*\{",
    # Sleep with string arithmetic in its argument: "sleep('0x12' + 1)" (a decoded "+" is a space).
    I + r"\b(?:sleep|pg_sleep|benchmark)\s*\(\s*'[^']{0,20}'\s*(?:[-+*/|]|\d)",
    # A string closed, then an SQL-only null test and the statement ended: "' notnull --"
    # ("if 'x' is null; return early" goes on after the ";").
    I + _Q + r"\s*(?:notnull|isnull|is\s+(?:not\s+)?null)\s*(?:--|[#;]\s*(?:$|&))",
    # A column-count probe: a run of empty string literals then a number or NULL ("'', '', '', '',
    # 13"; a call with two or three empty arguments is code).
    I + r"(?:''\s*,\s*){4,}(?:-?\d|null\b)",
    # An alias quote glued before FROM: "6 As\" from", "! As' from" (a quoted word after AS,
    # "\"6\" as \"from\"", is a quotation).
    I + r"[)!;\d'\"`]\s*as\s*" + _Q + r"\s+from\b",
    # A closed literal glued to the next word after a conjunction: "and '5'orig_var".
    I + r"\b(?:and|or|xor)\s+'[^'\s]{1,20}'\w",
    # A conjunction and an empty literal compared: "\" or \"\"=\"", "' or ''='", "x' and ''<>'".
    I + _Q + r"\s*(?:or|and|xor|\|\||&&)\s*(?:\"\"|''|``)\s*(?:=|==|<>|!=|<=>|\blike\b)",
    # A quoted operator then a quoted conjunction: "'=' 'or'" (a tokenizer-confusion probe).
    I + r"['\"](?:=|<>|!=|<|>)['\"]\s*['\"](?:or|and|xor)['\"]",
    # UNION DISTINCTROW SELECT (the MySQL synonym of DISTINCT).
    I + r"\bunion(?:\s|/\*[^*]*\*/)+distinctrow(?:\s|/\*[^*]*\*/|\()+select\b",
    # An acute accent used as a quote ("1\u00b4 OR \u00b41\u00b4=\u00b4x"): NFKC in the decoding chain
    # turns it into a space and a combining acute (U+0301), which is what is matched here.
    I + r"\x{301}\s*\)*\s*(?:or|and|xor|\|\||&&)\s+\x{301}?\w+\s*\x{301}?\s*(?:=|<>|!=)",
    # A chain of quote-dot concatenations ("'.'.'.'.'.'.'").
    I + r"(?:['\"]\.){6,}['\"]",
    # MySQL scientific-notation splitting before a name: "1.e.tables" (not outline numbering
    # such as "4.e.iii": the name has a letter no roman numeral has).
    I + r"\b\d+\.e\.(?:[a-z_]{3,}[a-hj-uwyz_]|[a-hj-uwyz_][a-z_]{3,})",
)

FRAGMENT: tuple[str, ...] = (
    # A value opening with a quote, then a statement keyword and more, never closing that quote:
    # "'alter a", "\" UNION A", "' union/", "'select H".
    I + _START + _Q + r"\s*(?:select|union|alter|drop|truncate|insert|delete|update|create|exec|declare|shutdown)"
    r"(?:\s+|/)[^'\"`&]*" + _END,
    # A value opening with a quote and an SQL-only operator: "'glob 1;", "' regexp x".
    I + _START + _Q + r"\s*(?:not\s+)?(?:glob|rlike|regexp|notnull|isnull)\b",
    # ... or ending in one: "` REGEXP ", "x' like ", "' notnull".
    I + _Q + r"\s*(?:not\s+)?(?:glob|rlike|regexp|like|notnull|isnull)" + _END_FORM,
    # SELECT of an SQL information function cut off at the value's end: "selectect user(".
    I + r"\bselect\w*\s+(?:user|current_user|session_user|system_user|database|version|schema)\s*\(" + _END,
    # A whole value that is OR and a number ("or 88", "xor 1"): the tail of an always-true test.
    I + _START + r"x?or\s+-?\d+" + _END,
    # A value opening with a comment's "/word" and a dangling conjunction ("/Cm7 OR ", "/3 and(").
    I + _START + r"/\w+;?\s+(?:or|and|xor|div|having|between)\s*(?:\(|" + _END + r")",
    # A whole value of digits glued to a conjunction ("4oR2-").
    I + _START + r"\d+(?:or|and|xor|div)\d+\s*[-+]" + _END,
    # A value opening with a quote, an operator and a comment ("' = # '", "'? # = --", "' * from").
    I + _START + _Q + r"\s*[=?*]\s*(?:#|--|from\b)",
    # A value opening with a quote, a conjunction, a word and a number ("' or homer 9").
    I + _START + _Q + r"\s*(?:or|and|xor)\s+\w+\s+\d+" + _END,
    # A whole value that is a typographic quote and a comment ("\u2019 #", "\u2018 -").
    I + r"(?:^|[=&])\s*[\x{2018}\x{2019}\x{301}]\s*(?:#|-)[#-]*" + _END,
    # A whole value that assigns an SQL variable ("SET @OLD_SQL_NOTES", "set @@x=1", "set @a := 2"; a
    # chat command naming a person, "set @john", has no underscore or "=").
    I + r"(?:" + _START + r"|[>;]\s*)set\s+(?:@@?\w+\s*:?=|(?:@@\w+|@\w*_\w*)" + _END + r")",
    # A value opening with a closed string and a list of numbers ("' ', 10", "', 2, 1").
    I + _START_FORM + _Q + r"\s*(?:" + _Q + r"\s*)?,\s*-?\d+(?:\s*,\s*-?\d+)*\s*(?:$|[&\r\n#]|--)",
    # A value opening with a quote, a comparison, the group closed and a conjunction: "` < 0) AND `"
    # (Markdown prose "if (`n` > 0) and" has its word before the quote).
    I + _START + _Q + r"\s*(?:[<>=]|!=|<>)\s*\d+\s*\)+\s*(?:and|or|xor)\b",
    # A value opening with a quoted identifier compared ("`>65", "`>9e7").
    I + _START + r"`\s*(?:[<>=]|!=|<>)\s*[\w.]+" + _END,
    # A value opening by breaking out of a JSON string into a member value ("\":60", "\":[\"00"): a
    # whole value, or a form field's or cookie's ("q=\":60"); a JSON key ending in "=" ({"YWJj=": 1})
    # is none.
    I + r"(?:^|[&;]\s*)(?:[^=&;\"\s]*=)?\s*\"\s*:\s*[\"\[]{0,2}\s*\d",
    # A whole value that is string arithmetic on empty literals ("'-'", "'^'", "\"*\""): MySQL casts
    # both to 0, a probe for whether the quote reaches the query.
    I + r"(?:^|[=&])\s*(?:'\s*[-*^&|/%]\s*'|\"\s*[-*^&|/%]\s*\")" + _END,
    # A whole value that is a pattern operator compared with NULL ("LIKE NULL", "not regexp null":
    # never true, a probe). An operator alone ("<=>", "rlike", ">=", "IS NULL") is what filter UIs
    # and query-builder APIs send: those pass.
    I + _START + r"(?:not\s+)?(?:r?like|regexp|<=>)\s+null" + _END,
    # A backslash-escaped hex literal ("\\0xf00d..."): MySQL string escape plus hex.
    I + r"\\0x[0-9a-f]{4,}",
    # A value opening with two mixed quotes and arithmetic ("\"` * 123"), or made only of mixed quotes.
    I + _START_FORM + r"(?:\"`|`\"|'`|`'|\"'|'\")\s*[*/%+\s]\s*\d+" + _END_FORM,
    I + _START_FORM + r"(?:\"'|'\")['\"`]*" + _END_FORM,
    # A value opening with an escaped double quote and a conjunction ("\\\"or\"1", "\\\"1 or 1-").
    I + _START + r"\\\"\s*(?:-?\d+\s+)?(?:or|and|xor)\s*['\"\d]",
    # A value opening with a quote, ")", ";" or a comment's "/" and DDL on a named object
    # ("/CREATE TABLE Persons"; a Markdown bullet "* create database backups" is a to-do).
    I + _START + r"['`);/]{1,3}\s*(?:create|alter|drop|truncate)\s+(?:table|database|schema|view|index|procedure|function)"
    r"\s+[\w.`\"\[\]]+",
    # A whole value that is the catalog column an enumeration selects.
    I + _START_FORM + r"schema_name" + _END_FORM,
)
