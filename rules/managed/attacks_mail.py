"""Mail header, SMTP and IMAP command injection (known-bad-inputs).

A form field that ends up in a mail header (To, Subject, Reply-To) or in an SMTP / IMAP dialogue
(a folder name, a search term, a recipient) is injected with a line break followed by a header
(``x@y\\nBcc: list@evil``) or a protocol command (``\\r\\nRCPT TO:<…>``, ``\\r\\nA1 FETCH 1:* (BODY[])``)
(RFC 5322 header fields, RFC 5321 SMTP verbs, RFC 3501 IMAP tagged commands). Text areas send
line breaks too, so in bodies a header counts only right after the value's first line and with an
address in it (``Cc: x@y``), or after a value that is an address; a memo (``To: All staff``) and a
forwarded mail quoted further down pass. Protocol commands need their arguments' grammar
(``FETCH 1:* (…)``, ``SELECT "INBOX"``, ``HELO host.example``), so a numbered list line such as
``2 Select your size`` passes. A literal ``%0a`` left by an encoded value inside a JSON string counts
as a line break. See ``ruleclass.py`` for the conventions every regex here follows.
"""

from __future__ import annotations

from ruleclass import NO_BODY, I, RuleClass

_NL = r"(?:\r\n?|\n|%0d%0a|%0[ad]|\\r\\n|\\[rn])"
_HEADERS = r"(?:bcc|cc|to|from|reply-to|subject|sender|return-path|mime-version|content-transfer-encoding|content-type|x-mailer|x-priority|disposition-notification-to|errors-to|in-reply-to|references)"
_ADDR_HEADERS = r"(?:bcc|cc|to|from|reply-to|sender|return-path|disposition-notification-to|errors-to)"
# Where a value starts in a body: the body start, a form field (``&name=``), a JSON string value
# (``"key": "``), XML text (``>``), a multipart *text* field (``name="x"`` then the blank line; a
# file part has ``filename=`` and its own ``Content-Type`` first, and an uploaded ``.eml`` is full of
# headers that inject nothing).
_VS = r"(?:^|(?:^|&)[^=&\s]+=|\"\s*:\s*\"|name\s*=\s*\"[^\"\r\n]*\"\r?\n\r?\n)"
# An XML element's text too, for a value that is an address (``<to>a@b.example\nBcc: …``): not for
# a first line of text, which in a mail is ``From: Ann <ann@example.com>`` then ``To: …``.
_VS_ADDR = r"(?:" + _VS + r"|>)"
_LINE = r"[^\r\n&=\"%\\]*"
# Where a command line ends: the field end, a quote (JSON), a line break.
_END = r"\s*(?:$|[\"'&<]|" + _NL + ")"

_PROTOCOL = (
    # SMTP: envelope commands, greetings, probes and the end-of-data dot.
    I + _NL + r"\s*(?:rcpt\s+to|mail\s+from)\s*:\s*<?",
    I + _NL + r"\s*(?:helo|ehlo|lhlo)\s+[\w-]+(?:\.[\w-]+)+" + _END,
    I + _NL + r"\s*(?:vrfy|expn)\s+[\w.@-]+" + _END,
    # A bare SMTP verb on a line of its own after the value's first line.
    I + r"(?:" + _VS + r"|;\s*[^=;\s]+=)" + r"[^\r\n&=\"%\\]*" + _NL + r"\s*(?:quit|rset|noop|data|starttls)" + _END,
    I + _NL + r"\.\s*" + _NL + r"\s*(?:mail\s+from|rcpt\s+to|quit|rset|helo|ehlo|data)\b",
    I + _NL + r"\s*data\s*" + _NL + r"\s*(?:subject|from|to)\s*:",
    # IMAP tagged commands with their argument grammar.
    I + _NL + r"\s*[\w.]{1,10}\s+(?:uid\s+)?(?:fetch|store|copy|move)\s+[\d*]+(?::[\d*]+)?(?:,[\d*:]+)*\s+(?:\(|[+-]?flags|body|rfc822|envelope|all|fast|full|\"?[\w]+\"?" + _END + ")",
    I + _NL + r"\s*[\w.]{1,10}\s+(?:select|examine|create|delete|rename|subscribe|unsubscribe|status|append|getquotaroot|getacl|myrights)\s+(?:(?:inbox|sent|trash|drafts|junk|spam|archive|outbox)(?:\s*\(|" + _END + r")|\"[^\"\r\n]*\"\s*(?:[\"(]|" + _END + r"))",
    I + _NL + r"\s*[\w.]{1,10}\s+(?:list|lsub)\s+\"[^\"\r\n]*\"\s+\"?[*%\w]",
    I + _NL + r"\s*[\w.]{1,10}\s+(?:uid\s+)?search\s+(?:all|unseen|seen|deleted|flagged|new|old|recent|answered|(?:from|to|subject|since|before|body|text)\s+\S+)" + _END,
    I + _NL + r"\s*[a-z]+\d+\s+(?:logout|capability|noop|expunge|close|check|starttls|idle|namespace|unselect)" + _END,
    I + _NL + r"\s*[\w.]{1,10}\s+login\s+(?:\"[^\"\r\n]*\"\s+\"[^\"\r\n]*\"|[\w.@-]+\s+[^\s\"]+" + _END + ")",
    I + _NL + r"\s*[\w.]{1,10}\s+authenticate\s+(?:plain|login|xoauth2|cram-md5)\b",
    # POP3 message commands.
    I + _NL + r"\s*(?:retr|dele|top)\s+\d+(?:\s+\d+)?" + _END,
)

# Query strings, cookies and headers carry no text areas: any line break then a mail header.
_MAIL_HEADER = (
    I + _NL + r"\s*" + _HEADERS + r"\s*:",
)
# A header value never holds a line break; a blank line in one starts the message body. (Query
# strings are left out: a multi-paragraph text sent by GET is ordinary.)
_MAIL_BLANK_LINE = (I + r"[^\r\n]+(?:\r\n|\n|%0d%0a|%0a){2}[ \t]*\S",)
_MAIL_HEADER_BODY = (
    # A value that is an address (or "Name <address>"), then a line break and any mail header.
    I + _VS_ADDR + r"[^\s@&=\"<>]{0,64}<?[\w.+-]+@[\w-]+(?:\.[\w-]+)+>?[ \t]*" + _NL + r"[ \t]*" + _HEADERS + r"\s*:",
    # The value's first line, then an address header carrying an address, or a MIME header.
    I + _VS + _LINE + _NL + r"(?:[ \t]*subject\s*:[^\r\n]*" + _NL + r")?[ \t]*" + _ADDR_HEADERS + r"\s*:[^\r\n@]*@",
    # (Not in a JSON string: ``"x\\nContent-Type: …"`` is how JSON quotes a pasted mail.)
    I + r"(?:^|(?:^|&)[^=&\s]+=|>|name\s*=\s*\"[^\"\r\n]*\"\r?\n\r?\n)" + _LINE + _NL + r"[ \t]*(?:content-type\s*:\s*(?:text|multipart|message|application)/|mime-version\s*:\s*1\.0|content-transfer-encoding\s*:\s*(?:base64|quoted-printable|[78]bit))",
)

CLASSES: tuple[RuleClass, ...] = (
    RuleClass("known-bad-inputs", "MailInjection", (*_MAIL_HEADER, *_PROTOCOL), placements=NO_BODY, chains=("DEC", "B64")),
    RuleClass("known-bad-inputs", "MailBodyInHeader", _MAIL_BLANK_LINE, placements=("HEADER",), chains=("DEC",)),
    RuleClass("known-bad-inputs", "MailInjectionBody", (*_MAIL_HEADER_BODY, *_PROTOCOL), placements=("BODY",), chains=("DEC", "B64")),
)
