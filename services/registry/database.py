"""The registry's table metadata."""

from sqlalchemy import MetaData
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from services.common.db import NAMING_CONVENTION, RowObject


class RegistryModel(
    RowObject, SQLModel, registry=registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))
):
    """The base of the registry's table models: `class X(RegistryModel, table=True)`.

    A registry of its own, so its own MetaData: the two services' tables never share one.
    """


def load_models() -> MetaData:
    """Import every table module so the metadata is complete (for Alembic and checks)."""
    from services.registry.access import models as _access  # noqa: F401
    from services.registry.console import models as _console  # noqa: F401
    from services.registry.credit import models as _credit  # noqa: F401
    from services.registry.enterprises import models as _enterprises  # noqa: F401
    from services.registry.ledger import models as _ledger  # noqa: F401
    from services.registry.lists import models as _lists  # noqa: F401
    from services.registry.partners import models as _partners  # noqa: F401
    from services.registry.products import models as _products  # noqa: F401
    from services.registry.reports import models as _reports  # noqa: F401
    from services.registry.standards import models as _standards  # noqa: F401
    from services.registry.supervision import models as _supervision  # noqa: F401
    from services.registry.sweep import models as _sweep  # noqa: F401
    from services.registry.warnings import models as _warnings  # noqa: F401

    return RegistryModel.metadata
