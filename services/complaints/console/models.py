"""The console's session table in the complaints database."""

from services.common.console.sessions import session_table
from services.complaints.database import ComplaintsModel

console_sessions = session_table(ComplaintsModel.metadata)
