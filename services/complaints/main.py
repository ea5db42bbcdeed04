"""ASGI entry point for process managers (`uvicorn services.complaints.main:app`)."""

from services.complaints.app import create_app

app = create_app()
