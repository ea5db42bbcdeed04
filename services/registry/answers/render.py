"""Answers serialised straight from rows: one orjson call per answer, no per-item models.

The JSON is what the Pydantic models in `credit/schemas.py` and `partners/schemas.py` describe (the
OpenAPI contract); timestamps in UTC with a `Z`, as Pydantic writes them. The stored explanation
is already JSON text and is spliced in as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from services.registry.answers.reads import BatchRow, CreditRow
from services.registry.credit.rules import RuleSet

_OPTIONS = orjson.OPT_UTC_Z


class Labels:
    """The grade label of a score under a rules version, computed once per version and score."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], dict[str, str]] = {}

    def __call__(self, rules: RuleSet, score: int) -> dict[str, str]:
        key = (rules.version, score)
        label = self._cache.get(key)
        if label is None:
            grade = rules.grade_for(score)
            label = self._cache[key] = {"zh": grade.zh, "en": grade.en}
        return label


LABELS = Labels()


def credit_answer(row: CreditRow, *, rules: RuleSet, now: datetime, horizon: int) -> dict[str, Any]:
    """The answer's content; the grade label under `rules`, the version in force at `now`."""
    uscc, name, status, score, grade, rule_version, explanation, version, lists = row
    return {
        "uscc": uscc,
        "name": name,
        "status": status,
        "score": score,
        "grade": grade,
        "grade_label": LABELS(rules, score),
        "rule_version": rule_version,
        "lists": [
            {
                "list": kind,
                "entry_id": entry_id,
                "status": st,
                "since": since,
                "until": until,
                "reason": reason,
            }
            for kind, entry_id, st, since, until, reason in lists
        ],
        "explanation": orjson.Fragment(explanation),
        "as_of": now,
        "feed_cursor": str(horizon),
        "version": version,
    }


def credit_body(row: CreditRow, *, rules: RuleSet, now: datetime, horizon: int) -> bytes:
    return orjson.dumps(credit_answer(row, rules=rules, now=now, horizon=horizon), option=_OPTIONS)


def batch_body(
    codes: Sequence[tuple[str, str | None]],
    found: dict[str, BatchRow],
    not_found: dict[str, str | None],
    *,
    now: datetime,
    horizon: int,
    measures: dict[str, Any] | None = None,
) -> bytes:
    """`codes` as normalised with their format error; `not_found` maps a code missing from `found`
    to its check-character error (None: a well-formed code that is not registered)."""
    items: list[dict[str, Any]] = []
    append = items.append
    for code, error in codes:
        row = found.get(code) if error is None else None
        if row is not None:
            append(
                {
                    "uscc": code,
                    "result": "found",
                    "reason": None,
                    "name": row[1],
                    "status": row[2],
                    "score": row[3],
                    "grade": row[4],
                    "rule_version": row[5],
                    "lists": row[6],
                    "measures": measures.get(code) if measures is not None else None,
                }
            )
            continue
        reason = error if error is not None else not_found.get(code)
        append(
            {
                "uscc": code,
                "result": "invalid" if reason is not None else "not_found",
                "reason": reason,
                "name": None,
                "status": None,
                "score": None,
                "grade": None,
                "rule_version": None,
                "lists": [],
                "measures": None,
            }
        )
    return orjson.dumps({"items": items, "as_of": now, "feed_cursor": str(horizon)}, option=_OPTIONS)
