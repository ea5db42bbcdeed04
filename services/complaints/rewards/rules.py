"""The reward rules file, and the two pure decisions on it: who is eligible, and how much."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).with_name("reward_rules.toml")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Level:
    level: int
    percent: Decimal
    minimum: Decimal


@dataclass(frozen=True)
class RewardRules:
    version: str
    natural_persons_only: bool
    major_measures: frozenset[str]
    large_amount_person: Decimal
    large_amount_organisation: Decimal
    exclusions: dict[str, str]  # code -> the rule's words
    levels: dict[int, Level]
    cap: Decimal
    finance_step_from: Decimal
    insider_raise_needs_finance: bool
    claim_period_working_days: int
    confirmation: dict[str, str]  # what -> how well it is confirmed

    def needs_finance(self, amount: Decimal, *, raised: bool) -> bool:
        return amount >= self.finance_step_from or (raised and self.insider_raise_needs_finance)


@dataclass(frozen=True)
class Outcome:
    """What the handler records about the case a report led to."""

    kind: str
    substantiated: bool
    anonymous: bool
    violator_type: str  # person | organisation
    fines: Decimal
    confiscations: Decimal
    measures: frozenset[str]
    referred_for_prosecution: bool
    natural_person: bool
    facts: dict[str, bool]  # exclusion code -> true when it applies
    insider: bool

    @property
    def base(self) -> Decimal:
        return self.fines + self.confiscations


@dataclass(frozen=True)
class Check:
    code: str
    passed: bool
    reason: str


def assess(rules: RewardRules, outcome: Outcome) -> list[Check]:
    """Every condition and exclusion, each with its reason; eligible when all pass."""
    checks = [
        Check("report", outcome.kind == "report", "奖励只针对举报（report），不针对投诉"),
        Check(
            "real_name",
            not outcome.anonymous,
            "实名举报：领取奖励须验明身份" if not outcome.anonymous else "匿名举报，无法验明领奖人身份",
        ),
        Check(
            "natural_person",
            outcome.natural_person or not rules.natural_persons_only,
            "举报人应当为自然人（暂行办法第二条）",
        ),
        Check("substantiated", outcome.substantiated, "经查证属实结案后给予奖励（暂行办法第二条）"),
    ]
    limit = (
        rules.large_amount_person if outcome.violator_type == "person" else rules.large_amount_organisation
    )
    grounds = sorted(outcome.measures & rules.major_measures)
    if outcome.referred_for_prosecution:
        grounds.append("referred_for_prosecution")
    if outcome.base >= limit:
        grounds.append(f"罚没款 {outcome.base} ≥ {limit}")
    checks.append(
        Check(
            "major_violation",
            bool(grounds),
            "重大违法行为："
            + ("；".join(grounds) if grounds else f"无停产停业等措施、未移送司法，罚没款不足 {limit}"),
        )
    )
    for code, words in rules.exclusions.items():
        applies = outcome.facts[code]
        if code == "violator" and applies and outcome.insider:
            checks.append(Check(code, True, "实施违法行为的主体内部人员举报：内部举报人除外"))
            continue
        checks.append(Check(code, not applies, ("不予奖励：" if applies else "不属于：") + words))
    return checks


def amount(rules: RewardRules, *, level: int, base: Decimal) -> tuple[Decimal, str]:
    """The proposed amount for an evidence level and the fines and confiscations, with how it was reached."""
    rule = rules.levels[level]
    computed = (base * rule.percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    if computed < rule.minimum:
        return rule.minimum, f"{rule.percent}% × {base} = {computed}，不足 {rule.minimum}，给予最低额"
    if computed > rules.cap:
        return rules.cap, f"{rule.percent}% × {base} = {computed}，超过每案上限 {rules.cap}"
    return computed, f"{rule.percent}% × {base} = {computed}"


def _yuan(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


@cache
def load_rules(path: Path = RULES_FILE) -> RewardRules:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    e, limits, claim = data["eligibility"], data["limits"], data["claim"]
    levels = {
        int(x["level"]): Level(int(x["level"]), Decimal(x["percent"]), _yuan(x["minimum_yuan"]))
        for x in data["levels"]
    }
    confirmation = {f"level_{x['level']}": x["status"] for x in data["levels"]}
    confirmation |= {x["code"]: x["status"] for x in data["exclusions"]}
    confirmation |= {
        "cap": limits["cap_status"],
        "finance_step": limits["finance_step_status"],
        "claim_period": claim["period_status"],
    }
    return RewardRules(
        version=str(data["version"]),
        natural_persons_only=bool(e["natural_persons_only"]),
        major_measures=frozenset(e["major_measures"]),
        large_amount_person=_yuan(e["large_amount_person_yuan"]),
        large_amount_organisation=_yuan(e["large_amount_organisation_yuan"]),
        exclusions={x["code"]: x["text"] for x in data["exclusions"]},
        levels=levels,
        cap=_yuan(limits["cap_yuan"]),
        finance_step_from=_yuan(limits["finance_step_from_yuan"]),
        insider_raise_needs_finance=bool(limits["insider_raise_needs_finance"]),
        claim_period_working_days=int(claim["period_working_days"]),
        confirmation=confirmation,
    )
