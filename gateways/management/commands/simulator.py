"""``manage.py simulator``: the same simulator as ``python -m ttgateway.simulator``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import Any

from django.core.management.base import BaseCommand

from ttgateway.simulator import cli


class Command(BaseCommand):
    help = "Run a simulated Table Tracker gateway (API v2) with hardware controls under /_sim/."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(cli.run(argparse.Namespace(**options)))
