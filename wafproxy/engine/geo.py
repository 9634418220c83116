"""Country and ASN lookups from a MaxMind-format database the user supplies.

The engine takes an already-opened reader (anything with ``get(ip) -> dict | None``, such as
``maxminddb.Reader``); opening the file is I/O and happens at the edge (``aclfiles``). One database
may carry both the country (GeoLite2-Country layout: ``country.iso_code``) and the ASN
(GeoLite2-ASN layout: ``autonomous_system_number``).
"""

from __future__ import annotations

from typing import Any, Protocol


class GeoDatabase(Protocol):
    def get(self, ip_address: str) -> Any: ...


def country_of(db: GeoDatabase, ip: str) -> str | None:
    try:
        record = db.get(ip)
    except (ValueError, TypeError):
        return None
    if not isinstance(record, dict):
        return None
    for key in ("country", "registered_country"):
        entry = record.get(key)
        if isinstance(entry, dict) and isinstance(entry.get("iso_code"), str):
            return str(entry["iso_code"])
    return None


def asn_of(db: GeoDatabase, ip: str) -> str | None:
    try:
        record = db.get(ip)
    except (ValueError, TypeError):
        return None
    if isinstance(record, dict) and isinstance(record.get("autonomous_system_number"), int):
        return str(record["autonomous_system_number"])
    return None
