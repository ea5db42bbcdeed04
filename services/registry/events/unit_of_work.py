"""The unit of work: a session that collects domain events and runs their subscribers at commit.

A feature calls `record(session, event)`; nothing else happens then. When the unit of work commits,
`publish` takes the events in the order they were recorded and, for each, runs the subscribers of
every stage in the fixed order of `STAGES` — grading, then the red-list floor, then the risk class,
then history, then
audit, then the feed — all in the same transaction, before COMMIT. An event a subscriber records
(a regrade announces `GradeChanged`; the floor announces `EntryRemoved`) is queued behind the ones
already waiting, so every consequence is audited and announced too. If any subscriber fails, the
commit fails and nothing is written.

Sessions made by `session_factory` are such units of work: `await session.commit()` and
`async with session.begin(): …` both publish before they commit. A commit by any other path with
events still waiting is refused, so an event can never be dropped silently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, AsyncSessionTransaction, async_sessionmaker
from sqlalchemy.orm import Session

from services.registry.events.domain import DomainEvent

STAGES = ("grading", "red_list_floor", "risk_class", "history", "audit", "feed")
Row = TypeVar("Row")
Handler = Callable[[AsyncSession, Any], Awaitable[None]]
_PENDING = "qcr.pending_events"
_LOCKS = "qcr.row_locks"
_HELD = "qcr.held_rows"


class UnpublishedEvents(RuntimeError):
    """A transaction tried to commit around the unit of work with events still waiting."""


class Bus:
    """Which handlers run for which event type, per stage."""

    def __init__(self) -> None:
        self._handlers: dict[str, dict[type[DomainEvent], list[Handler]]] = {
            stage: defaultdict(list) for stage in STAGES
        }

    def subscribe(self, stage: str, event_type: type[DomainEvent], handler: Handler) -> None:
        if stage not in self._handlers:
            raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
        self._handlers[stage][event_type].append(handler)

    def handlers(self, event: DomainEvent) -> list[Handler]:
        """Handlers for this event in stage order; a handler of a base class sees its subclasses."""
        found: list[Handler] = []
        for stage in STAGES:
            for event_type in type(event).__mro__:
                found.extend(self._handlers[stage].get(event_type, ()))  # type: ignore[arg-type]
        return found


def pending(session: AsyncSession | Session) -> list[DomainEvent]:
    return session.info.setdefault(_PENDING, [])  # type: ignore[no-any-return]


def row_locks(session: AsyncSession | Session) -> set[str]:
    """Enterprise rows this transaction has locked (so a subscriber need not lock them again)."""
    return session.info.setdefault(_LOCKS, set())  # type: ignore[no-any-return]


def held(session: AsyncSession | Session) -> dict[tuple[type, Any], Any]:
    """Rows this transaction will use again, by (model, primary key), until it ends.

    The session's identity map holds a loaded row only weakly (one nobody refers to any more is
    read again by the next `session.get`) and a pending row not at all (`session.get` does not
    find a row added but not yet flushed). A row kept here is found by its model's `get` below.
    """
    return session.info.setdefault(_HELD, {})  # type: ignore[no-any-return]


def hold(session: AsyncSession | Session, row: Any, key: Any) -> Any:
    held(session)[(type(row), key)] = row
    return row


async def get(session: AsyncSession, model: type[Row], key: Any) -> Row | None:
    """`session.get`, finding a row this transaction holds (loaded or pending) without a read."""
    found = held(session).get((model, key))
    if found is not None and found in session:
        return found  # type: ignore[no-any-return]
    return await session.get(model, key)


def record(session: AsyncSession, event: DomainEvent) -> None:
    """Announce what happened; the subscribers run when the unit of work commits."""
    if not isinstance(session, UnitOfWork):
        raise TypeError("domain events need a unit-of-work session (events.unit_of_work.session_factory)")
    pending(session).append(event)


async def publish(session: AsyncSession) -> int:
    """Run every waiting event through its subscribers, in order; returns how many ran."""
    bus: Bus = session.info["bus"]
    queue = pending(session)
    done = 0
    while queue:
        event = queue.pop(0)
        for handler in bus.handlers(event):
            await handler(session, event)
        done += 1
    await session.flush()
    return done


class _Transaction(AsyncSessionTransaction):
    """`async with session.begin():` — publishes before the commit on a clean exit."""

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        if type_ is None:
            try:
                await publish(self.session)
            except BaseException as exc:
                await super().__aexit__(type(exc), exc, exc.__traceback__)
                raise
        await super().__aexit__(type_, value, traceback)

    async def commit(self) -> None:
        await publish(self.session)
        await super().commit()


class UnitOfWork(AsyncSession):
    """An AsyncSession whose commit first publishes the events recorded on it."""

    def begin(self) -> AsyncSessionTransaction:
        return _Transaction(self)

    async def commit(self) -> None:
        await publish(self)
        await super().commit()

    async def rollback(self) -> None:
        pending(self).clear()
        await super().rollback()

    async def close(self) -> None:
        pending(self).clear()
        await super().close()


@sa_event.listens_for(Session, "before_commit")
def _refuse_unpublished(session: Session) -> None:
    if session.info.get(_PENDING):
        raise UnpublishedEvents(
            f"{len(session.info[_PENDING])} domain event(s) were recorded but not published; "
            "commit with `await session.commit()`"
        )


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_rollback")
def _locks_released(session: Session) -> None:
    session.info.pop(_LOCKS, None)
    session.info.pop(_HELD, None)


def session_factory(engine: AsyncEngine, bus: Bus) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        engine, class_=UnitOfWork, expire_on_commit=False, autoflush=False, info={"bus": bus}
    )


def bind_unit_of_work(bind: Any, bus: Bus) -> UnitOfWork:
    """A unit of work over an existing connection (the bulk import's)."""
    return UnitOfWork(bind=bind, expire_on_commit=False, autoflush=False, info={"bus": bus})
