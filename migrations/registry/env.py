"""Alembic environment of the registry database."""

from services.common.migrate import run_env
from services.registry.database import load_models
from services.registry.settings import RegistrySettings

run_env(load_models(), lambda: RegistrySettings().database_url)
