"""Standards rules: publish, revise, withdraw, search, compare with mandatory values, flag, sample."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.db import by_id, one_connection_per_node
from services.common.errors import Conflict, NotFound, Unprocessable
from services.common.pagination import keyset_after
from services.registry.credit import service as credit
from services.registry.credit.rules import RuleSet
from services.registry.credit.schemas import CreditEventCreate
from services.registry.draws import commit_reveal
from services.registry.enterprises import service as enterprises
from services.registry.enterprises.models import Enterprise
from services.registry.events import unit_of_work as events
from services.registry.events.domain import DeclarationFlagged, DeclarationPublished, SampleDrawn
from services.registry.standards import corrections, documents, numbers, search
from services.registry.standards.models import (
    StandardDeclaration,
    StandardDocument,
    StandardFlag,
    StandardSample,
    StandardSampled,
    StandardVersion,
)
from services.registry.standards.provisions import load_provisions
from services.registry.standards.reference import Declared, Finding, Reference
from services.registry.standards.schemas import (
    FlagCreate,
    NonCompliantFlag,
    SampleCreate,
    StandardCreate,
    StandardRevision,
)

RECHECK_ACTOR = "system:standards-recheck"
NONCOMPLIANT_KIND = "standard_noncompliant"


@dataclass(frozen=True)
class Limits:
    max_document_bytes: int
    sample_cooldown_days: int


@dataclass(frozen=True)
class Current:
    """A declaration with its current version, its document (if any) and the enterprise's name."""

    declaration: StandardDeclaration
    version: StandardVersion
    document: StandardDocument | None
    enterprise_name: str


def _invalid(field: str, message: str, **extra: Any) -> Unprocessable:
    return Unprocessable(
        f"{field}: {message}", errors=[{"field": field, "in": "body", "message": message, **extra}]
    )


def declared(indicators: Sequence[dict[str, Any]]) -> list[Declared]:
    return [
        Declared(
            name=i["name"],
            comparator=i["comparator"],
            value=Decimal(str(i["value"])),
            unit=i.get("unit") or "",
            value_max=None if i.get("value_max") is None else Decimal(str(i["value_max"])),
        )
        for i in indicators
    ]


def compare(reference: Reference, version: StandardVersion) -> list[Finding]:
    """Weaker declared indicators; for an enterprise's own standard, omitted mandatory ones too."""
    return reference.compare(
        declared(version.indicators),
        category=version.category,
        products=version.products,
        complete=version.level == "enterprise",
    )


def _check_content(data: StandardCreate, reference: Reference) -> tuple[str, list[Finding]]:
    """The standard's level and the mandatory indicators it omits (a finding, recorded on publication);
    or a 422 naming what is wrong (weaker indicators first of all)."""
    level = numbers.parse(data.number).level
    if data.category is not None and reference.category(data.category) is None:
        known = ", ".join(c.name for c in reference.categories)
        raise _invalid(
            "category", f"{data.category!r} is not a category of the mandatory values; known: {known}"
        )
    cited = load_provisions()
    if level == "enterprise" and not data.indicators:
        raise _invalid(
            "indicators",
            "an enterprise standard must disclose its functional and performance indicators "
            f"({cited.indicators})",
        )
    if data.below_recommended and not data.below_recommended_note:
        raise _invalid(
            "below_recommended_note",
            "say which indicators are fewer or lower than the recommended standard "
            f"({cited.below_recommended})",
        )
    indicators = [i.model_dump(mode="json") for i in data.indicators]
    findings = reference.compare(
        declared(indicators),
        category=data.category,
        products=data.products,
        complete=level == "enterprise",
    )
    weaker = [f for f in findings if f.problem != "missing"]
    if weaker:
        raise Unprocessable(
            "; ".join(f.message() for f in weaker),
            errors=[{"in": "body", **f.as_dict()} for f in weaker],
            reference_version=reference.version,
        )
    if level == "enterprise":
        for index, indicator in enumerate(data.indicators):
            if not indicator.test_method:
                raise _invalid(
                    f"indicators.{index}.test_method",
                    f"{indicator.name}: an enterprise standard discloses the test method of each indicator "
                    f"({cited.indicators})",
                )
    return level, findings


async def _flag_omissions(
    session: AsyncSession,
    declaration: StandardDeclaration,
    missing: list[Finding],
    *,
    reference: Reference,
    actor: str,
    now: datetime,
) -> None:
    """An enterprise standard that leaves out a mandatory indicator goes under review at once."""
    if not missing:
        return
    await _add_flag(
        session,
        declaration=declaration,
        finding="under_review",
        source="comparison",
        reason=f"mandatory values {reference.version}: "
        + "; ".join(f.message() for f in missing)
        + f" ({load_provisions().mandatory})",
        indicators=[f.as_dict() for f in missing],
        reference=None,
        reference_version=reference.version,
        credit_event_id=None,
        actor=actor,
        now=now,
    )


async def _store_document(
    session: AsyncSession, *, uscc: str, data: StandardCreate, actor: Principal, limits: Limits, now: datetime
) -> StandardDocument | None:
    if data.document is None:
        return None
    upload = documents.decode(
        data.document.filename, data.document.content_base64, max_bytes=limits.max_document_bytes
    )
    existing = (
        await session.execute(
            select(StandardDocument).where(
                StandardDocument.uscc == uscc,
                StandardDocument.sha256 == upload.sha256,
                StandardDocument.filename == upload.filename,  # the same text sent under a new name keeps it
            )
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    document = StandardDocument(
        id=uuid.uuid4(),
        uscc=uscc,
        sha256=upload.sha256,
        size=len(upload.content),
        filename=upload.filename,
        media_type=documents.PDF_MEDIA_TYPE,
        content=upload.content,
        uploaded_at=now,
        uploaded_by=actor.actor,
    )
    session.add(document)
    await session.flush()
    return document


async def _number_taken(
    session: AsyncSession, *, uscc: str, number: str, other_than: uuid.UUID | None
) -> uuid.UUID | None:
    """A published declaration of this enterprise whose current version has this number."""
    statement = (
        select(StandardDeclaration.id)
        .join(
            StandardVersion,
            and_(
                StandardVersion.uscc == StandardDeclaration.uscc,
                StandardVersion.declaration_id == StandardDeclaration.id,
                StandardVersion.version == StandardDeclaration.current_version,
            ),
        )
        .where(
            StandardDeclaration.uscc == uscc,
            StandardDeclaration.status == "published",
            StandardVersion.number == number,
        )
    )
    if other_than is not None:
        statement = statement.where(StandardDeclaration.id != other_than)
    return (await session.execute(statement.limit(1))).scalar_one_or_none()


def _version(
    declaration: StandardDeclaration,
    *,
    number: int,
    data: StandardCreate,
    level: str,
    document: StandardDocument | None,
    note: str | None,
    actor: Principal,
    now: datetime,
) -> StandardVersion:
    return StandardVersion(
        declaration_id=declaration.id,
        uscc=declaration.uscc,
        version=number,
        number=data.number,
        level=level,
        title=data.title,
        type=data.type,
        products=list(data.products),
        category=data.category,
        indicators=[i.model_dump(mode="json", exclude_none=True) for i in data.indicators],
        implemented_on=data.implemented_on,
        below_recommended=data.below_recommended,
        below_recommended_note=data.below_recommended_note,
        recommended_standard=data.recommended_standard,
        supply_starts_on=data.supply_starts_on,
        document_id=document.id if document else None,
        revision_note=note,
        published_at=now,
        published_by=actor.actor,
        search_text=search.search_text(
            number=data.number, title=data.title, products=data.products, category=data.category
        ),
        products_text=search.products_text(products=data.products, category=data.category),
    )


def _ledger_data(version: StandardVersion, document: StandardDocument | None) -> dict[str, Any]:
    return {
        "version": version.version,
        "number": version.number,
        "title": version.title,
        "document_sha256": document.sha256 if document else None,
    }


async def _active_enterprise(session: AsyncSession, uscc: str) -> Enterprise:
    # The row lock serialises declarations of one enterprise, so the number check below holds.
    enterprise = await enterprises.get(session, uscc, for_update=True)
    if enterprise.status != "active":
        raise Conflict(f"enterprise {uscc} is {enterprise.status}; it declares no standards")
    return enterprise


async def publish(
    session: AsyncSession,
    *,
    uscc: str,
    data: StandardCreate,
    actor: Principal,
    reference: Reference,
    limits: Limits,
    now: datetime,
) -> uuid.UUID:
    level, missing = _check_content(data, reference)
    await _active_enterprise(session, uscc)
    taken = await _number_taken(session, uscc=uscc, number=data.number, other_than=None)
    if taken is not None:
        raise Conflict(
            f"{data.number} is already declared by this enterprise; revise that declaration instead",
            declaration_id=str(taken),
        )
    document = await _store_document(session, uscc=uscc, data=data, actor=actor, limits=limits, now=now)
    declaration = StandardDeclaration(
        id=uuid.uuid4(),
        uscc=uscc,
        division=uscc[2:8],
        status="published",
        current_version=1,
        supervision="none",
        published_at=now,
        published_by=actor.actor,
        updated_at=now,
    )
    session.add(declaration)
    await session.flush()
    version = _version(
        declaration, number=1, data=data, level=level, document=document, note=None, actor=actor, now=now
    )
    session.add(version)
    await session.flush()
    events.record(
        session,
        DeclarationPublished(
            uscc=uscc,
            actor=actor.actor,
            at=now,
            declaration_id=str(declaration.id),
            action="published",
            details=_ledger_data(version, document),
        ),
    )
    await _flag_omissions(session, declaration, missing, reference=reference, actor=actor.actor, now=now)
    return declaration.id


async def get_declaration(
    session: AsyncSession, declaration_id: uuid.UUID, *, for_update: bool = False
) -> StandardDeclaration:
    declaration = await by_id(session, StandardDeclaration, declaration_id, for_update=for_update)
    if declaration is None:
        raise NotFound(f"no standard declaration {declaration_id}")
    return declaration


async def revise(
    session: AsyncSession,
    *,
    declaration: StandardDeclaration,
    data: StandardRevision,
    actor: Principal,
    reference: Reference,
    limits: Limits,
    now: datetime,
) -> uuid.UUID:
    level, missing = _check_content(data, reference)
    await _active_enterprise(session, declaration.uscc)
    declaration = await get_declaration(session, declaration.id, for_update=True)
    if declaration.status != "published":
        raise Conflict(
            "a withdrawn declaration cannot be revised; publish a new one", status=declaration.status
        )
    if data.base_version is not None and data.base_version != declaration.current_version:
        raise Conflict(
            f"version {data.base_version} is not the current one; it is {declaration.current_version}",
            current_version=declaration.current_version,
        )
    taken = await _number_taken(session, uscc=declaration.uscc, number=data.number, other_than=declaration.id)
    if taken is not None:
        raise Conflict(f"{data.number} is already declared by this enterprise", declaration_id=str(taken))
    document = await _store_document(
        session, uscc=declaration.uscc, data=data, actor=actor, limits=limits, now=now
    )
    if document is None:
        current = await _version_row(session, declaration.id, declaration.current_version)
        document = await _document(session, current)
    number = declaration.current_version + 1
    version = _version(
        declaration,
        number=number,
        data=data,
        level=level,
        document=document,
        note=data.revision_note,
        actor=actor,
        now=now,
    )
    session.add(version)
    declaration.current_version = number
    declaration.updated_at = now
    await session.flush()
    events.record(
        session,
        DeclarationPublished(
            uscc=declaration.uscc,
            actor=actor.actor,
            at=now,
            declaration_id=str(declaration.id),
            action="revised",
            details={**_ledger_data(version, document), "note": data.revision_note},
        ),
    )
    await _flag_omissions(session, declaration, missing, reference=reference, actor=actor.actor, now=now)
    return declaration.id


async def withdraw(
    session: AsyncSession, *, declaration: StandardDeclaration, reason: str, actor: Principal, now: datetime
) -> uuid.UUID:
    await enterprises.get(session, declaration.uscc, for_update=True)  # enterprise row first
    declaration = await get_declaration(session, declaration.id, for_update=True)
    if declaration.status == "withdrawn":
        assert declaration.withdrawn_at is not None
        raise Conflict(
            f"the declaration was already withdrawn at {declaration.withdrawn_at.isoformat()}",
            status=declaration.status,
        )
    declaration.status = "withdrawn"
    declaration.withdrawn_at = now
    declaration.withdrawn_by = actor.actor
    declaration.withdrawal_reason = reason
    declaration.updated_at = now
    await session.flush()
    events.record(
        session,
        DeclarationPublished(
            uscc=declaration.uscc,
            actor=actor.actor,
            at=now,
            declaration_id=str(declaration.id),
            action="withdrawn",
            details={"reason": reason, "version": declaration.current_version},
        ),
    )
    return declaration.id


async def _version_row(session: AsyncSession, declaration_id: uuid.UUID, number: int) -> StandardVersion:
    version = (
        await session.execute(
            select(StandardVersion).where(
                StandardVersion.declaration_id == declaration_id, StandardVersion.version == number
            )
        )
    ).scalar_one_or_none()
    if version is None:
        raise NotFound(f"declaration {declaration_id} has no version {number}")
    return version


def _current_statement() -> Any:
    return (
        select(StandardDeclaration, StandardVersion, StandardDocument, Enterprise.name)
        .join(
            StandardVersion,
            and_(
                StandardVersion.uscc == StandardDeclaration.uscc,
                StandardVersion.declaration_id == StandardDeclaration.id,
                StandardVersion.version == StandardDeclaration.current_version,
            ),
        )
        .join(Enterprise, Enterprise.uscc == StandardDeclaration.uscc)
        .outerjoin(
            StandardDocument,
            and_(
                StandardDocument.uscc == StandardVersion.uscc,
                StandardDocument.id == StandardVersion.document_id,
            ),
        )
    )


async def current(session: AsyncSession, declaration_id: uuid.UUID) -> Current:
    row = (
        await session.execute(_current_statement().where(StandardDeclaration.id == declaration_id))
    ).one_or_none()
    if row is None:
        raise NotFound(f"no standard declaration {declaration_id}")
    return Current(*row)


async def version_of(
    session: AsyncSession, declaration_id: uuid.UUID, number: int
) -> tuple[StandardVersion, StandardDocument | None]:
    version = await _version_row(session, declaration_id, number)
    return version, await _document(session, version)


async def _document(session: AsyncSession, version: StandardVersion) -> StandardDocument | None:
    if version.document_id is None:
        return None
    return await by_id(session, StandardDocument, version.document_id, uscc=version.uscc)


async def versions_of(
    session: AsyncSession, declaration_id: uuid.UUID
) -> Sequence[tuple[StandardVersion, str | None]]:
    statement = (
        select(StandardVersion, StandardDocument.sha256)
        .outerjoin(
            StandardDocument,
            and_(
                StandardDocument.uscc == StandardVersion.uscc,
                StandardDocument.id == StandardVersion.document_id,
            ),
        )
        .where(StandardVersion.declaration_id == declaration_id)
        .order_by(StandardVersion.version)
    )
    return [(v, sha) for v, sha in (await session.execute(statement)).all()]


async def flags_of(session: AsyncSession, declaration_id: uuid.UUID) -> Sequence[StandardFlag]:
    statement = (
        select(StandardFlag)
        .where(StandardFlag.declaration_id == declaration_id)
        .order_by(StandardFlag.number)
    )
    return (await session.execute(statement)).scalars().all()


async def document_content(session: AsyncSession, document_id: uuid.UUID) -> bytes:
    statement = select(StandardDocument.content).where(StandardDocument.id == document_id)
    return (await session.execute(statement)).scalar_one()


def _filters(
    dialect: str,
    *,
    q: str | None,
    uscc: str | None,
    product: str | None,
    type_: str | None,
    status: str | None,
    supervision: str | None,
    region: str | None,
) -> list[Any]:
    conditions: list[Any] = []
    query_terms, product_terms = search.terms(q), search.terms(product)
    if query_terms or product_terms:
        conditions.append(search.condition(dialect, query_terms=query_terms, product_terms=product_terms))
    if uscc:
        conditions.append(StandardDeclaration.uscc == uscc)
    if region:
        conditions.append(StandardDeclaration.division.startswith(region, autoescape=True))
    if type_:
        conditions.append(StandardVersion.type == type_)
    if status:
        conditions.append(StandardDeclaration.status == status)
    if supervision:
        conditions.append(StandardDeclaration.supervision == supervision)
    return conditions


async def search_declarations(
    session: AsyncSession,
    *,
    q: str | None,
    uscc: str | None,
    product: str | None,
    type_: str | None,
    status: str | None,
    supervision: str | None,
    region: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Current]:
    dialect = session.get_bind().dialect.name
    statement = (
        _current_statement()
        .where(
            *_filters(
                dialect,
                q=q,
                uscc=uscc,
                product=product,
                type_=type_,
                status=status,
                supervision=supervision,
                region=region,
            )
        )
        # Paged on a key that never changes (first publication, id): a revision or a withdrawal
        # between two pages would otherwise move a declaration past the reader's cursor.
        .order_by(StandardDeclaration.published_at.desc(), StandardDeclaration.id.desc())
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(
            keyset_after(StandardDeclaration.published_at, StandardDeclaration.id, after)
        )
    return [Current(*row) for row in (await session.execute(statement)).all()]


async def _add_flag(
    session: AsyncSession,
    *,
    declaration: StandardDeclaration,
    finding: str,
    source: str,
    reason: str,
    indicators: list[dict[str, Any]],
    reference: str | None,
    reference_version: str | None,
    credit_event_id: uuid.UUID | None,
    actor: str,
    now: datetime,
    correction_due_on: date | None = None,
    correction_basis: str | None = None,
) -> StandardFlag:
    if finding == "compliant":
        await corrections.close_open_orders(session, declaration.id, actor=actor, now=now)
    last = (
        await session.execute(
            select(func.max(StandardFlag.number)).where(StandardFlag.declaration_id == declaration.id)
        )
    ).scalar_one()
    flag = StandardFlag(
        id=uuid.uuid4(),
        declaration_id=declaration.id,
        number=(last or 0) + 1,
        uscc=declaration.uscc,
        version=declaration.current_version,
        finding=finding,
        source=source,
        reason=reason,
        indicators=indicators,
        reference=reference,
        reference_version=reference_version,
        credit_event_id=credit_event_id,
        flagged_at=now,
        flagged_by=actor,
        correction_due_on=correction_due_on,
        correction_basis=correction_basis,
    )
    session.add(flag)
    declaration.supervision = finding
    await session.flush()
    events.record(
        session,
        DeclarationFlagged(
            uscc=declaration.uscc,
            actor=actor,
            at=now,
            declaration_id=str(declaration.id),
            details={
                "declaration_id": str(declaration.id),
                "flag_id": str(flag.id),
                "version": flag.version,
                "finding": finding,
                "source": source,
                "reason": reason,
                "indicators": indicators,
                "reference": reference,
                "reference_version": reference_version,
                "credit_event_id": str(credit_event_id) if credit_event_id else None,
                "correction_due_on": correction_due_on.isoformat() if correction_due_on else None,
                "correction_basis": correction_basis,
            },
        ),
    )
    return flag


async def flag(
    session: AsyncSession,
    *,
    declaration_id: uuid.UUID,
    data: FlagCreate,
    actor: Principal,
    rules: RuleSet,
    now: datetime,
) -> StandardFlag:
    """Record a regulator's finding; a non-compliant one may record a credit event (the core's path)."""
    # Enterprise row first, then the declaration: the order publish and revise lock in.
    uscc = (await get_declaration(session, declaration_id)).uscc
    await enterprises.get(session, uscc, for_update=True)
    declaration = await get_declaration(session, declaration_id, for_update=True)
    noncompliant = data if isinstance(data, NonCompliantFlag) else None
    due_on = noncompliant.correction_due_on if noncompliant else None
    if due_on is not None and due_on < corrections.local_day(now):
        raise _invalid("correction_due_on", "is in the past")
    event_id = None
    if noncompliant and noncompliant.credit_event is not None:
        event = noncompliant.credit_event
        recorded = await credit.record_event(
            session,
            uscc=declaration.uscc,
            data=CreditEventCreate(
                kind=NONCOMPLIANT_KIND,
                severity=event.severity,
                authority=event.authority,
                source_ref=event.source_ref,
                occurred_at=event.occurred_at,
                expires_at=event.expires_at,
                summary=event.summary or str(data.reason)[:2000],
            ),
            actor=actor,
            rules=rules,
            now=now,
        )
        event_id = recorded.event.id
    return await _add_flag(
        session,
        declaration=declaration,
        finding=data.finding,
        source="regulator",
        reason=data.reason,
        indicators=[{"indicator": name} for name in data.indicators],
        reference=data.reference,
        reference_version=None,
        credit_event_id=event_id,
        actor=actor.actor,
        now=now,
        correction_due_on=due_on,
        correction_basis=noncompliant.correction_basis if noncompliant else None,
    )


async def recheck_batch(
    session: AsyncSession, *, reference: Reference, now: datetime, after: uuid.UUID | None, batch: int = 200
) -> tuple[int, uuid.UUID | None]:
    """Flag published declarations (ids after `after`) whose current version is now weaker.

    Returns how many were flagged and the last id looked at (None when there are no more). Each
    (declaration, version, reference version) is flagged once: a re-run finds nothing new, and a
    regulator's later finding on it stands.
    """
    statement = (
        select(StandardDeclaration, StandardVersion)
        .join(
            StandardVersion,
            and_(
                StandardVersion.uscc == StandardDeclaration.uscc,
                StandardVersion.declaration_id == StandardDeclaration.id,
                StandardVersion.version == StandardDeclaration.current_version,
            ),
        )
        .where(StandardDeclaration.status == "published")
        .order_by(StandardDeclaration.id)
        .limit(batch)
    )
    if after is not None:
        statement = statement.where(StandardDeclaration.id > after)
    rows = (await session.execute(statement)).all()
    flagged = 0
    for found, version in rows:
        findings = compare(reference, version)
        if not findings:
            continue
        # Enterprise row first, then the declaration: the order every write takes them in.
        await enterprises.get(session, found.uscc, for_update=True)
        declaration = await get_declaration(session, found.id, for_update=True)
        if (
            declaration.status != "published"
            or declaration.current_version != version.version
            or await _already_compared(session, declaration, reference.version)
        ):
            continue  # withdrawn or revised meanwhile (a revision is compared when published), or done
        await _add_flag(
            session,
            declaration=declaration,
            finding="under_review",
            source="comparison",
            reason=f"mandatory values {reference.version}: " + "; ".join(f.message() for f in findings),
            indicators=[f.as_dict() for f in findings],
            reference=None,
            reference_version=reference.version,
            credit_event_id=None,
            actor=RECHECK_ACTOR,
            now=now,
        )
        flagged += 1
    return flagged, rows[-1][0].id if rows else None


async def _already_compared(
    session: AsyncSession, declaration: StandardDeclaration, reference_version: str
) -> bool:
    statement = select(
        exists().where(
            StandardFlag.declaration_id == declaration.id,
            StandardFlag.version == declaration.current_version,
            StandardFlag.source == "comparison",
            StandardFlag.reference_version == reference_version,
        )
    )
    return bool((await session.execute(statement)).scalar())


async def _candidates(
    session: AsyncSession, *, data: SampleCreate, cooldown_days: int, now: datetime
) -> list[str]:
    dialect = session.get_bind().dialect.name
    recently = select(StandardSampled.declaration_id).where(
        StandardSampled.uscc == StandardDeclaration.uscc,
        StandardSampled.declaration_id == StandardDeclaration.id,
        StandardSampled.sampled_at > now - timedelta(days=cooldown_days),
    )
    statement = (
        select(StandardDeclaration.id)
        .join(
            StandardVersion,
            and_(
                StandardVersion.uscc == StandardDeclaration.uscc,
                StandardVersion.declaration_id == StandardDeclaration.id,
                StandardVersion.version == StandardDeclaration.current_version,
            ),
        )
        .where(
            *_filters(
                dialect,
                q=None,
                uscc=None,
                product=data.product,
                type_=data.type,
                status="published",
                supervision=None,
                region=data.region,
            ),
            ~recently.exists(),
        )
        .order_by(StandardDeclaration.id)
    )
    return [str(i) for i in (await session.execute(statement)).scalars().all()]


async def commit_sample(
    session: AsyncSession, *, data: SampleCreate, actor: Principal, cooldown_days: int, now: datetime
) -> StandardSample:
    """Freeze the candidates and commit to a server-generated seed; only its SHA-256 is shown."""
    await one_connection_per_node(session)  # many shards read, then a reference table written
    candidates = await _candidates(session, data=data, cooldown_days=cooldown_days, now=now)
    seed = commit_reveal.new_seed()
    sample = StandardSample(
        id=uuid.uuid4(),
        method=commit_reveal.METHOD,
        status="committed",
        seed=seed,
        seed_sha256=commit_reveal.seed_digest(seed),
        size=data.n,
        filters={"region": data.region, "product": data.product, "type": data.type, "status": "published"},
        cooldown_days=cooldown_days,
        candidate_count=len(candidates),
        candidates_sha256=commit_reveal.candidates_digest(candidates),
        candidates=candidates,
        chosen=[],
        note=data.note,
        committed_at=now,
        committed_by=actor.actor,
    )
    session.add(sample)
    await session.flush()
    return sample


async def reveal_sample(
    session: AsyncSession, *, sample_id: uuid.UUID, actor: Principal, now: datetime
) -> StandardSample:
    """Reveal the committed seed and draw from the frozen candidates (once)."""
    await one_connection_per_node(session)
    sample = (
        await session.execute(select(StandardSample).where(StandardSample.id == sample_id).with_for_update())
    ).scalar_one_or_none()
    if sample is None:
        raise NotFound(f"no spot-check draw {sample_id}")
    if sample.status != "committed":
        raise Conflict(f"spot-check draw {sample_id} was already drawn")
    await session.refresh(sample, ["candidates"])
    chosen = commit_reveal.draw(sample.seed, sample.candidates, sample.size)
    sample.chosen = chosen
    sample.status = "drawn"
    sample.drawn_at = now
    sample.drawn_by = actor.actor
    await session.flush()
    if chosen:
        owners = dict(
            (
                await session.execute(
                    select(StandardDeclaration.id, StandardDeclaration.uscc).where(
                        StandardDeclaration.id.in_([uuid.UUID(c) for c in chosen])
                    )
                )
            ).all()
        )
        session.add_all(
            StandardSampled(
                sample_id=sample.id, declaration_id=uuid.UUID(c), uscc=owners[uuid.UUID(c)], sampled_at=now
            )
            for c in chosen
        )
        await session.flush()
    events.record(
        session,
        SampleDrawn(
            actor=actor.actor,
            at=now,
            sample_id=str(sample.id),
            details={
                "method": sample.method,
                "seed": sample.seed,
                "seed_sha256": sample.seed_sha256,
                "size": sample.size,
                "filters": sample.filters,
                "candidate_count": sample.candidate_count,
                "candidates_sha256": sample.candidates_sha256,
                "chosen": chosen,
            },
        ),
    )
    return sample


async def get_sample(
    session: AsyncSession, sample_id: uuid.UUID, *, with_candidates: bool = False
) -> StandardSample:
    sample = await session.get(StandardSample, sample_id)
    if sample is None:
        raise NotFound(f"no spot-check draw {sample_id}")
    if with_candidates:
        await session.refresh(sample, ["candidates"])
    return sample


async def currents(session: AsyncSession, ids: Sequence[str]) -> list[Current]:
    """Declarations by id, in the order given."""
    if not ids:
        return []
    rows = (
        await session.execute(
            _current_statement().where(StandardDeclaration.id.in_([uuid.UUID(i) for i in ids]))
        )
    ).all()
    by_id = {str(row[0].id): Current(*row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


async def recent_samples(session: AsyncSession, *, limit: int) -> Sequence[StandardSample]:
    """The latest spot-check draws, newest first (the regulator's console lists them)."""
    statement = select(StandardSample).order_by(StandardSample.committed_at.desc()).limit(limit)
    return (await session.execute(statement)).scalars().all()
