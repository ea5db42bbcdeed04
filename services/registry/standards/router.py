"""Standards endpoints: declarations, versions and documents, public search, findings, spot checks."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from services.common.auth import OptionalPrincipalDep, Principal, ensure_own_code, require_roles
from services.common.db import SessionDep
from services.common.errors import NotFound, responses
from services.common.pagination import LimitQuery, Page, TimeAndIdCursor, encode_cursor, time_and_id_after
from services.common.ratelimit import rate_limited
from services.common.roles import Role
from services.common.text import QUERY_PATTERN
from services.registry.dependencies import NowDep, RulesDep, UsccPathDep
from services.registry.draws import commit_reveal
from services.registry.standards import corrections, service
from services.registry.standards.models import StandardDocument, StandardFlag, StandardSample, StandardVersion
from services.registry.standards.provisions import load_provisions
from services.registry.standards.reference import Reference
from services.registry.standards.schemas import (
    ComparisonOut,
    Disclosure,
    DocumentOut,
    FlagCreate,
    FlagOut,
    IndicatorOut,
    MandatoryValuesOut,
    SampleCandidates,
    SampleCreate,
    SampleOut,
    StandardCreate,
    StandardOut,
    StandardRevision,
    StandardSummary,
    StandardType,
    Status,
    Supervision,
    UncorrectedOut,
    VersionOut,
    VersionSummary,
    Withdrawal,
)

router = APIRouter(tags=["standards"])
# Public searches and downloads share the per-client allowance of the enterprise search.
SearchLimit = [Depends(rate_limited("search"))]
Regulator = Annotated[Principal, Depends(require_roles(Role.regulator))]
Declarant = Annotated[Principal, Depends(require_roles(Role.regulator, Role.enterprise))]
StandardId = Annotated[uuid.UUID, Path(description="id of the declaration")]
VersionNumber = Annotated[int, Path(ge=1, le=1_000_000, description="version number, 1 first")]

PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the PDF as published",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "X-Content-SHA256": {"description": "SHA-256 of the body, hex", "schema": {"type": "string"}},
            "Repr-Digest": {"description": "RFC 9530: sha-256 of the body", "schema": {"type": "string"}},
        },
    }
}


async def _reference(request: Request) -> Reference:
    return request.app.state.standards_reference


async def _limits(request: Request) -> service.Limits:
    settings = request.app.state.settings
    return service.Limits(
        max_document_bytes=settings.standards_max_document_bytes,
        sample_cooldown_days=settings.standards_sample_cooldown_days,
    )


ReferenceDep = Annotated[Reference, Depends(_reference)]
LimitsDep = Annotated[service.Limits, Depends(_limits)]


def document_view(
    declaration_id: uuid.UUID, version: int, document: StandardDocument | None
) -> DocumentOut | None:
    if document is None:
        return None
    return DocumentOut(
        sha256=document.sha256,
        size=document.size,
        filename=document.filename,
        media_type=document.media_type,
        url=f"/v1/standards/{declaration_id}/versions/{version}/document",
    )


def summary_view(current: service.Current) -> StandardSummary:
    d, v = current.declaration, current.version
    return StandardSummary(
        id=d.id,
        uscc=d.uscc,
        enterprise_name=current.enterprise_name,
        status=d.status,  # type: ignore[arg-type]
        supervision=d.supervision,  # type: ignore[arg-type]
        version=v.version,
        number=v.number,
        level=v.level,
        title=v.title,
        type=v.type,  # type: ignore[arg-type]
        products=v.products,
        category=v.category,
        implemented_on=v.implemented_on,
        below_recommended=v.below_recommended,
        published_at=d.published_at,
        updated_at=d.updated_at,
        withdrawn_at=d.withdrawn_at,
        document_sha256=current.document.sha256 if current.document else None,
    )


def flag_view(flag: StandardFlag, now: datetime) -> FlagOut:
    basis = load_provisions().corrections.get(flag.correction_basis or "")
    return FlagOut(
        id=flag.id,
        declaration_id=flag.declaration_id,
        version=flag.version,
        finding=flag.finding,  # type: ignore[arg-type]
        source=flag.source,  # type: ignore[arg-type]
        reason=flag.reason,
        indicators=flag.indicators,
        reference=flag.reference,
        reference_version=flag.reference_version,
        credit_event_id=flag.credit_event_id,
        flagged_at=flag.flagged_at,
        correction_due_on=flag.correction_due_on,
        correction_basis=basis.basis if basis else None,
        corrected_at=flag.corrected_at,
        correction_overdue=corrections.is_overdue(flag, now),
    )


def disclosure_view(version: StandardVersion) -> Disclosure:
    """What the declaration says under Order 83 arts. 14 para 3 and 15."""
    cited = load_provisions()
    published_on = corrections.local_day(version.published_at)
    return Disclosure(
        below_recommended=version.below_recommended,
        below_recommended_note=version.below_recommended_note,
        recommended_standard=version.recommended_standard,
        supply_starts_on=version.supply_starts_on,
        disclosed_late=version.supply_starts_on is not None and published_on > version.supply_starts_on,
        basis=f"{cited.below_recommended}；{cited.timing}",
    )


def _indicators(version: StandardVersion) -> list[IndicatorOut]:
    return [IndicatorOut.model_validate(i) for i in version.indicators]


async def detail_view(
    session: SessionDep, current: service.Current, reference: Reference, now: datetime
) -> StandardOut:
    d, v = current.declaration, current.version
    findings = service.compare(reference, v)
    return StandardOut(
        **summary_view(current).model_dump(),
        disclosure=disclosure_view(v),
        indicators=_indicators(v),
        document=document_view(d.id, v.version, current.document),
        revision_note=v.revision_note,
        withdrawal_reason=d.withdrawal_reason,
        flags=[flag_view(f, now) for f in await service.flags_of(session, d.id)],
        versions=[
            VersionSummary(
                version=version.version,
                number=version.number,
                title=version.title,
                published_at=version.published_at,
                revision_note=version.revision_note,
                document_sha256=sha,
            )
            for version, sha in await service.versions_of(session, d.id)
        ],
        comparison=ComparisonOut(
            reference_version=reference.version,
            weaker=[f.as_dict() for f in findings if f.problem != "missing"],
            missing=[f.as_dict() for f in findings if f.problem == "missing"],
        ),
    )


async def _owned_declaration(session: SessionDep, actor: Principal, standard_id: uuid.UUID) -> Any:
    declaration = await service.get_declaration(session, standard_id)
    ensure_own_code(actor, declaration.uscc)
    return declaration


@router.post(
    "/v1/enterprises/{uscc}/standards",
    status_code=status.HTTP_201_CREATED,
    response_model=StandardOut,
    responses=responses(401, 403, 404, 409, 413, 422),
)
async def publish_standard(
    actor: Declarant,
    uscc: UsccPathDep,
    body: StandardCreate,
    session: SessionDep,
    reference: ReferenceDep,
    limits: LimitsDep,
    now: NowDep,
    response: Response,
) -> StandardOut:
    """Declare a standard the enterprise follows (the enterprise itself, or a regulator on its behalf)."""
    ensure_own_code(actor, uscc)
    declaration_id = await service.publish(
        session, uscc=uscc, data=body, actor=actor, reference=reference, limits=limits, now=now
    )
    response.headers["Location"] = f"/v1/standards/{declaration_id}"
    return await detail_view(session, await service.current(session, declaration_id), reference, now)


@router.get(
    "/v1/standards",
    response_model=Page[StandardSummary],
    dependencies=SearchLimit,
    responses=responses(422, 429),
)
async def search_standards(
    session: SessionDep,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=QUERY_PATTERN,
            description="words in the number, title or products (all of them)",
        ),
    ] = None,
    uscc: Annotated[str | None, Query(pattern=r"^[0-9A-Z]{18}$", description="the enterprise's code")] = None,
    product: Annotated[
        str | None, Query(max_length=100, pattern=QUERY_PATTERN, description="a word of the products covered")
    ] = None,
    type: Annotated[StandardType | None, Query(description="product or service")] = None,
    status: Annotated[Status | None, Query(description="published or withdrawn; both by default")] = None,
    supervision: Annotated[Supervision | None, Query(description="the latest finding")] = None,
    region: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="division code prefix")] = None,
    cursor: TimeAndIdCursor = None,
    limit: LimitQuery = 20,
) -> Page[StandardSummary]:
    """Search declared standards, most recently declared first (public)."""
    rows = await service.search_declarations(
        session,
        q=q,
        uscc=uscc,
        product=product,
        type_=type,
        status=status,
        supervision=supervision,
        region=region,
        after=_after(cursor),
        limit=limit,
    )
    next_cursor = None
    if len(rows) == limit:
        last = rows[-1].declaration
        next_cursor = encode_cursor(last.published_at.isoformat(), str(last.id))
    return Page[StandardSummary](items=[summary_view(r) for r in rows], next_cursor=next_cursor)


def _after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    key = time_and_id_after(cursor)
    return (datetime.fromisoformat(key[0]), uuid.UUID(key[1])) if key else None


@router.get(
    "/v1/standards/uncorrected",
    response_model=Page[UncorrectedOut],
    dependencies=SearchLimit,
    responses=responses(422, 429),
)
async def uncorrected_declarations(
    session: SessionDep, now: NowDep, cursor: TimeAndIdCursor = None, limit: LimitQuery = 20
) -> Page[UncorrectedOut]:
    """Declarations not corrected by the day a regulator ordered: published (Order 83 arts. 30–33; public)."""
    flags = await corrections.uncorrected(session, now=now, after=time_and_id_after(cursor), limit=limit)
    declarations = {
        str(c.declaration.id): c
        for c in await service.currents(session, list(dict.fromkeys(str(f.declaration_id) for f in flags)))
    }
    cited = load_provisions().corrections
    items = [
        UncorrectedOut(
            declaration=summary_view(declarations[str(f.declaration_id)]),
            flag=flag_view(f, now),
            consequence=cited[f.correction_basis].after_deadline if f.correction_basis in cited else "",
        )
        for f in flags
    ]
    last = flags[-1] if len(flags) == limit else None
    next_cursor = encode_cursor(last.flagged_at.isoformat(), str(last.id)) if last else None
    return Page[UncorrectedOut](items=items, next_cursor=next_cursor)


@router.get("/v1/standards/mandatory-values", response_model=MandatoryValuesOut)
async def mandatory_values(reference: ReferenceDep) -> MandatoryValuesOut:
    """The mandatory national values declarations are compared against, with their sources (public)."""
    return MandatoryValuesOut.model_validate(reference.describe())


@router.post(
    "/v1/standards/samples",
    status_code=status.HTTP_201_CREATED,
    response_model=SampleOut,
    responses=responses(401, 403, 422),
)
async def commit_sample(
    actor: Regulator,
    body: SampleCreate,
    session: SessionDep,
    limits: LimitsDep,
    now: NowDep,
    response: Response,
) -> SampleOut:
    """Freeze the candidates for a spot check (双随机) and commit to a secret seed (regulator)."""
    sample = await service.commit_sample(
        session, data=body, actor=actor, cooldown_days=limits.sample_cooldown_days, now=now
    )
    response.headers["Location"] = f"/v1/standards/samples/{sample.id}"
    return await sample_view(session, sample)


@router.post(
    "/v1/standards/samples/{sample_id}/draw",
    response_model=SampleOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def reveal_sample(
    actor: Regulator, sample_id: uuid.UUID, session: SessionDep, now: NowDep
) -> SampleOut:
    """Reveal the committed seed and draw from the frozen candidates, once (regulator)."""
    sample = await service.reveal_sample(session, sample_id=sample_id, actor=actor, now=now)
    return await sample_view(session, sample)


def _revealed(sample: StandardSample) -> str | None:
    return sample.seed if sample.status == "drawn" else None


async def sample_view(session: SessionDep, sample: StandardSample) -> SampleOut:
    return SampleOut(
        id=sample.id,
        method=sample.method,
        status=sample.status,  # type: ignore[arg-type]
        seed_sha256=sample.seed_sha256,
        seed=_revealed(sample),
        n=sample.size,
        filters=sample.filters,
        cooldown_days=sample.cooldown_days,
        candidate_count=sample.candidate_count,
        candidates_sha256=sample.candidates_sha256,
        chosen=[summary_view(c) for c in await service.currents(session, sample.chosen)],
        note=sample.note,
        committed_at=sample.committed_at,
        drawn_at=sample.drawn_at,
    )


@router.get(
    "/v1/standards/samples/{sample_id}", response_model=SampleOut, responses=responses(401, 403, 404, 422)
)
async def read_sample(actor: Regulator, sample_id: uuid.UUID, session: SessionDep) -> SampleOut:
    """A recorded draw: seed hash (the seed once drawn), filters, candidate count, picks (regulator)."""
    return await sample_view(session, await service.get_sample(session, sample_id))


@router.get(
    "/v1/standards/samples/{sample_id}/candidates",
    response_model=SampleCandidates,
    responses=responses(401, 403, 404, 422),
)
async def sample_candidates(
    actor: OptionalPrincipalDep, sample_id: uuid.UUID, session: SessionDep
) -> SampleCandidates:
    """Everything needed to re-run a draw: seed hash and seed, size, every candidate (public once drawn)."""
    sample = await service.get_sample(session, sample_id, with_candidates=True)
    commit_reveal.ensure_may_read_candidates(actor, revealed=sample.status == "drawn")
    return SampleCandidates(
        sample_id=sample.id,
        method=sample.method,
        status=sample.status,  # type: ignore[arg-type]
        seed_sha256=sample.seed_sha256,
        seed=_revealed(sample),
        n=sample.size,
        candidates=[uuid.UUID(c) for c in sample.candidates],
        chosen=[uuid.UUID(c) for c in sample.chosen],
    )


# `:uuid`: `GET /v1/standards/samples` is not a declaration id; it matches no GET route, so 405.
@router.get("/v1/standards/{standard_id:uuid}", response_model=StandardOut, responses=responses(404, 422))
async def read_standard(
    standard_id: StandardId, session: SessionDep, reference: ReferenceDep, now: NowDep
) -> StandardOut:
    """One declaration: current version, versions, findings, comparison with mandatory values (public)."""
    return await detail_view(session, await service.current(session, standard_id), reference, now)


@router.get(
    "/v1/standards/{standard_id}/versions/{version}",
    response_model=VersionOut,
    responses=responses(404, 422),
)
async def read_version(standard_id: StandardId, version: VersionNumber, session: SessionDep) -> VersionOut:
    """One version of a declaration as it was published (public)."""
    row, document = await service.version_of(session, standard_id, version)
    return VersionOut(
        declaration_id=row.declaration_id,
        uscc=row.uscc,
        version=row.version,
        number=row.number,
        level=row.level,
        title=row.title,
        type=row.type,  # type: ignore[arg-type]
        products=row.products,
        category=row.category,
        indicators=_indicators(row),
        implemented_on=row.implemented_on,
        disclosure=disclosure_view(row),
        document=document_view(row.declaration_id, row.version, document),
        revision_note=row.revision_note,
        published_at=row.published_at,
    )


async def _pdf(session: SessionDep, document: StandardDocument | None) -> Response:
    if document is None:
        raise NotFound("this version publishes no document (the enterprise keeps the text unpublished)")
    content = await service.document_content(session, document.id)
    digest = base64.b64encode(bytes.fromhex(document.sha256)).decode()
    return Response(
        content,
        media_type=document.media_type,
        headers={
            "X-Content-SHA256": document.sha256,
            "Repr-Digest": f"sha-256=:{digest}:",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(document.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/v1/standards/{standard_id}/document",
    response_class=Response,
    dependencies=SearchLimit,
    responses={**PDF_RESPONSE, **responses(404, 422, 429)},
)
async def download_document(standard_id: StandardId, session: SessionDep) -> Response:
    """The current version's text (PDF), with its SHA-256 in X-Content-SHA256 and Repr-Digest (public)."""
    current = await service.current(session, standard_id)
    return await _pdf(session, current.document)


@router.get(
    "/v1/standards/{standard_id}/versions/{version}/document",
    response_class=Response,
    dependencies=SearchLimit,
    responses={**PDF_RESPONSE, **responses(404, 422, 429)},
)
async def download_version_document(
    standard_id: StandardId, version: VersionNumber, session: SessionDep
) -> Response:
    """The text (PDF) of one version, with its SHA-256 in X-Content-SHA256 and Repr-Digest (public)."""
    _, document = await service.version_of(session, standard_id, version)
    return await _pdf(session, document)


@router.post(
    "/v1/standards/{standard_id}/revisions",
    status_code=status.HTTP_201_CREATED,
    response_model=StandardOut,
    responses=responses(401, 403, 404, 409, 413, 422),
)
async def revise_standard(
    actor: Declarant,
    standard_id: StandardId,
    body: StandardRevision,
    session: SessionDep,
    reference: ReferenceDep,
    limits: LimitsDep,
    now: NowDep,
    response: Response,
) -> StandardOut:
    """Publish a revision as the next version; earlier ones stay readable (the enterprise, or a regulator)."""
    declaration = await _owned_declaration(session, actor, standard_id)
    await service.revise(
        session, declaration=declaration, data=body, actor=actor, reference=reference, limits=limits, now=now
    )
    current = await service.current(session, standard_id)
    response.headers["Location"] = f"/v1/standards/{standard_id}/versions/{current.version.version}"
    return await detail_view(session, current, reference, now)


@router.post(
    "/v1/standards/{standard_id}/withdrawal",
    response_model=StandardOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def withdraw_standard(
    actor: Declarant,
    standard_id: StandardId,
    body: Withdrawal,
    session: SessionDep,
    reference: ReferenceDep,
    now: NowDep,
) -> StandardOut:
    """Withdraw a declaration; it stays visible as withdrawn, with date and reason (enterprise, regulator)."""
    declaration = await _owned_declaration(session, actor, standard_id)
    await service.withdraw(session, declaration=declaration, reason=body.reason, actor=actor, now=now)
    return await detail_view(session, await service.current(session, standard_id), reference, now)


@router.post(
    "/v1/standards/{standard_id}/flags",
    status_code=status.HTTP_201_CREATED,
    response_model=FlagOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def flag_standard(
    actor: Regulator,
    standard_id: StandardId,
    body: FlagCreate,
    session: SessionDep,
    rules: RulesDep,
    now: NowDep,
) -> FlagOut:
    """Record a finding: under review, non-compliant (perhaps with a credit event), compliant (regulator)."""
    flag = await service.flag(
        session, declaration_id=standard_id, data=body, actor=actor, rules=rules, now=now
    )
    return flag_view(flag, now)
