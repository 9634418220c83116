"""What Observatory's tests read (httpobs' ``reqs``), and the constants they share."""

from __future__ import annotations

from dataclasses import dataclass

from wafproxy.sidecars.assessor.htmlscan import PageFacts, scan_page
from wafproxy.sidecars.assessor.probe import Recorded

HTML_TYPES = ("text/html", "application/xhtml+xml")
CORS_ORIGIN = "https://http-observatory.security.mozilla.org"
BROAD = ("ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*")
UNSAFE_INLINE = ("'unsafe-inline'", "data:")
NONCES = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
SIX_MONTHS = 15552000  # httpobs' "white lie": 180 days, not 182.5


@dataclass(frozen=True, slots=True)
class Retrieval:
    """httpobs' ``reqs``: the page as fetched (``auto``: HTTPS if it answers, else HTTP), the plain
    HTTP and HTTPS fetches, and the fetch with ``Origin`` set (the CORS test)."""

    auto: Recorded
    http: Recorded | None
    https: Recorded | None
    cors: Recorded | None

    def page(self) -> PageFacts:
        if self.auto.content_type in HTML_TYPES and self.auto.body:
            return scan_page(self.auto.text)
        return PageFacts()
