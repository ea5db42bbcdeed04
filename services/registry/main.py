"""ASGI entry point for process managers (`uvicorn services.registry.main:app`)."""

from services.registry.app import create_app

app = create_app()
