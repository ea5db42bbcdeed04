"""Async engine, session factory and the one-unit-of-work-per-request session dependency."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import BigInteger, DateTime, Integer, event, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import declared_attr, deferred
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# 64-bit keys on PostgreSQL; SQLite autoincrements only a column declared INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps on both databases (SQLite stores them naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a timezone-aware column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class RowObject:
    """Mixed into a service's SQLModel base: a row object equals only itself, hashes by identity and
    shows no values, as a plain ORM object (Pydantic would compare and print every field, and leave
    it unhashable). A keyword that names no column is refused, as SQLAlchemy's constructor does
    (SQLModel would drop it silently)."""

    def __init__(self, **values: Any) -> None:
        unknown = values.keys() - type(self).model_fields.keys()  # type: ignore[attr-defined]
        if unknown:
            raise TypeError(f"{type(self).__name__} has no column {', '.join(sorted(unknown))}")
        super().__init__(**values)

    __eq__ = object.__eq__
    __hash__ = object.__hash__
    __repr__ = object.__repr__
    __str__ = object.__str__


def deferred_columns(*names: str) -> Any:
    """A table model's `__mapper_args__` loading these columns only when read (a PDF, a long list):
    `select(Model)` leaves them out. Written `__mapper_args__ = deferred_columns("pdf")`."""

    @declared_attr.directive
    def __mapper_args__(cls: Any) -> dict[str, Any]:
        return {"properties": {name: deferred(cls.__table__.c[name]) for name in names}}

    return __mapper_args__


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        # One connection: SQLite has one writer, and serialising here avoids "database is locked".
        engine = create_async_engine(
            url,
            echo=echo,
            hide_parameters=True,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            connect_args={"timeout": 30},
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # No pre-ping: on asyncpg it costs BEGIN, a ping and ROLLBACK per checkout, three round trips on
    # the hot path; a dead connection surfaces as an error the pool discards (recycled after 30 min).
    # hide_parameters: a database error logged with its traceback must not carry what a reporter wrote.
    return create_async_engine(
        url, echo=echo, hide_parameters=True, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions without BEGIN/COMMIT round trips, for requests that only read."""
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False, autoflush=False
    )


_READ_METHODS = frozenset({"GET", "HEAD"})
_WRITES_ON_READ = "__qcr_writes_on_read__"

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def writes_on_read(endpoint: Endpoint) -> Endpoint:
    """Mark a GET endpoint that writes (a partner's lookup is logged): it gets a real transaction,
    committed with the answer or rolled back whole, rather than the autocommit read session."""
    setattr(endpoint, _WRITES_ON_READ, True)
    return endpoint


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commit when the endpoint returns, roll back when it raises; before the response is sent.

    GET and HEAD never write, so they read in autocommit mode and skip the transaction round trips.
    """
    endpoint = request.scope.get("endpoint")
    if request.method in _READ_METHODS and not getattr(endpoint, _WRITES_ON_READ, False):
        async with request.app.state.read_sessions() as reader:
            yield reader
        return
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]


def insert_ignoring_conflicts(
    session: AsyncSession | AsyncConnection, table: Any, index_elements: list[str]
) -> Any:
    """`INSERT … ON CONFLICT (…) DO NOTHING` for the session's (or connection's) dialect."""
    dialect = session.bind.dialect if isinstance(session, AsyncSession) else session.dialect
    if dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=index_elements)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=index_elements)


async def lock_keys(executor: AsyncSession | AsyncConnection, namespace: str, keys: Sequence[str]) -> None:
    """Serialise writers of registry-wide unique keys until the transaction ends.

    A unique index on a column other than the distribution key cannot exist on a table distributed
    by uscc (Citus); a writer that must keep such a key unique (a company prefix, a GTIN) takes this
    lock on it, then checks, then writes. Advisory locks on PostgreSQL (on Citus, taken on the
    coordinator, which every write passes through); SQLite has one writer, so nothing to do.
    """
    dialect = executor.bind.dialect if isinstance(executor, AsyncSession) else executor.dialect
    if dialect.name != "postgresql" or not keys:
        return
    await executor.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(CAST(:keys AS text[])) AS k"),
        {"keys": sorted(f"{namespace}:{k}" for k in set(keys))},
    )


async def by_id(
    session: AsyncSession, model: Any, id_: Any, *, uscc: str | None = None, for_update: bool = False
) -> Any:
    """The row of a per-enterprise table with this id, or None; locked by (uscc, id) if asked.

    Keys are (uscc, id) so a table can be distributed by uscc: a lock names the enterprise too, so
    it is taken on one shard. Without the code at hand it is read first (the code never changes).
    """
    statement = select(model).where(model.id == id_)
    if uscc is not None:
        statement = statement.where(model.uscc == uscc)
    if not for_update:
        return (await session.execute(statement)).scalar_one_or_none()
    if uscc is None:
        uscc = (await session.execute(select(model.uscc).where(model.id == id_))).scalar_one_or_none()
        if uscc is None:
            return None
        statement = statement.where(model.uscc == uscc)
    locked = statement.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(locked)).scalar_one_or_none()


async def one_connection_per_node(session: AsyncSession) -> None:
    """On Citus, run this transaction's multi-shard queries over one connection per node.

    A transaction that reads many shards in parallel and then writes a reference table (a draw's
    candidates, then the draw) is refused otherwise: the write must see what every parallel
    connection saw. On plain PostgreSQL `citus.*` is only a placeholder setting; SQLite: nothing.
    Call it first in the transaction.
    """
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"))
