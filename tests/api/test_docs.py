"""The OpenAPI schema and the interactive docs: generated from the code, served by us."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client) -> Any:
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operations(schema: Any):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_the_schema_is_openapi_3_1(schema):
    assert schema["openapi"].startswith("3.1")
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def test_every_operation_has_an_example_of_its_answer(schema):
    for name, operation in operations(schema):
        answers = [
            r
            for code, r in operation["responses"].items()
            if code.startswith("2") and code != "204"  # 204: no body to give an example of
        ]
        assert answers or "204" in operation["responses"], name
        for answer in answers:
            content = answer["content"]["application/json"]
            assert content.get("examples") or content.get("example"), name


def test_every_operation_documents_its_problems(schema):
    for name, operation in operations(schema):
        for code in ("400", "401", "403", "404", "429"):
            content = operation["responses"][code]["content"]
            assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem"), name


def test_every_command_takes_an_idempotency_key(schema):
    for name, operation in operations(schema):
        if name.split()[0] in ("POST", "DELETE"):
            headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
            assert headers == ["Idempotency-Key"], name
            assert "Retry-After" in operation["responses"]["503"]["headers"], name


def test_the_interactive_docs_come_from_our_own_static_files(client):
    page = client.get("/api/v1/docs/").content.decode()

    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    assert not [a for a in assets if a.startswith(("http:", "https:", "//"))], assets
    scripts = re.findall(r'<script src="([^"]+)"', page)
    bodies = []
    for script in scripts:
        response = client.get(script)
        assert response.status_code == 200, script
        bodies.append(b"".join(response) if response.streaming else response.content)
    assert any(b"/api/v1/schema/" in body for body in bodies), "the start-up script is ours"
    assert "<script>" not in page, "no inline script: a strict Content-Security-Policy works"
