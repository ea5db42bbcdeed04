"""List API models: proposals, transitions, statements, repair applications, the public disclosure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.common.text import Line, Prose
from services.common.timestamps import Timestamp
from services.common.uscc import UsccFormat
from services.registry.enterprises.schemas import Region
from services.registry.lists import machine
from services.registry.lists.authority import AuthorityLevel

ListName = Literal["black", "red"]
# Models below have a field named `list`; inside their bodies the name no longer means the builtin.
Actions = list[str]


class ListEntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: UsccFormat  # type: ignore[valid-type]
    list: ListName
    reason: Prose(4000)  # type: ignore[valid-type]
    legal_basis: Line(500)  # type: ignore[valid-type]
    decision_no: Line(200) = Field(description="number of the decision the entry rests on")  # type: ignore[valid-type]
    authority: Line(200) | None = Field(default=None, description="the issuing authority")  # type: ignore[valid-type]
    authority_level: AuthorityLevel | None = Field(
        default=None,
        description="level of the issuing authority; a city or county bureau's listing needs the next "
        "level's consent (Order 44 art. 22); unknown (neither this nor authority_division) needs it too",
    )
    authority_division: str | None = Field(
        default=None,
        pattern=r"^\d{6}$",
        description="division code of the authority's area (XX0000 province, XXYY00 city, else county); "
        "gives the level, and whether the enterprise is in another province (art. 14 para 2)",
    )
    restriction_ends_at: Timestamp | None = Field(
        default=None,
        description="end of a statutory restriction (限制从业 …): a longer one extends the publication term "
        "(art. 21), and early removal waits for it (art. 16 para 2)",
    )
    decided_at: Timestamp | None = Field(default=None, description="date of the decision; default now")


class _Transition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Prose(4000) | None = Field(default=None, description="reasons")  # type: ignore[valid-type]
    reference: Line(200) | None = Field(  # type: ignore[valid-type]
        default=None,
        description="e.g. the number of the judgment or review decision behind a revocation, or of the "
        "consent document (record_consent)",
    )
    approving_authority: Line(200) | None = Field(  # type: ignore[valid-type]
        default=None, description="record_consent: the next-level authority that consented (Order 44 art. 22)"
    )


class PlainTransition(_Transition):
    """serve_notice, decide, list, push (black list)."""

    action: Literal[tuple(sorted(machine.PLAIN_ACTIONS))]  # type: ignore[valid-type]


class NotedTransition(_Transition):
    """cancel, revoke, restore (black list), remove (red list): the reasons are required."""

    action: Literal[tuple(sorted(machine.NOTED_ACTIONS))]  # type: ignore[valid-type]
    note: Prose(4000) = Field(description="reasons")  # type: ignore[valid-type]


class ConsentTransition(_Transition):
    """record_consent: the next-level authority that consented is required (Order 44 art. 22)."""

    action: Literal["record_consent"]
    approving_authority: Line(200) = Field(  # type: ignore[valid-type]
        description="the next-level authority that consented (Order 44 art. 22)"
    )


# One body per kind of action, told apart by `action`: what each requires is in the OpenAPI.
TransitionRequest = Annotated[
    PlainTransition | NotedTransition | ConsentTransition, Field(discriminator="action")
]


class StatementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Prose(20000)  # type: ignore[valid-type]
    hearing_requested: bool = False


class StatementReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reply: Prose(20000)  # type: ignore[valid-type]


class StatementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    entry_id: uuid.UUID
    text: str
    hearing_requested: bool
    submitted_at: datetime
    submitted_by: str
    reply: str | None
    replied_at: datetime | None
    replied_by: str | None


class RepairDeclarations(BaseModel):
    """The conditions for early removal, as the enterprise declares them (evidence attached)."""

    model_config = ConfigDict(extra="forbid")

    penalty_fulfilled: bool = Field(description="has fulfilled the obligations of the penalty decision")
    harm_removed: bool = Field(description="has removed the harmful consequences and bad influence")
    no_further_heavy_penalty: bool = Field(description="has had no further heavy administrative penalty")


class RepairApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evidence: Prose(20000)  # type: ignore[valid-type]
    declarations: RepairDeclarations


class RepairAcceptance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["accept", "refuse"]
    reasons: Prose(4000) | None = Field(  # type: ignore[valid-type]
        default=None, description="required to refuse (materials incomplete or not in legal form)"
    )


class RepairDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    reasons: Prose(4000)  # type: ignore[valid-type]


class RepairApplicationOut(BaseModel):
    id: uuid.UUID
    entry_id: uuid.UUID
    uscc: str
    status: Literal["received", "accepted", "refused", "approved", "rejected", "closed", "revoked"]
    evidence: str
    declarations: dict[str, Any]
    filed_at: datetime
    filed_by: str
    acceptance_due_at: datetime = Field(description="accept or refuse by then (Order 44 art. 17 para 2)")
    acceptance_due_provisional: bool
    accepted_at: datetime | None
    accepted_by: str | None
    decision_due_at: datetime | None = Field(
        description="decide by then, 15 working days from acceptance (art. 17 para 3); none before acceptance"
    )
    decision_due_provisional: bool = Field(
        description="the working-day calendar does not cover the due date yet; it may move later"
    )
    overdue: bool = Field(description="the deadline of the step awaited (acceptance or decision) has passed")
    decided_at: datetime | None
    decided_by: str | None
    reasons: str | None


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    from_status: str | None
    to_status: str
    at: datetime
    actor: str
    note: str | None
    reference: str | None


class ListEntrySummary(BaseModel):
    id: uuid.UUID
    uscc: str
    list: ListName
    status: Literal["proposed", "notice_served", "decided", "listed", "removed", "cancelled"]
    reason: str
    legal_basis: str
    decision_no: str
    authority: str | None
    authority_level: AuthorityLevel | None
    authority_division: str | None
    consent_required: bool = Field(description="the next level's consent is needed before deciding (art. 22)")
    consent_by: str | None
    consent_ref: str | None
    consent_at: datetime | None
    consent_recorded_by: str | None
    restriction_ends_at: datetime | None
    decided_at: datetime
    proposed_at: datetime
    proposed_by: str
    notice_served_at: datetime | None
    defence_due_at: datetime | None = Field(
        description="end of the time to state one's case and ask for a hearing"
    )
    defence_due_provisional: bool
    listing_decided_at: datetime | None
    publication_due_at: datetime | None = Field(
        description="publish by then: 20 working days from the decision, 10 + 10 across provinces (art. 14)"
    )
    publication_due_provisional: bool
    push_due_at: datetime | None = Field(
        description="across provinces: push to the enterprise's bureau by then"
    )
    push_due_provisional: bool
    pushed_at: datetime | None
    publication_overdue: bool
    listed_at: datetime | None
    expires_at: datetime | None = Field(description="end of the publication term (black list)")
    repair_possible_from: datetime | None = Field(
        description="earliest filing of a credit-repair application (black list, while listed)"
    )
    removed_at: datetime | None
    removed_by: str | None
    exit_kind: str | None = Field(
        description="expired, repaired, revoked (black); removed, blacklisted, downgraded (red)"
    )
    exit_reason: str | None
    exit_ref: str | None
    stop_publication_due_at: datetime | None = Field(
        description="publication elsewhere stops and measures are lifted by then (arts. 18, 19); "
        "this registry's disclosure stops at removal"
    )
    stop_publication_due_provisional: bool = Field(
        description="the working-day calendar does not cover the due date yet; it may move later"
    )
    allowed_actions: Actions


class ListEntryOut(ListEntrySummary):
    statements: list[StatementOut]
    repair_applications: list[RepairApplicationOut]
    history: list[TransitionOut]


class PublicListEntry(BaseModel):
    """What the public disclosure shows of an active entry."""

    id: uuid.UUID
    uscc: str
    name: str
    region: Region
    list: ListName
    reason: str
    legal_basis: str
    decision_no: str
    authority: str | None
    decided_at: datetime
    listed_at: datetime
    expires_at: datetime | None


class ProvisionOut(BaseModel):
    value: int | str
    basis: str
    status: str


class ListRulesOut(BaseModel):
    version: str
    regulation: str
    defence_working_days: ProvisionOut
    publication_working_days: ProvisionOut
    cross_province_push_working_days: ProvisionOut
    cross_province_publication_working_days: ProvisionOut
    superior_consent: ProvisionOut
    publication_term_years: ProvisionOut
    repair_after_years: ProvisionOut
    repair_acceptance_working_days: ProvisionOut
    repair_decision_working_days: ProvisionOut
    stop_publication_working_days: ProvisionOut
    reapply_bar_years: ProvisionOut
    reapply_bar_enabled: bool = Field(description="a registry policy, not in Order 44; off unless enabled")
    red_grade_floor: ProvisionOut
