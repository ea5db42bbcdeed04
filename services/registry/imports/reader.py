"""Reading and validating an import file (CSV or JSON Lines), every bad row with its line number."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from services.common import uscc as uscc_rules
from services.common.text import clean_line
from services.registry.credit.rules import SEVERITIES, RuleSet
from services.registry.credit.schemas import CreditEventCreate

CSV_COLUMNS = ("uscc", "name", "address")


@dataclass
class ImportRow:
    line: int
    uscc: str
    name: str
    address: str | None
    events: list[CreditEventCreate] = field(default_factory=list)


@dataclass(frozen=True)
class BadRow:
    line: int
    message: str


def raw_records(
    path: Path, required: tuple[str, ...] = CSV_COLUMNS[:2]
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, record) pairs: a dict for CSV, the undecoded line for JSON Lines."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{path.name}:1: header lacks column(s): {', '.join(missing)}")
            for record in reader:
                yield reader.line_num, dict(record)
        return
    with path.open(encoding="utf-8") as fh:
        for number, text in enumerate(fh, start=1):
            if text.strip():
                yield number, text


def decode(raw: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg}") from exc
    if not isinstance(record, dict):
        raise ValueError("each line must be a JSON object")
    return record


def _event(raw: Any, rules: RuleSet, now: datetime) -> CreditEventCreate:
    event = CreditEventCreate.model_validate(raw)
    if event.kind not in rules.kinds:
        raise ValueError(f"unknown kind {event.kind!r}")
    if event.severity not in SEVERITIES:
        raise ValueError(f"unknown severity {event.severity!r}")
    if event.occurred_at > now:
        raise ValueError("occurred_at is in the future")
    return event


def _row(number: int, record: dict[str, Any], rules: RuleSet, now: datetime) -> ImportRow:
    raw_code = record.get("uscc")
    if not isinstance(raw_code, str):
        raise ValueError("uscc is missing")
    try:
        code = uscc_rules.validate(raw_code)
    except uscc_rules.UsccError as exc:
        raise ValueError(f"uscc {raw_code!r}: {exc.message}") from exc
    name = record.get("name")
    if not isinstance(name, str) or len(name) > 200:
        raise ValueError("name is missing or longer than 200 characters")
    address = record.get("address") or None
    events = []
    for i, raw_event in enumerate(record.get("events") or []):
        try:
            events.append(_event(raw_event, rules, now))
        except (ValidationError, ValueError) as exc:
            detail = (
                "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                if isinstance(exc, ValidationError)
                else str(exc)
            )
            raise ValueError(f"events[{i}]: {detail}") from exc
    return ImportRow(number, code, clean_line(name), clean_line(address) if address else None, events)


def validate(
    chunk: list[tuple[int, dict[str, Any] | str]], *, rules: RuleSet, now: datetime
) -> tuple[list[ImportRow], list[BadRow]]:
    """Each record on its own; repeats across records are checked by `repeats`."""
    rows: list[ImportRow] = []
    bad: list[BadRow] = []
    for number, raw in chunk:
        try:
            rows.append(_row(number, decode(raw), rules, now))
        except ValueError as exc:
            bad.append(BadRow(number, str(exc)))
    return rows, bad
