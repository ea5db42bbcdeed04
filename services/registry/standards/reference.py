"""Mandatory national values (a data file the regulator maintains) and the comparison against them.

A declared indicator is weaker than a mandatory value when the values it allows are not all allowed
by the mandatory one: "蛋白质 ≥ 2.7 g/100g" against "≥ 2.8 g/100g", "铅 ≤ 0.05 mg/kg" against
"≤ 0.02 mg/kg", or a declared "≤" where the mandatory value is a minimum. Values are compared as
decimals, after converting units of one family (mg/kg, μg/kg, g/100g, …).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

REFERENCE_FILE = Path(__file__).with_name("mandatory_values.toml")
COMPARATORS = (">=", ">", "<=", "<", "=", "range")
SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}


class ReferenceError(ValueError):
    """The reference file is malformed; the message names the entry."""


def key(text: str) -> str:
    """How names are compared: NFKC, case-folded, without spaces, parenthesised notes or "含量".

    "铅（以Pb计）", "铅 (以 Pb 计)" and "铅" are one indicator; "蛋白质含量" is "蛋白质".
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", "", text)
    return text.removesuffix("含量")


def unit_key(unit: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", unit)).replace("µ", "μ")


@dataclass(frozen=True)
class Bound:
    value: Decimal
    inclusive: bool


@dataclass(frozen=True)
class Constraint:
    """What an indicator allows: a comparator, a value (and an upper value for a range), a unit."""

    comparator: str
    value: Decimal
    unit: str
    value_max: Decimal | None = None

    def bounds(self, factor: Decimal = Decimal(1)) -> tuple[Bound | None, Bound | None]:
        low, high = self.value * factor, (self.value_max or self.value) * factor
        return {
            ">=": (Bound(low, True), None),
            ">": (Bound(low, False), None),
            "<=": (None, Bound(low, True)),
            "<": (None, Bound(low, False)),
            "=": (Bound(low, True), Bound(low, True)),
            "range": (Bound(low, True), Bound(high, True)),
        }[self.comparator]

    def text(self) -> str:
        if self.comparator == "range":
            return f"{self.value}–{self.value_max} {self.unit}"
        return f"{SYMBOLS[self.comparator]} {self.value} {self.unit}"


def _tighter_or_equal(declared: Bound | None, mandatory: Bound | None, *, lower: bool) -> bool:
    if mandatory is None:
        return True
    if declared is None:
        return False
    if declared.value != mandatory.value:
        return declared.value > mandatory.value if lower else declared.value < mandatory.value
    return mandatory.inclusive or not declared.inclusive


@dataclass(frozen=True)
class Limit:
    category: str
    indicator: str
    aliases: tuple[str, ...]
    constraint: Constraint
    source: str
    status: str

    def names(self) -> set[str]:
        return {key(self.indicator), *(key(a) for a in self.aliases)}


@dataclass(frozen=True)
class Category:
    name: str
    aliases: tuple[str, ...]
    limits: tuple[Limit, ...]

    def names(self) -> set[str]:
        return {key(self.name), *(key(a) for a in self.aliases)}


@dataclass(frozen=True)
class Finding:
    """One declared indicator that falls short of a mandatory value (or cannot be compared with it)."""

    index: int | None  # position in the declaration's indicators; None when it is missing
    indicator: str  # as declared (the mandatory name when missing)
    declared: str
    mandatory: str
    category: str
    source: str
    problem: str  # "weaker" | "unit" | "missing"

    def message(self) -> str:
        if self.problem == "missing":
            return (
                f"{self.indicator}: not declared; the mandatory {self.mandatory} applies "
                f"({self.category}, {self.source}) and an enterprise standard discloses it"
            )
        if self.problem == "unit":
            return (
                f"{self.indicator}: {self.declared} cannot be compared with the mandatory {self.mandatory} "
                f"({self.category}, {self.source}); declare it in a unit of the same kind"
            )
        return (
            f"{self.indicator}: {self.declared} is weaker than the mandatory {self.mandatory} "
            f"({self.category}, {self.source})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": "indicators" if self.index is None else f"indicators.{self.index}",
            "indicator": self.indicator,
            "declared": self.declared,
            "mandatory": self.mandatory,
            "category": self.category,
            "source": self.source,
            "problem": self.problem,
            "message": self.message(),
        }


@dataclass(frozen=True)
class Declared:
    """An indicator as an enterprise declared it (the fields the comparison reads)."""

    name: str
    comparator: str
    value: Decimal
    unit: str
    value_max: Decimal | None = None


@dataclass(frozen=True)
class Reference:
    version: str
    categories: tuple[Category, ...]
    units: dict[str, tuple[str, Decimal]]  # unit key -> (family, factor to the family's base unit)

    def category(self, name: str) -> Category | None:
        wanted = key(name)
        return next((c for c in self.categories if wanted in c.names()), None)

    def applicable(self, *, category: str | None, products: Iterable[str]) -> list[Category]:
        """The categories a declaration falls under: the one it names, and any its products name."""
        wanted = {key(p) for p in products} | ({key(category)} if category else set())
        return [c for c in self.categories if c.names() & wanted]

    def _factor(self, unit: str) -> tuple[str, Decimal]:
        return self.units.get(unit_key(unit), (unit_key(unit), Decimal(1)))

    def compare(
        self,
        indicators: Sequence[Declared],
        *,
        category: str | None,
        products: Iterable[str],
        complete: bool = False,
    ) -> list[Finding]:
        """Declared indicators weaker than a mandatory value; with `complete`, mandatory ones left out.

        `complete` is for an enterprise's own standard, which discloses its indicators (Order 83 第十四条
        第二款) and may not fall below the mandatory ones (标准化法 第二十一条): leaving one out is a finding.
        """
        findings = []
        for cat in self.applicable(category=category, products=products):
            for limit in cat.limits:
                names = limit.names()
                matched = False
                for index, declared in enumerate(indicators):
                    if key(declared.name) not in names:
                        continue
                    matched = True
                    finding = self._check(index, declared, limit)
                    if finding is not None:
                        findings.append(finding)
                if complete and not matched:
                    findings.append(
                        Finding(
                            index=None,
                            indicator=limit.indicator,
                            declared="(not declared)",
                            mandatory=limit.constraint.text(),
                            category=limit.category,
                            source=limit.source,
                            problem="missing",
                        )
                    )
        return findings

    def _check(self, index: int, declared: Declared, limit: Limit) -> Finding | None:
        mandatory = limit.constraint
        declared_family, declared_factor = self._factor(declared.unit)
        family, factor = self._factor(mandatory.unit)
        constraint = Constraint(declared.comparator, declared.value, declared.unit, declared.value_max)

        def finding(problem: str) -> Finding:
            return Finding(
                index=index,
                indicator=declared.name,
                declared=constraint.text(),
                mandatory=mandatory.text(),
                category=limit.category,
                source=limit.source,
                problem=problem,
            )

        if declared_family != family:
            return finding("unit")
        low, high = constraint.bounds(declared_factor / factor)
        m_low, m_high = mandatory.bounds()
        if _tighter_or_equal(low, m_low, lower=True) and _tighter_or_equal(high, m_high, lower=False):
            return None
        return finding("weaker")

    def describe(self) -> dict[str, Any]:
        """The table as the API shows it."""
        return {
            "version": self.version,
            "categories": [
                {
                    "name": c.name,
                    "aliases": list(c.aliases),
                    "limits": [
                        {
                            "indicator": lim.indicator,
                            "aliases": list(lim.aliases),
                            "comparator": lim.constraint.comparator,
                            "value": str(lim.constraint.value),
                            "value_max": None
                            if lim.constraint.value_max is None
                            else str(lim.constraint.value_max),
                            "unit": lim.constraint.unit,
                            "text": lim.constraint.text(),
                            "source": lim.source,
                            "status": lim.status,
                        }
                        for lim in c.limits
                    ],
                }
                for c in self.categories
            ],
        }


def _decimal(raw: object, where: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise ReferenceError(f"{where}: {raw!r} is not a number") from exc
    if not value.is_finite():
        raise ReferenceError(f"{where}: {raw!r} is not a finite number")
    return value


def _limit(category: str, raw: dict[str, Any]) -> Limit:
    where = f"{category} / {raw.get('indicator', '?')}"
    comparator = raw.get("comparator")
    if comparator not in COMPARATORS:
        raise ReferenceError(f"{where}: comparator must be one of {', '.join(COMPARATORS)}")
    value = _decimal(raw.get("value"), where)
    value_max = _decimal(raw["value_max"], where) if "value_max" in raw else None
    if (comparator == "range") != (value_max is not None):
        raise ReferenceError(f"{where}: value_max goes with comparator 'range', and only with it")
    if value_max is not None and value_max <= value:
        raise ReferenceError(f"{where}: value_max must be above value")
    for field in ("indicator", "unit", "source", "status"):
        if not isinstance(raw.get(field), str) or not raw[field].strip():
            raise ReferenceError(f"{where}: {field} is required")
    return Limit(
        category=category,
        indicator=raw["indicator"],
        aliases=tuple(raw.get("aliases", ())),
        constraint=Constraint(comparator, value, raw["unit"], value_max),
        source=raw["source"],
        status=raw["status"],
    )


def parse_reference(document: dict[str, Any]) -> Reference:
    version = document.get("version")
    if not isinstance(version, str) or not version:
        raise ReferenceError("version is required")
    units: dict[str, tuple[str, Decimal]] = {}
    for family, table in document.get("units", {}).items():
        for unit, factor in table.items():
            units[unit_key(unit)] = (family, _decimal(factor, f"units.{family}.{unit}"))
    categories = []
    seen: dict[str, str] = {}
    for raw in document.get("categories", []):
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise ReferenceError("every category needs a name")
        category = Category(
            name, tuple(raw.get("aliases", ())), tuple(_limit(name, r) for r in raw.get("limits", []))
        )
        for k in category.names():
            if k in seen:
                raise ReferenceError(f"{name}: name or alias {k!r} is also category {seen[k]}")
            seen[k] = name
        indicator_keys: set[str] = set()
        for lim in category.limits:
            if lim.names() & indicator_keys:
                raise ReferenceError(f"{name}: indicator {lim.indicator} is listed twice")
            indicator_keys |= lim.names()
        categories.append(category)
    return Reference(version=version, categories=tuple(categories), units=units)


def load_reference(path: Path = REFERENCE_FILE) -> Reference:
    with open(path, "rb") as handle:
        return parse_reference(tomllib.load(handle))
