"""TT Portal: the Django project package (settings, urls, ASGI routing, the Celery app)."""

from ttportal.celery import app as celery_app

__all__ = ["celery_app"]
