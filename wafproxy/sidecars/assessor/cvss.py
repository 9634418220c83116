"""CVSS v3.0/v3.1 base score from a vector (FIRST's specification, section 7.1 and Appendix A).

Pure arithmetic; an unparsable vector raises ``ValueError`` (the caller reports the record).
"""

from __future__ import annotations

import math

_W = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
}
_PR = {"U": {"N": 0.85, "L": 0.62, "H": 0.27}, "C": {"N": 0.85, "L": 0.68, "H": 0.5}}


def roundup(value: float) -> float:
    """CVSS 3.1 Appendix A: the smallest number with one decimal >= value, float-safe."""
    scaled = round(value * 100000)
    if scaled % 10000 == 0:
        return scaled / 100000.0
    return (math.floor(scaled / 10000) + 1) / 10.0


def parse_vector(vector: str) -> dict[str, str]:
    parts = vector.strip().split("/")
    if not parts or not parts[0].startswith("CVSS:3"):
        raise ValueError(f"not a CVSS v3 vector: {vector[:80]!r}")
    metrics = {}
    for part in parts[1:]:
        key, sep, value = part.partition(":")
        if not sep:
            raise ValueError(f"bad CVSS metric {part[:20]!r}")
        metrics[key] = value
    for key in ("AV", "AC", "PR", "UI", "S", "C", "I", "A"):
        if key not in metrics:
            raise ValueError(f"CVSS vector lacks {key}")
    return metrics


def base_score(vector: str) -> float:
    m = parse_vector(vector)
    try:
        scope = m["S"]
        cia = [_W["C"][m[k]] for k in ("C", "I", "A")]
        iss = 1 - (1 - cia[0]) * (1 - cia[1]) * (1 - cia[2])
        impact = 6.42 * iss if scope == "U" else 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15
        exploitability = (
            8.22 * _W["AV"][m["AV"]] * _W["AC"][m["AC"]] * _PR[scope][m["PR"]] * _W["UI"][m["UI"]]
        )
    except KeyError as exc:
        raise ValueError(f"bad CVSS metric value {exc}") from None
    if impact <= 0:
        return 0.0
    total = impact + exploitability if scope == "U" else 1.08 * (impact + exploitability)
    return roundup(min(total, 10.0))
