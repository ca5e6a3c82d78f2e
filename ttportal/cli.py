"""The ``ttportal`` console script: ``manage.py`` for an installed portal (``ttportal up``)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ttportal.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
