"""``manage.py serve``: the single box's one process (web, relay, worker, beat)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand

from ttportal.singlebox import Roles, serve


class Command(BaseCommand):
    help = "Serve the portal with the relay, a Celery worker and beat in this one process."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8080)
        parser.add_argument("--no-worker", action="store_true", help="no embedded Celery worker")
        parser.add_argument("--no-beat", action="store_true", help="no embedded Celery beat")
        parser.add_argument("--no-relay", action="store_true", help="no relay to the gateways")

    def handle(self, *args: Any, **options: Any) -> None:
        roles = Roles(
            worker=not options["no_worker"],
            beat=not options["no_beat"],
            relay=not options["no_relay"],
        )
        url = f"http://{options['host']}:{options['port']}/"
        serve(
            options["host"],
            options["port"],
            roles,
            on_ready=lambda: self.stdout.write(f"TT Portal serving on {url}", ending="\n"),
        )
