"""Reading and validating an import file (CSV or JSON Lines), every bad row with its line number."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

import orjson
from pydantic import ValidationError

from services.common import uscc as uscc_rules
from services.common.text import clean_line
from services.registry.credit.rules import SEVERITIES, RuleSet
from services.registry.credit.schemas import CreditEventCreate, Severity

CSV_COLUMNS = ("uscc", "name", "address")


@dataclass
class ImportRow:
    line: int
    uscc: str
    name: str
    address: str | None
    events: list[ImportEvent] = field(default_factory=list)


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
        record = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg}") from exc
    if not isinstance(record, dict):
        raise ValueError("each line must be a JSON object")
    return record


@dataclass(frozen=True, slots=True)
class PlainEvent:
    """An event that passed the fast check: the same attributes as a validated CreditEventCreate."""

    kind: str
    severity: str
    authority: str
    source_ref: str
    occurred_at: datetime
    expires_at: datetime | None = None
    summary: str | None = None
    gtin: str | None = None
    batch: str | None = None
    test_report_no: str | None = None
    product_name: str | None = None


ImportEvent = CreditEventCreate | PlainEvent
_PLAIN_KEYS = frozenset({"kind", "severity", "authority", "source_ref", "occurred_at"})
# A line clean_line leaves as it is: no control characters, no whitespace but single inner spaces.
_PLAIN_LINE = re.compile(r"[^\s\x00-\x1f\x7f-\x9f]+(?: [^\s\x00-\x1f\x7f-\x9f]+)*")
# The RFC 3339 forms datetime.fromisoformat reads exactly as the Timestamp type does.
_PLAIN_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})")
_SEVERITIES = frozenset(get_args(Severity))


def _plain_line(value: object, limit: int) -> bool:
    return (
        type(value) is str
        and len(value) <= limit
        and _PLAIN_LINE.fullmatch(value) is not None
        and (value.isascii() or unicodedata.is_normalized("NFC", value))
    )


def plain_event(raw: Any, rules: RuleSet, now: datetime) -> PlainEvent | None:
    """The event, when it is in the common plain shape and valid; None sends it to the full model
    (which also words every error). The checks are the model's, for this shape, compiled."""
    if type(raw) is not dict or raw.keys() != _PLAIN_KEYS:
        return None
    kind, severity, at = raw["kind"], raw["severity"], raw["occurred_at"]
    if type(kind) is not str or not 0 < len(kind) <= 40 or kind not in rules.kinds:
        return None
    if severity not in _SEVERITIES or severity not in SEVERITIES:
        return None
    if not (_plain_line(raw["authority"], 200) and _plain_line(raw["source_ref"], 200)):
        return None
    if type(at) is not str or _PLAIN_TIME.fullmatch(at) is None:
        return None
    occurred = datetime.fromisoformat(at)
    if occurred > now:
        return None
    return PlainEvent(kind, severity, raw["authority"], raw["source_ref"], occurred)


def _event(raw: Any, rules: RuleSet, now: datetime) -> ImportEvent:
    plain = plain_event(raw, rules, now)
    if plain is not None:
        return plain
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
