"""GET /api/v2 answers anyone; secured endpoints refuse a missing, malformed or unknown token."""

import pytest

from tests.ttgateway.simulator.contract import API

UUID_EXAMPLE = "9e1da5eb-59ea-4003-9c1c-15160879c88d"

SECURED = [
    ("GET", "/activeorders"),
    ("GET", "/activeorders/66"),
    ("GET", f"/activeorders/{UUID_EXAMPLE}"),
    ("POST", "/activeorders"),
    ("DELETE", "/activeorders"),
    ("DELETE", "/activeorders/66"),
    ("POST", "/activeorders/66/page"),
    ("GET", "/orders"),
    ("GET", f"/orders/{UUID_EXAMPLE}"),
    ("GET", "/statistics"),
]

MALFORMED = [
    {},
    {"Authorization": ""},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer   "},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Token 2f1f4339c7b77fa3474bf8ba8852349273e928bb8ad9d186"},
]


async def test_the_liveness_endpoint_answers_without_a_token(gateway):
    reply = await gateway.call("GET", "", headers={})
    assert reply.status == 200
    assert set(reply.body) == {
        "status",
        "returnCode",
        "name",
        "model",
        "firmware",
        "serial",
        "apiVersion",
    }
    assert reply.body["status"] == 200
    assert reply.body["returnCode"] == 0
    assert reply.body["apiVersion"] == "2"
    assert reply.body["name"] == "TT Gateway"


@pytest.mark.parametrize(("method", "path"), SECURED)
@pytest.mark.parametrize("headers", MALFORMED, ids=lambda h: repr(h.get("Authorization")))
async def test_every_secured_endpoint_refuses_a_malformed_authorization_header(
    gateway, method, path, headers
):
    reply = await gateway.call(method, path, json={}, headers=headers)
    assert reply.is_error(401, -1), reply.body


@pytest.mark.parametrize(("method", "path"), SECURED)
async def test_every_secured_endpoint_refuses_an_unknown_token(gateway, method, path):
    headers = {"Authorization": "Bearer 2f1f4339c7b77fa3474bf8ba8852349273e928bb8ad9d186"}
    reply = await gateway.call(method, path, json={}, headers=headers)
    assert reply.is_error(401, -2), reply.body


@pytest.mark.parametrize(("method", "path"), SECURED)
async def test_every_secured_endpoint_lets_a_valid_token_through(gateway, method, path):
    reply = await gateway.call(method, path, json={"name": "66", "orderType": "TO_GO"})
    assert reply.status not in (401, 403), reply.body


async def test_an_empty_gateway_lists_no_active_orders(gateway):
    reply = await gateway.call("GET", "/activeorders")
    assert reply.status == 200
    assert reply.body == {"status": 200, "returnCode": 5, "count": 0, "items": []}


async def test_an_unknown_api_path_answers_in_the_gateways_json(http):
    async with http.get(API + "/nowhere") as response:
        body = await response.json()
    assert response.status == 404
    assert body["status"] == 404
    assert body["returnCode"] < 0
