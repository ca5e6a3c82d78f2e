"""``manage.py serve``: the single box's one process (web, relay, worker, beat)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ttportal.checks import refuse_generated_secrets_outside_the_single_box
from ttportal.singlebox import Roles, serve


class Command(BaseCommand):
    help = "Serve the portal with the relay, a Celery worker and beat in this one process."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8080)
        parser.add_argument("--no-worker", action="store_true", help="no embedded Celery worker")
        parser.add_argument("--no-beat", action="store_true", help="no embedded Celery beat")
        parser.add_argument("--no-relay", action="store_true", help="no relay to the gateways")
        parser.add_argument(
            "--no-discovery", action="store_true", help="no continuous mDNS discovery"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_generated_secrets_outside_the_single_box()
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(
                "The database has unapplied migrations: run 'manage.py migrate' first "
                "('manage.py up' does it for you)."
            )
        roles = Roles(
            worker=not options["no_worker"],
            beat=not options["no_beat"],
            relay=not options["no_relay"],
            discovery=not options["no_discovery"],
        )
        url = f"http://{options['host']}:{options['port']}/"
        serve(
            options["host"],
            options["port"],
            roles,
            on_ready=lambda: self.stdout.write(f"TT Portal serving on {url}", ending="\n"),
        )
