"""The supervision rules file and the product catalogue, loaded once; the pure risk-class function."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
RULES_FILE = HERE / "supervision_rules.toml"
CATALOGUE_FILE = HERE / "catalogue.toml"
LEVEL_ORDER = {"high": 3, "medium": 2, "low": 1, "none": 0}


@dataclass(frozen=True)
class Category:
    name: str
    aliases: tuple[str, ...]
    risk_level: str
    source: str


@dataclass(frozen=True)
class Catalogue:
    version: str
    categories: tuple[Category, ...]

    def categories_of(self, products: list[str]) -> list[Category]:
        """Catalogue categories any of these product words falls in (by name or alias, substring)."""
        found = []
        for category in self.categories:
            words = (category.name, *category.aliases)
            if any(w in p or p in w for p in products for w in words if p):
                found.append(category)
        return found

    def get(self, name: str) -> Category | None:
        return next((c for c in self.categories if name in (c.name, *c.aliases)), None)


@dataclass(frozen=True)
class SupervisionRules:
    version: str
    classes: tuple[str, ...]
    black_listed_class: str
    grade_points: dict[str, int]
    list_points: dict[str, int]
    product_points: dict[str, int]
    bands: tuple[tuple[str, int], ...]
    min_overall_ratio: Decimal
    min_inspectors: int
    publish_within_working_days: int
    objection_days: int
    inspector_rotation_days: int
    ratios: dict[str, Decimal]
    rest_days: dict[str, int]

    def classify(self, *, grade: str, list_status: str, product_level: str) -> Classified:
        return classify(grade=grade, list_status=list_status, product_level=product_level, rules=self)


@dataclass(frozen=True)
class Classified:
    risk_class: str
    points: int
    explanation: list[dict[str, Any]]


def parse_rules(raw: dict[str, Any]) -> SupervisionRules:
    plans = raw["plans"]
    rules = SupervisionRules(
        version=raw["version"],
        classes=tuple(raw["classes"]),
        black_listed_class=raw["black_listed_class"],
        grade_points=dict(raw["grade_points"]),
        list_points=dict(raw["list_points"]),
        product_points=dict(raw["product_points"]),
        bands=tuple((b["class"], int(b["max_points"])) for b in raw["class_bands"]),
        min_overall_ratio=Decimal(plans["min_overall_ratio"]),
        min_inspectors=int(plans["min_inspectors_per_task"]),
        publish_within_working_days=int(plans["publish_within_working_days"]),
        objection_days=int(plans["objection_days"]),
        inspector_rotation_days=int(plans["inspector_rotation_days"]),
        ratios={k: Decimal(v) for k, v in plans["ratios"].items()},
        rest_days={k: int(v) for k, v in plans.get("rest_days", {}).items()},
    )
    if set(rules.ratios) != set(rules.classes):
        raise ValueError("plans.ratios needs one ratio per class")
    if any(not Decimal(0) <= r <= Decimal(1) for r in rules.ratios.values()):
        raise ValueError("plans.ratios are fractions in [0, 1]")
    if [c for c, _ in rules.bands] != list(rules.classes):
        raise ValueError("class_bands must list every class, lowest risk first")
    return rules


@cache
def load_rules(path: Path = RULES_FILE) -> SupervisionRules:
    return parse_rules(tomllib.loads(path.read_text(encoding="utf-8")))


@cache
def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    categories = tuple(
        Category(c["name"], tuple(c.get("aliases", ())), c["risk_level"], c["source"])
        for c in raw["categories"]
    )
    for c in categories:
        if c.risk_level not in raw["levels"]:
            raise ValueError(f"catalogue: {c.name} has unknown risk level {c.risk_level}")
    return Catalogue(raw["version"], categories)


def classify(*, grade: str, list_status: str, product_level: str, rules: SupervisionRules) -> Classified:
    """The risk class of an enterprise: a pure function of its grade, list status and product risk."""
    parts: list[dict[str, Any]] = [
        {
            "factor": "grade",
            "value": grade,
            "points": rules.grade_points.get(grade, max(rules.grade_points.values())),
        },
        {"factor": "list", "value": list_status, "points": rules.list_points[list_status]},
        {"factor": "product_risk", "value": product_level, "points": rules.product_points[product_level]},
    ]
    points = sum(int(p["points"]) for p in parts)
    chosen = next(c for c, top in rules.bands if points <= top)
    if list_status == "black":
        chosen = rules.black_listed_class
        parts.append({"factor": "black_listed", "value": True, "class": chosen})
    return Classified(risk_class=chosen, points=points, explanation=parts)


def riskiest(levels: list[str]) -> str:
    return max(levels, key=lambda lv: LEVEL_ORDER[lv], default="none")
