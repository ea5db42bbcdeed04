"""Alembic environment of the complaints database."""

from services.common.migrate import run_env
from services.complaints.database import load_models
from services.complaints.settings import ComplaintsSettings

run_env(load_models(), lambda: ComplaintsSettings().database_url)
