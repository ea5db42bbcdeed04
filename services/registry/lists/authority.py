"""How a listing authority's level and province are known (Order 44 第十四条, 第二十二条 turn on them).

A regulator states the level on the proposal (`authority_level`: national, provincial, city, county),
or gives the division code of the authority's area (`authority_division`, six digits as in positions
3–8 of a USCC), from which the level follows: `XX0000` a province (or autonomous region, or a
municipality directly under the central government), `XXYY00` a prefecture-level city, anything else
county level (a county, a district, a county-level city). Given both, they must agree. Given neither,
the level is unknown, and the entry is treated as needing the next level's consent: the registry
cannot tell that a bureau is provincial, so it does not assume it.

The division's first two digits are the authority's province: when they differ from the enterprise's,
publication follows the cross-province rule (第十四条第二款). Without a division the registry cannot
tell, and applies the same-province rule.
"""

from __future__ import annotations

from typing import Literal

AuthorityLevel = Literal["national", "provincial", "city", "county"]
AUTHORITY_LEVELS: tuple[str, ...] = ("national", "provincial", "city", "county")


def level_from_division(division: str) -> str:
    if division.endswith("0000"):
        return "provincial"
    if division.endswith("00"):
        return "city"
    return "county"


def level_of(level: str | None, division: str | None) -> str | None:
    """The stated level, else the one the division implies, else None (unknown)."""
    if level is not None:
        return level
    return level_from_division(division) if division else None


def conflict(level: str | None, division: str | None) -> str | None:
    """Why a stated level and division disagree, or None."""
    if level is None or division is None:
        return None
    implied = level_from_division(division)
    if level == "national" or implied != level:
        return f"division {division} is the area of a {implied}-level authority, not a {level}-level one"
    return None


def cross_province(authority_division: str | None, enterprise_division: str) -> bool:
    return authority_division is not None and authority_division[:2] != enterprise_division[:2]
