"""The consoles' session table in the registry database."""

from services.common.console.sessions import session_table
from services.registry.database import RegistryModel

console_sessions = session_table(RegistryModel.metadata)
