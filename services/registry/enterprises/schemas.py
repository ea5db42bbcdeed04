"""Enterprise API models: what clients send and the public / full views they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.common.text import Line
from services.common.uscc import UsccFormat


class CheckOverride(BaseModel):
    """A regulator's audited decision to register a legal code that fails the check (pilot codes)."""

    reason: Line(500)  # type: ignore[valid-type]


class EnterpriseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: UsccFormat  # type: ignore[valid-type]
    name: Line(200)  # type: ignore[valid-type]
    address: Line(300) | None = None  # type: ignore[valid-type]
    check_override: CheckOverride | None = None


class EnterpriseUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Omitted, not null: an enterprise always has a name and a status (OpenAPI says so: no null).
    name: Line(200) = None  # type: ignore[valid-type, assignment]
    address: Line(300) | None = None  # type: ignore[valid-type]
    status: Literal["active", "deregistered"] = None  # type: ignore[assignment]


class Region(BaseModel):
    division: str = Field(description="six-digit administrative division code (positions 3–8)")
    province: str | None


class EntityType(BaseModel):
    registration_authority: str
    registration_authority_label: str | None
    code: str
    label: str | None


class EnterprisePublic(BaseModel):
    """What anyone may see."""

    uscc: str
    name: str
    region: Region
    entity_type: EntityType
    status: str
    grade: str


class EnterpriseFull(EnterprisePublic):
    """What a regulator, or the enterprise itself, sees."""

    address: str | None
    score: int
    rule_version: str
    check_override_reason: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime
