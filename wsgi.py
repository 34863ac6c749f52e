"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from lep import create_app

app = create_app()
