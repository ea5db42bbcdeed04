"""From a barcode to the enterprise responsible for it; the batch for partners; the public lists.

商品条码管理办法 第十九条: "商品上使用商品条码的，应当使用对该商品承担质量责任的系统成员的商品条码。"
So a GTIN names its item when one is published, and otherwise the holder of the longest registered
prefix it starts with: the member that answers for the product.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import gtin as gtin_rules
from services.common.errors import NotFound
from services.common.pagination import keyset_after
from services.registry.answers.lookup import credit_answer
from services.registry.credit.models import CreditEvent
from services.registry.credit.rules import RuleSet
from services.registry.enterprises.models import Enterprise
from services.registry.lists import service as lists
from services.registry.products import service
from services.registry.products.models import CompanyPrefix, Product
from services.registry.products.schemas import (
    DeclaredStandard,
    PrefixOut,
    ProductBatchItem,
    ProductEvent,
    ProductHolder,
    ProductLookup,
    ProductOut,
    ProductWarning,
    SpecialRange,
)
from services.registry.standards import service as standards
from services.registry.standards.models import StandardDeclaration, StandardVersion

DECLARATIONS_SHOWN = 20


def product_view(product: Product) -> ProductOut:
    return ProductOut(
        gtin=product.gtin,
        uscc=product.uscc,
        name=product.name,
        brand=product.brand,
        category=product.category,
        standards=list(product.standards),
        source=product.source,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


def prefix_view(prefix: CompanyPrefix, now: datetime, name: str | None = None) -> PrefixOut:
    return PrefixOut(
        prefix=prefix.prefix,
        uscc=prefix.uscc,
        enterprise_name=name,
        registered_on=prefix.registered_on,
        valid_until=prefix.valid_until,
        status=service.effective_status(prefix, service.today(now)),  # type: ignore[arg-type]
        cancelled_on=prefix.cancelled_on,
    )


def warnings_for(
    prefix: CompanyPrefix | None, product: Product | None, now: datetime
) -> list[ProductWarning]:
    found: list[ProductWarning] = []
    if prefix is not None:
        status = service.effective_status(prefix, service.today(now))
        if status == "cancelled":
            found.append(
                ProductWarning(
                    code="prefix_cancelled",
                    message=f"prefix {prefix.prefix} was cancelled; its barcodes may not be used",
                    legal_basis=service.ART_28,
                )
            )
        elif status == "expired":
            found.append(
                ProductWarning(
                    code="prefix_expired",
                    message=f"prefix {prefix.prefix} was valid until {prefix.valid_until.isoformat()} "
                    "and has not been renewed",
                    legal_basis=service.ART_24,
                )
            )
    elif product is not None:
        found.append(
            ProductWarning(
                code="prefix_unknown",
                message="no registered company prefix covers this GTIN",
                legal_basis=service.ART_19,
            )
        )
    if product is None:
        found.append(
            ProductWarning(
                code="item_not_notified",
                message="the prefix holder has not notified an item with this GTIN",
                legal_basis=service.ART_13,
            )
        )
    return found


async def _declarations(session: AsyncSession, product: Product | None, uscc: str) -> list[DeclaredStandard]:
    if product is None:
        return []
    if product.standards:
        statement = (
            select(
                StandardDeclaration.id,
                StandardVersion.number,
                StandardVersion.title,
                StandardDeclaration.status,
            )
            .join(
                StandardVersion,
                (StandardVersion.uscc == StandardDeclaration.uscc)
                & (StandardVersion.declaration_id == StandardDeclaration.id)
                & (StandardVersion.version == StandardDeclaration.current_version),
            )
            .where(StandardDeclaration.uscc == uscc, StandardVersion.number.in_(list(product.standards)))
            .limit(DECLARATIONS_SHOWN)
        )
        rows = (await session.execute(statement)).all()
        return [DeclaredStandard(id=str(r[0]), number=r[1], title=r[2], status=r[3]) for r in rows]
    current = await standards.search_declarations(
        session,
        q=None,
        uscc=uscc,
        product=product.name,
        type_=None,
        status=None,
        supervision=None,
        region=None,
        after=None,
        limit=DECLARATIONS_SHOWN,
    )
    return [
        DeclaredStandard(
            id=str(c.declaration.id),
            number=c.version.number,
            title=c.version.title,
            status=c.declaration.status,
        )
        for c in current
    ]


def special_answer(code: str, special: gtin_rules.Range, now: datetime) -> ProductLookup:
    return ProductLookup(
        gtin=code,
        result="restricted",
        uscc=None,
        item=None,
        prefix=None,
        enterprise=None,
        declarations=[],
        warnings=[],
        restricted=SpecialRange(
            kind=special.kind,
            first=special.first,
            last=special.last,
            label={"zh": special.zh, "en": special.en},
        ),
        as_of=now,
    )


async def lookup(session: AsyncSession, *, code: str, rules: RuleSet, now: datetime) -> ProductLookup:
    """The item, or the prefix holder; NotFound when neither is known."""
    special = gtin_rules.special_range(code)
    if special is not None:
        return special_answer(code, special, now)
    product = await service.item(session, code)
    prefix = await service.holder_of(session, code)
    uscc = product.uscc if product is not None else prefix.uscc if prefix is not None else None
    if uscc is None:
        raise NotFound(f"no item and no registered company prefix for GTIN {code}", gtin=code)
    credit = await credit_answer(session, uscc=uscc, rules=rules, now=now)
    return ProductLookup(
        gtin=code,
        result="item" if product is not None else "prefix_holder",
        uscc=uscc,
        item=product_view(product) if product is not None else None,
        prefix=prefix_view(prefix, now, credit.name) if prefix is not None else None,
        enterprise=ProductHolder(
            uscc=credit.uscc,
            name=credit.name,
            status=credit.status,
            grade=credit.grade,
            grade_label=credit.grade_label,
            lists=credit.lists,
        ),
        declarations=await _declarations(session, product, uscc),
        warnings=warnings_for(prefix, product, now),
        as_of=now,
    )


async def batch(session: AsyncSession, *, raw_codes: Sequence[str], now: datetime) -> list[ProductBatchItem]:
    """Each GTIN on its own: item, prefix_holder, restricted, not_found or invalid."""
    answers: list[ProductBatchItem] = []
    valid: dict[int, str] = {}
    for i, raw in enumerate(raw_codes):
        try:
            code = gtin_rules.validate(raw)
        except gtin_rules.GtinError as exc:
            answers.append(ProductBatchItem(gtin=raw, result="invalid", error=exc.message))
            continue
        answers.append(ProductBatchItem(gtin=code, result="not_found"))
        if gtin_rules.special_range(code) is not None:
            answers[i].result = "restricted"
        else:
            valid[i] = code
    keys = {gtin_rules.as_gtin14(c) for c in valid.values()}
    products = {
        p.gtin14: p
        for p in (await session.execute(select(Product).where(Product.gtin14.in_(keys)))).scalars()
    }
    candidates = {p for c in valid.values() for p in gtin_rules.candidate_prefixes(c)}
    prefixes = {
        p.prefix: p
        for p in (
            await session.execute(select(CompanyPrefix).where(CompanyPrefix.prefix.in_(candidates)))
        ).scalars()
    }
    for i, code in valid.items():
        product = products.get(gtin_rules.as_gtin14(code))
        prefix = next(
            (prefixes[p] for p in reversed(gtin_rules.candidate_prefixes(code)) if p in prefixes), None
        )
        uscc = product.uscc if product else prefix.uscc if prefix else None
        if uscc is None:
            continue
        answers[i] = ProductBatchItem(
            gtin=code,
            result="item" if product else "prefix_holder",
            uscc=uscc,
            product=product.name if product else None,
            warnings=[w.code for w in warnings_for(prefix, product, now)],
        )
    codes = sorted({a.uscc for a in answers if a.uscc})
    enterprises = {
        e.uscc: e
        for e in (await session.execute(select(Enterprise).where(Enterprise.uscc.in_(codes)))).scalars()
    }
    entries = await lists.active_entries(session, codes=codes, now=now)
    for answer in answers:
        if answer.uscc and answer.uscc in enterprises:
            answer.name = enterprises[answer.uscc].name
            answer.grade = enterprises[answer.uscc].grade
            answer.lists = sorted({e.kind for e in entries.get(answer.uscc, [])})
    return answers


async def product_events(
    session: AsyncSession, *, kind: str, after: tuple[str, str] | None, limit: int
) -> list[ProductEvent]:
    """Active events of one kind that name a product, newest first (failed products, recalls).

    产品质量监督抽查管理暂行办法 第四十四条: "组织监督抽查的市场监督管理部门应当汇总分析、依法公开监督抽查
    结果" — the spot-check results recorded here are the ones the authority has made public.
    """
    statement = (
        select(CreditEvent, Enterprise.name, Product.name)
        .join(Enterprise, Enterprise.uscc == CreditEvent.uscc)
        .outerjoin(
            Product, (Product.uscc == CreditEvent.uscc) & (Product.gtin14 == _gtin14(CreditEvent.gtin))
        )
        .where(CreditEvent.kind == kind, CreditEvent.revoked_at.is_(None))
        .where((CreditEvent.gtin.is_not(None)) | (CreditEvent.product_name.is_not(None)))
        .order_by(CreditEvent.occurred_at.desc(), CreditEvent.id.desc())
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(keyset_after(CreditEvent.occurred_at, CreditEvent.id, after))
    rows = (await session.execute(statement)).all()
    return [
        ProductEvent(
            event_id=str(event.id),
            gtin=event.gtin,
            product=event.product_name or product_name,
            batch=event.batch,
            uscc=event.uscc,
            enterprise_name=enterprise_name,
            severity=event.severity,
            result=event.summary,
            test_report_no=event.test_report_no,
            authority=event.authority,
            source_ref=event.source_ref,
            occurred_at=event.occurred_at,
        )
        for event, enterprise_name, product_name in rows
    ]


def _gtin14(column):  # type: ignore[no-untyped-def]
    """The 14-digit form of a stored GTIN, in SQL: the last 14 characters of 14 zeros and the GTIN."""
    return func.substr(literal("00000000000000") + column, func.length(column) + 1, 14)
