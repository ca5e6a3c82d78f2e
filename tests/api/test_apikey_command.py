"""``manage.py apikey``: create prints the key alone on its last line; list; revoke."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from gateways.models import ApiKey
from tests.api.support import client_for

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("apikey", *args, stdout=out)
    return out.getvalue()


def test_create_prints_a_working_key_alone_on_the_last_line(site, other_site):
    output = run("create", "--name", "Till 1", "--site", "Riverside", "--site", str(other_site.pk))

    secret = output.strip().splitlines()[-1]
    assert secret.startswith("ttp_")
    key = ApiKey.objects.get()
    assert set(key.sites.all()) == {site, other_site}
    assert key.access == "write"
    names = [s["name"] for s in client_for(secret).get("/api/v1/sites/").json()]
    assert sorted(names) == ["Hilltop", "Riverside"]


def test_create_read_only_makes_a_read_key(site):
    run("create", "--name", "Screen", "--site", "Riverside", "--read-only")

    assert ApiKey.objects.get().access == "read"


def test_an_unknown_site_is_refused(site):
    with pytest.raises(CommandError, match="No site 'Nowhere'"):
        run("create", "--name", "Till", "--site", "Nowhere")
    assert not ApiKey.objects.exists()


def test_list_shows_keys_without_their_secrets(site):
    secret = run("create", "--name", "Till 1", "--site", "Riverside").strip().splitlines()[-1]

    listing = run("list")

    prefix, _, private = secret.partition(".")
    assert prefix in listing
    assert "Till 1" in listing
    assert "active" in listing
    assert private not in listing


def test_revoke_by_prefix_closes_the_key(site):
    secret = run("create", "--name", "Till 1", "--site", "Riverside").strip().splitlines()[-1]

    run("revoke", secret.partition(".")[0])

    assert client_for(secret).get("/api/v1/sites/").status_code == 401
    assert "revoked" in run("list")


def test_the_demo_sandbox_key_works_and_replaces_the_previous_one(site):
    from ttportal.demo import issue_sandbox_key

    first = issue_sandbox_key(site)
    second = issue_sandbox_key(site)

    assert client_for(second).get("/api/v1/sites/").status_code == 200
    assert client_for(first).get("/api/v1/sites/").status_code == 401
