"""Should-block / should-pass payloads of the ``rules/managed/attacks_protocol.py`` classes (see ``cases.py``)."""

from __future__ import annotations

from tests.rules.case import Case

CASES: tuple[Case, ...] = (
    Case(
        "BodyCharsetEvasion",
        ("application/x-www-form-urlencoded; charset=ibm037", "text/plain; charset=utf-8; charset=utf-7"),
        ("application/json; charset=utf-8", "text/html; charset=ISO-8859-1"),
    ),
    Case(
        "MultipartEvasion",
        ('--b\r\nContent-Disposition: form-data; name="a;b"; filename="x"\r\n\r\nx\r\n--b--\r\n',),
        ('--b\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\n\r\nx\r\n--b--\r\n',),
    ),
    Case(
        "RequestSmuggling",
        ("x\r\nPOST /admin HTTP/1.1", "abcGET /b.html HTTP/1.0", "v=\nHEAD http://example.com/ HTTP/1.1"),
        ("use the GET verb over HTTP/1.1", "a budget of 5 http/2 calls", "POST /api/v1/users returns 201", "HTTP/2 get post head"),
    ),
)
