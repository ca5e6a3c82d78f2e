"""The Celery app: configured from Django settings (``CELERY_*``), tasks found in the apps."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ttportal.settings")

app = Celery("ttportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
