"""``manage.py up``: the whole portal on one box, in one command, with no server to install."""

from __future__ import annotations

import argparse
import os
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from gateways.models import Site
from gateways.services.tokens import reseal_retired_tokens
from ttportal.checks import refuse_generated_secrets_outside_the_single_box
from ttportal.demo import ensure_paired_demo_gateway, issue_sandbox_key
from ttportal.keyfile import private_file
from ttportal.runner import Role, Supervisor, python

FIRST_ADMIN_PASSWORD_FILE = "first-admin-password"  # noqa: S105 - a file name, not a password


def open_loopback_for_demo() -> None:
    """The demo's gateway (and any webhook receiver it is shown with) is on loopback, which
    gateways.outbound refuses by default: open it here and in every process started from here."""
    loopback = ["127.0.0.0/8", "::1/128"]
    for name in ("TTPORTAL_GATEWAY_NETWORKS", "TTPORTAL_WEBHOOK_NETWORKS"):
        networks = [*getattr(settings, name), *loopback]
        setattr(settings, name, networks)
        os.environ[name] = ",".join(networks)


class Command(BaseCommand):
    help = "Run the portal (and with --demo a simulated gateway) on this machine until Ctrl-C."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--demo", action="store_true", help="also run a simulated gateway")
        parser.add_argument("--host", default="127.0.0.1", help="address of the portal")
        parser.add_argument("--port", type=int, default=8080, help="port of the portal")
        parser.add_argument(
            "--simulator-port", type=int, default=8000, help="port of the demo gateway"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_generated_secrets_outside_the_single_box()
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        if options["demo"]:
            open_loopback_for_demo()
        call_command("migrate", interactive=False, verbosity=0)
        if resealed := reseal_retired_tokens():
            self.stdout.write(f"Re-sealed {resealed} gateway token(s) with this box's own key.")
        self._ensure_first_admin()
        self._ensure_first_site(options["demo"])
        roles, simulator_url = self._roles(options)
        portal_url = f"http://{options['host']}:{options['port']}/"

        def ready() -> None:
            demo_site = None
            if simulator_url:
                gateway = ensure_paired_demo_gateway("127.0.0.1", options["simulator_port"])
                self.stdout.write(f"Demo gateway '{gateway.name}' paired ({gateway.base_url}).")
                demo_site = gateway.site
            self.stdout.write(self.style.SUCCESS(f"TT Portal: open {portal_url}"))
            if demo_site is not None:
                self.stdout.write(f"The live board: {portal_url}board/")
                self.stdout.write(f"Demo gateway hardware controls: {simulator_url}/_sim/")
                self.stdout.write(f"POS API docs: {portal_url}api/v1/docs/")
                self.stdout.write(
                    "POS API sandbox key for the demo site (shown once): "
                    + issue_sandbox_key(demo_site)
                )
            self.stdout.write("Press Ctrl-C to stop.")

        raise SystemExit(Supervisor(roles, self.stdout.write).run(on_ready=ready))

    def _roles(self, options: dict[str, Any]) -> tuple[list[Role], str]:
        roles: list[Role] = []
        simulator_url = ""
        if options["demo"]:
            port = str(options["simulator_port"])
            simulator_url = f"http://127.0.0.1:{port}"
            state_file = str(settings.DATA_DIR / "demo-gateway.json")
            roles.append(
                Role(
                    "simulator",
                    python(
                        "-m", "ttgateway.simulator", "--host", "127.0.0.1", "--port", port,
                        "--name", "Demo Gateway", "--state-file", state_file,
                        "--seed-history", "13", "--demo-traffic", "--speed", "4",
                        "--mdns", "--mdns-interface", "127.0.0.1",
                    ),
                )
            )  # fmt: skip
        env = {"TTPORTAL_SIMULATOR_URL": simulator_url}
        if simulator_url:
            # The demo looks for gateways on loopback only: nothing is multicast on the LAN.
            env["TTPORTAL_DISCOVERY_INTERFACES"] = "127.0.0.1"
        serve_argv = [
            "manage.py",
            "serve",
            "--host",
            options["host"],
            "--port",
            str(options["port"]),
        ]
        roles.append(Role("portal", python(*serve_argv), env=env))
        return roles, simulator_url

    def _ensure_first_site(self, demo: bool) -> None:
        """Discovery files new gateways under a site: make sure there is one to file them under."""
        if demo or Site.objects.exists():
            return
        Site.objects.create(name="My restaurant", time_zone=settings.TIME_ZONE)
        self.stdout.write("Created the site 'My restaurant': rename it in the admin.")

    def _ensure_first_admin(self) -> None:
        """Create an admin on first start; its password goes to the person at the console.

        Never to a log: when the output is not a terminal (a service manager's journal, a
        file), the password goes to a file in the data directory only its owner can read.
        """
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            return
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser("admin", "", password)
        if self.stdout.isatty():
            where = f"with password {password} (shown once"
        else:
            kept = private_file(settings.DATA_DIR / FIRST_ADMIN_PASSWORD_FILE)
            kept.write_text(password + "\n")
            where = f"whose password is in {kept} (readable by you only; delete it"
        self.stdout.write(
            self.style.WARNING(
                f"First start: created user 'admin' {where}; change it in the admin)."
            )
        )
