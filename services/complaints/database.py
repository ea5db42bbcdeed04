"""The complaints service's table metadata."""

from sqlalchemy import MetaData
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from services.common.db import NAMING_CONVENTION, RowObject


class ComplaintsModel(
    RowObject, SQLModel, registry=registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))
):
    """The base of the complaints service's table models: `class X(ComplaintsModel, table=True)`.

    A registry of its own, so its own MetaData: the two services' tables never share one.
    """


def load_models() -> MetaData:
    """Import every table module so the metadata is complete (for Alembic and checks)."""
    from services.complaints.cases import models as _cases  # noqa: F401
    from services.complaints.console import models as _console  # noqa: F401
    from services.complaints.notifications import models as _notifications  # noqa: F401
    from services.complaints.outbox import models as _outbox  # noqa: F401
    from services.complaints.rewards import models as _rewards  # noqa: F401

    return ComplaintsModel.metadata
