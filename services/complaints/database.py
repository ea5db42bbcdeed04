"""The complaints service's table metadata."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from services.common.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def load_models() -> MetaData:
    """Import every table module so the metadata is complete (for Alembic and checks)."""
    from services.complaints.cases import models as _cases  # noqa: F401
    from services.complaints.console import models as _console  # noqa: F401
    from services.complaints.notifications import models as _notifications  # noqa: F401
    from services.complaints.outbox import models as _outbox  # noqa: F401
    from services.complaints.rewards import models as _rewards  # noqa: F401

    return Base.metadata
