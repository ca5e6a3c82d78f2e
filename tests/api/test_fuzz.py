"""A schema-driven fuzz run: schemathesis against the live ASGI app, with a real key and a real
paired gateway, on a bounded budget. No answer may be a 5xx, and none may contradict the schema
(status codes, content types, bodies).

The cases are drawn from each operation's Hypothesis strategy inside the test (schemathesis'
lazy pytest loader does not run on pytest 9), so fixtures (the key, the simulator) are at hand.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.support import IssuedKey, issue_key

# Examples per operation and mode: enough to find crash and shape bugs, bounded for a shared box.
BUDGET = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 15}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

pytestmark = pytest.mark.django_db(transaction=True)  # the ASGI app runs views in its own thread


@pytest.fixture
def fuzz_key(site) -> IssuedKey:
    return issue_key("Fuzzer", site)


@pytest.mark.parametrize("mode", list(BUDGET), ids=lambda mode: mode.value)
def test_the_api_never_fails_nor_contradicts_its_schema(mode, fuzz_key, paired_gateway, sim):
    from ttportal.asgi import application

    schema = schemathesis.openapi.from_asgi("/api/v1/schema/", application)
    headers = {"Authorization": f"Bearer {fuzz_key.secret}"}
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 10

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=BUDGET[mode],
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case) -> None:
            # Aim at the real gateway, so that commands reach the simulator (404s are tested
            # elsewhere, per object type).
            if "gateway_id" in (case.path_parameters or {}):
                case.path_parameters["gateway_id"] = paired_gateway.pk
            case.call_and_validate(headers=headers, checks=CHECKS)

        run()
