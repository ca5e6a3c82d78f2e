"""Every page carries a Content-Security-Policy, and the templates and scripts keep to it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
SCRIPTS = Path(settings.BASE_DIR) / "ttportal" / "static" / "ttportal"

# What a policy without 'unsafe-inline' blocks in markup.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"javascript:", re.I)
# What it blocks in scripts: code from strings, and style attributes set as text.
SCRIPT_FROM_TEXT = re.compile(
    r"\beval\(|new Function\(|setAttribute\(\s*['\"](style|on[a-z]+)['\"]|setTimeout\(\s*['\"]"
)


def directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    parsed = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parsed}


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_pages_allow_only_the_portals_own_scripts_and_styles(client, path):
    policy = directives(client.get(path))

    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]


PAGES = [
    "/",
    "/board/",
    "/history/",
    "/analytics/",
    "/gateways/",
    "/admin/",
    "/admin/gateways/site/add/",
    "/admin/auth/user/add/",
]


@pytest.mark.parametrize("path", PAGES)
def test_signed_in_pages_carry_the_policy_and_keep_to_it(admin_client, path):
    response = admin_client.get(path)

    assert response.status_code == 200
    assert directives(response)["script-src"] == ["'self'"]
    markup = response.content.decode()
    assert not INLINE_SCRIPT.search(markup)
    assert not INLINE_STYLE.search(markup)
    assert not EVENT_HANDLER.search(markup)


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_no_template_has_inline_script_style_or_event_handler(template: Path):
    markup = template.read_text()

    assert not INLINE_SCRIPT.search(markup), "move the script to a static file"
    assert not INLINE_STYLE.search(markup), "move the style to a stylesheet"
    assert not EVENT_HANDLER.search(markup), "attach the handler from a static script"
    assert not JAVASCRIPT_URL.search(markup)


@pytest.mark.parametrize("script", sorted(SCRIPTS.glob("*.js")), ids=lambda p: p.name)
def test_no_script_makes_code_or_style_attributes_from_text(script: Path):
    assert not SCRIPT_FROM_TEXT.search(script.read_text())
