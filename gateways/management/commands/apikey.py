"""``manage.py apikey create|list|revoke``: POS plugins' API keys from the command line.

``create`` prints the key alone on the last line of its output (so scripts can take it with
``tail -n 1``); it is shown this once and stored hashed.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from gateways.models import ApiKey, Site


def find_site(reference: str) -> Site:
    """A site by id or by name."""
    query = Q(name=reference) | Q(pk=int(reference)) if reference.isdigit() else Q(name=reference)
    found = list(Site.objects.filter(query)[:2])
    if len(found) != 1:
        raise CommandError(f"No site {reference!r} (give its id or its exact name).")
    return found[0]


class Command(BaseCommand):
    help = "Create, list and revoke the API keys of POS plugins."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=ArgumentParser)
        create = actions.add_parser("create", help="Issue a key (printed once, last line).")
        create.add_argument("--name", required=True, help="Who uses it, e.g. 'Till 1'.")
        create.add_argument(
            "--site", action="append", required=True, help="A site's id or name (repeatable)."
        )
        create.add_argument("--read-only", action="store_true", help="Read, never act.")
        actions.add_parser("list", help="Every key: prefix, name, access, sites, state.")
        revoke = actions.add_parser("revoke", help="Revoke a key by its prefix (ttp_...).")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        sites = [find_site(reference) for reference in options["site"]]
        access = ApiKey.Access.READ if options["read_only"] else ApiKey.Access.WRITE
        name_length = ApiKey._meta.get_field("name").max_length or 50
        key, secret = ApiKey.objects.issue(options["name"][:name_length], sites, access)
        self.stdout.write(
            f"API key {key.prefix} '{key.name}' ({access}) for "
            f"{', '.join(s.name for s in sites)}. It is shown once, here:"
        )
        self.stdout.write(secret)

    def _list(self, options: dict[str, Any]) -> None:
        for key in ApiKey.objects.prefetch_related("sites").order_by("created"):
            state = "revoked" if key.revoked else ("expired" if key.has_expired else "active")
            sites = ", ".join(site.name for site in key.sites.all())
            self.stdout.write(f"{key.prefix}\t{key.name}\t{key.access}\t{state}\t{sites}")

    def _revoke(self, options: dict[str, Any]) -> None:
        prefix = options["prefix"].partition(".")[0]  # a whole key works too
        key = ApiKey.objects.filter(prefix=prefix).first()
        if key is None:
            raise CommandError(f"No API key with prefix {prefix!r}.")
        if not key.revoked:
            key.revoked = True
            key.save(update_fields=["revoked"])
        self.stdout.write(f"API key {key.prefix} '{key.name}' is revoked.")
