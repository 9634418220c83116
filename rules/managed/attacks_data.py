"""Attack classes of the nosql/xxe managed rule group(s): what each matches, and why.

See ``ruleclass.py`` for the conventions every regex here follows."""

from __future__ import annotations

from ruleclass import I, RuleClass

# ---- nosql ------------------------------------------------------------------------------------
_NOSQL = (
    # A MongoDB query operator as a JSON key ("$ne":) or a bracketed form key (a[$ne]=).
    I + r"[\"'\[{,]\s*\$(?:ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|expr|not|nor|or|and|elemmatch|size|all|type|mod|text|function|accumulator|jsonschema|options|lookup|merge|out)\b\s*[\"'\]]",
    I + r"\[\s*\$(?:ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|expr|not|nor|or|and)\s*\]",
    I + r"\$where\b\s*[\"']?\s*[:=]|\bdb\.(?:\w+\.)?(?:find|insert|update|remove|drop|getcollection)\w*\s*\(|\bthis\.\w+(?:\s*\[\s*\d+\s*\])?\s*(?:==|!=|\.match\s*\()|\bmapreduce\b\s*\(",
    # An operator as an unquoted object key after "{" or after a closed string and ","
    # ({$regex: '.*'}, "', $or: [ {}, {'a':'a"): a JavaScript object literal built from the input.
    I + r"(?:\{|[\"'`\]}]\s*,)\s*\$(?:ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|expr|not|nor|or|and|elemmatch|size|all|type|mod|text|function|accumulator|options|comment)\s*:",
    # Server-side JavaScript ($where, mapReduce) closed and continued: "'; return true; var a='",
    # "1; return true" as the whole value, "' && this.password…", "' || '1'=='1".
    I + r"[\"'`]\s*;\s*return\s+(?:true|false|\d|this\b|db\.|[\w.]+\s*[=!<>]=)|(?:^|[=&\"/])\s*\d+\s*;\s*return\s+(?:true|1|this)\b|[\"'`]\s*(?:&&|\|\|)\s*this\.\w",
)

# ---- ORM lookup injection ---------------------------------------------------------------------
# Django / Prisma-style lookups in a parameter or JSON member name, where an app passes the
# request's keys to ``filter(**params)`` (the "ORM leak"): a credential field filtered by prefix
# or range (password__startswith=a, reveals the hash one character at a time), a prefix or
# pattern lookup three relations deep (created_by__user__username__startswith=), a JSON-field
# key lookup for a privilege flag (data__has_key=is_admin). Single-level filters
# (price__gte=, name__icontains=, user__id__exact= in the Django admin) are ordinary API traffic.
_K = r"(?:^|[&?;={,\s\"'\[])"
_LOOKUP_END = r"[\"'\]]?\s*[=:\]]"
_ORM_LOOKUP = (
    I + _K + r"(?:[a-z]\w*__)*(?:password\w*|passwd|pwd|pass_?hash|secret\w*|api_?key|\w*token|otp\w*|salt|session_key|private_key)__(?:i?startswith|i?endswith|i?contains|i?regex|i?exact|gte?|lte?|range|in|isnull)" + _LOOKUP_END,
    I + _K + r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*__[a-z][a-z0-9]*(?:_[a-z0-9]+)*__[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:__[a-z][a-z0-9]*(?:_[a-z0-9]+)*)*__(?:i?startswith|i?endswith|i?regex)" + _LOOKUP_END,
    I + r"__(?:has_keys?|has_any_keys|contains|contained_by|overlap)" + _LOOKUP_END + r"\s*[\"'\[{\s]*(?:is_)?(?:admin|staff|superuser|root)\b",
)

# ---- xxe ----------------------------------------------------------------------------------------
_XXE = (
    I + r"<!\s*entity\b|<!\s*doctype\s+[a-z0-9_:.-]+\s*(?:\[|system\b|public\b)|<!\s*element\b|<!\s*attlist\b",
    I + r"\bsystem\s+[\"'](?:file|https?|ftp|php|expect|jar|netdoc|gopher|data|dict|ldap)\s*:|\bxmlns:xi\s*=|<\s*xi:include\b|<\s*xsl:(?:value-of|copy-of|include|import)\b.*(?:document|system-property|unparsed-text)",
)

# XPath injection: a value that closes the application's string literal and predicate, then unions
# a new location path ("'] | //user/*[contains(*,'"), or that ORs in an XPath function
# ("x' or name()='username' or 'x'='y", "' or true() or '"), or a path that picks a node by
# position ("//user[position()=1]/password"). A quote followed by an XPath function call or by "]"
# and a union bar does not occur in prose.
_XPATH = (
    I + r"[\"']\s*\)*\s*\]\s*\|\s*(?:/|\(\s*/|\*)",
    I + r"[\"']\s*(?:or|and)\s+(?:not\s*\(\s*)?(?:true|false|name|local-name|count|string-length|substring|contains|starts-with|position|last|string|normalize-space|text)\s*\([^()]*\)\s*\)?\s*(?:[=<>!]|or\b|and\b|\]|$)",
    I + r"//[\w*:-]+\s*\[\s*(?:position\s*\(\s*\)\s*[<>=]|last\s*\(\s*\))",
    # XPath axes and node tests ("count(/child::node())"); "self::" and "parent::" are PHP too.
    I + r"\b(?:child|descendant|ancestor|following|preceding|attribute|descendant-or-self|ancestor-or-self|following-sibling|preceding-sibling)::(?:node\s*\(\s*\)|text\s*\(\s*\)|\*)|\bcount\s*\(\s*/+[\w*@]",
)

CLASSES: tuple[RuleClass, ...] = (
    RuleClass("nosql", "NoSQLOperators", _NOSQL, chains=("DEC", "B64")),
    RuleClass("nosql", "ORMLookupInjection", _ORM_LOOKUP, placements=("QUERYARGUMENTS", "BODY"), chains=("DEC", "B64")),
    RuleClass("xxe", "XPathInjection", _XPATH, chains=("DEC", "B64")),
    RuleClass("xxe", "XMLExternalEntity", _XXE, placements=("QUERYARGUMENTS", "BODY", "COOKIE", "HEADER"), chains=("DEC", "B64")),
)
