"""Product rules: company prefixes (kept by regulators), items (published by their holder), lookup.

Legal basis, 商品条码管理办法 (../shared/legal/商品条码管理办法(2026-02-28).md):
- 第十九条 "商品上使用商品条码的，应当使用对该商品承担质量责任的系统成员的商品条码。": an item
  is published by the enterprise holding the prefix its GTIN falls under, and a barcode traces to it.
- 第二十四条 "厂商识别代码有效期为2年。……逾期未办理续展手续的，注销其厂商识别代码和系统成员资格。"
- 第二十八条 "任何单位和个人不得擅自使用已经注销的厂商识别代码和相应条码。"
- 第十三条 "系统成员应当按照有关国家标准编制商品代码，向所在地的地方商品条码工作技术机构通报编码信息。"
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import gtin as gtin_rules
from services.common.auth import Principal
from services.common.db import lock_keys
from services.common.errors import Conflict, NotFound, Unprocessable
from services.common.workdays import CHINA
from services.registry.enterprises import service as enterprises
from services.registry.enterprises.models import Enterprise
from services.registry.events import unit_of_work as events
from services.registry.events.domain import ProductRecorded
from services.registry.products.models import CompanyPrefix, Product
from services.registry.products.schemas import PrefixCreate, PrefixUpdate, ProductCreate

# 第二十四条 "厂商识别代码有效期为2年。"
VALIDITY_YEARS = 2
ART_13 = "商品条码管理办法 第十三条"
ART_19 = "商品条码管理办法 第十九条"
ART_24 = "商品条码管理办法 第二十四条"
ART_28 = "商品条码管理办法 第二十八条"


def today(now: datetime) -> date:
    return now.astimezone(CHINA).date()


def plus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def effective_status(prefix: CompanyPrefix, on: date) -> str:
    """cancelled as recorded; expired once valid_until has passed without a renewal (Art. 24)."""
    if prefix.status == "cancelled":
        return "cancelled"
    return "expired" if prefix.valid_until < on else "valid"


def invalid_gtin(field: str, where: str, exc: gtin_rules.GtinError) -> Unprocessable:
    return Unprocessable(
        f"{field}: {exc.message}",
        errors=[{"field": field, "in": where, "rule": exc.rule, "message": exc.message}],
    )


def parse_gtin(raw: str, *, field: str = "gtin", where: str = "path") -> str:
    try:
        return gtin_rules.validate(raw)
    except gtin_rules.GtinError as exc:
        raise invalid_gtin(field, where, exc) from exc


# ---- prefixes ------------------------------------------------------------------------------------


async def register_prefix(
    session: AsyncSession, *, data: PrefixCreate, actor: Principal, now: datetime
) -> CompanyPrefix:
    await enterprises.get(session, data.uscc)
    await lock_keys(session, "company_prefix", [data.prefix])  # one holder per prefix (models.py)
    if await session.scalar(select(CompanyPrefix.uscc).where(CompanyPrefix.prefix == data.prefix)):
        raise Conflict(f"prefix {data.prefix} is already registered", prefix=data.prefix)
    valid_until = data.valid_until or plus_years(data.registered_on, VALIDITY_YEARS)
    if valid_until <= data.registered_on:
        raise Unprocessable(
            "valid_until: must be after registered_on",
            errors=[{"field": "valid_until", "in": "body", "message": "must be after registered_on"}],
        )
    prefix = CompanyPrefix(
        uscc=data.uscc,
        prefix=data.prefix,
        registered_on=data.registered_on,
        valid_until=valid_until,
        status="valid",
        created_at=now,
        created_by=actor.actor,
        updated_at=now,
    )
    session.add(prefix)
    await session.flush()
    events.record(
        session,
        ProductRecorded(
            uscc=data.uscc,
            actor=actor.actor,
            at=now,
            action="company_prefix.registered",
            subject=data.prefix,
            details={"prefix": data.prefix, "valid_until": valid_until.isoformat()},
        ),
    )
    return prefix


async def get_prefix(session: AsyncSession, prefix: str, *, for_update: bool = False) -> CompanyPrefix:
    statement = select(CompanyPrefix).where(CompanyPrefix.prefix == prefix)
    found = (await session.execute(statement)).scalar_one_or_none()
    if found is not None and for_update:  # locked by its key (uscc, prefix): one shard on Citus
        locked = statement.where(CompanyPrefix.uscc == found.uscc).with_for_update()
        found = (await session.execute(locked.execution_options(populate_existing=True))).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no company prefix {prefix}")
    return found


async def update_prefix(
    session: AsyncSession, *, prefix: str, data: PrefixUpdate, actor: Principal, now: datetime
) -> CompanyPrefix:
    found = await get_prefix(session, prefix, for_update=True)
    if found.status == "cancelled":
        # 第二十七条 "已被注销厂商识别代码的……需要使用商品条码时，应当重新申请注册厂商识别代码。"
        raise Conflict(f"prefix {prefix} is cancelled; a new registration is needed (Art. 27)")
    if data.action == "renew":
        if data.valid_until is None or data.valid_until <= found.valid_until:
            # Well-formed, but not later than what is on file: the prefix's state decides, 409.
            raise Conflict(f"valid_until: a renewal needs a date after the current end {found.valid_until}")
        found.valid_until = data.valid_until
    else:
        found.status = "cancelled"
        found.cancelled_on = today(now)
        found.cancel_reason = data.reason
    found.updated_at = now
    await session.flush()
    events.record(
        session,
        ProductRecorded(
            uscc=found.uscc,
            actor=actor.actor,
            at=now,
            action=f"company_prefix.{data.action}",
            subject=prefix,
            details={
                "valid_until": found.valid_until.isoformat(),
                "status": found.status,
                "reason": data.reason,
            },
        ),
    )
    return found


async def list_prefixes(
    session: AsyncSession,
    *,
    uscc: str | None,
    status: str | None,
    now: datetime,
    after: str | None,
    limit: int,
) -> Sequence[tuple[CompanyPrefix, str]]:
    statement = (
        select(CompanyPrefix, Enterprise.name)
        .join(Enterprise, Enterprise.uscc == CompanyPrefix.uscc)
        .order_by(CompanyPrefix.prefix)
        .limit(limit)
    )
    on = today(now)
    if uscc:
        statement = statement.where(CompanyPrefix.uscc == uscc)
    if status == "cancelled":
        statement = statement.where(CompanyPrefix.status == "cancelled")
    elif status == "expired":
        statement = statement.where(CompanyPrefix.status != "cancelled", CompanyPrefix.valid_until < on)
    elif status == "valid":
        statement = statement.where(CompanyPrefix.status != "cancelled", CompanyPrefix.valid_until >= on)
    if after:
        statement = statement.where(CompanyPrefix.prefix > after)
    return [(row[0], row[1]) for row in (await session.execute(statement)).all()]


async def holder_of(session: AsyncSession, code: str) -> CompanyPrefix | None:
    """The prefix a GTIN falls under: the longest registered prefix it starts with."""
    candidates = gtin_rules.candidate_prefixes(code)
    statement = (
        select(CompanyPrefix)
        .where(CompanyPrefix.prefix.in_(candidates))
        .order_by(func.length(CompanyPrefix.prefix).desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


# ---- items ---------------------------------------------------------------------------------------


async def publish(
    session: AsyncSession, *, uscc: str, data: ProductCreate, actor: Principal, now: datetime
) -> Product:
    code = data.gtin
    special = gtin_rules.special_range(code)
    if special is not None:
        message = f"{code} is a {special.en} ({special.first}–{special.last}), not a trade item to publish"
        raise Unprocessable(
            f"gtin: {message}",
            errors=[{"field": "gtin", "in": "body", "rule": special.kind, "message": message}],
        )
    holder = await holder_of(session, code)
    if holder is not None and holder.uscc != uscc:
        raise Conflict(
            f"gtin {code} falls under prefix {holder.prefix}, registered to another enterprise; "
            f"an item carries the barcode of the member responsible for it ({ART_19})",
            prefix=holder.prefix,
        )
    if holder is not None and holder.status == "cancelled":
        raise Conflict(
            f"prefix {holder.prefix} is cancelled and may not be used ({ART_28})", prefix=holder.prefix
        )
    key = gtin_rules.as_gtin14(code)
    await lock_keys(session, "product", [key])  # one item per GTIN (models.py)
    if await session.scalar(select(Product.uscc).where(Product.gtin14 == key)):
        raise Conflict(f"an item with GTIN {code} is already published", gtin=code)
    product = Product(
        uscc=uscc,
        gtin14=key,
        gtin=code,
        name=data.name,
        brand=data.brand,
        category=data.category,
        standards=list(data.standards),
        source="regulator" if str(actor.role) == "regulator" else "enterprise",
        created_at=now,
        created_by=actor.actor,
        updated_at=now,
    )
    session.add(product)
    await session.flush()
    events.record(
        session,
        ProductRecorded(
            uscc=uscc,
            actor=actor.actor,
            at=now,
            action="product.published",
            subject=code,
            details={"gtin": code, "name": data.name, "brand": data.brand},
        ),
    )
    return product


async def item(session: AsyncSession, code: str) -> Product | None:
    statement = select(Product).where(Product.gtin14 == gtin_rules.as_gtin14(code))
    return (await session.execute(statement)).scalar_one_or_none()


async def items_of(session: AsyncSession, *, uscc: str, after: str | None, limit: int) -> Sequence[Product]:
    statement = select(Product).where(Product.uscc == uscc).order_by(Product.gtin14).limit(limit)
    if after:
        statement = statement.where(Product.gtin14 > after)
    return (await session.execute(statement)).scalars().all()
