"""Entry point for WSGI servers: `gunicorn wsgi:app`."""

from blogengine import create_app

app = create_app()
