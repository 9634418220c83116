"""What the Observatory tests need from a page: its ``<script src>`` tags and ``<meta http-equiv>``.

The standard library's ``html.parser`` (a linear tokenizer, no backtracking regex on the page).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass(frozen=True, slots=True)
class Script:
    src: str | None
    integrity: str | None


@dataclass(slots=True)
class PageFacts:
    scripts: list[Script] = field(default_factory=list)
    http_equiv: dict[str, str] = field(default_factory=dict)  # lower-cased header name -> value


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.facts = PageFacts()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v for k, v in attrs}
        if tag == "script":
            self.facts.scripts.append(Script(a.get("src"), a.get("integrity")))
        elif tag == "meta":
            content = a.get("content")
            equiv = (a.get("http-equiv") or "").strip().lower()
            if equiv and content is not None:
                if equiv == "content-security-policy" and equiv in self.facts.http_equiv:
                    self.facts.http_equiv[equiv] += "; " + content
                else:
                    self.facts.http_equiv[equiv] = content
            elif (a.get("name") or "").strip().lower() == "referrer" and content is not None:
                self.facts.http_equiv["referrer-policy"] = content


def scan_page(text: str) -> PageFacts:
    scanner = _Scanner()
    scanner.feed(text)
    scanner.close()
    return scanner.facts
