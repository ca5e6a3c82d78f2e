"""The button's two-minute window, and the tokens issued in it."""

import json
import re

from tests.ttgateway.simulator.contract import (
    NAIVE_TIME,
    NOON,
    TOKEN_KEYS,
    Gateway,
    press_and_generate,
)


async def test_no_token_is_issued_before_the_button_is_pressed(http, controls):
    reply = await press_and_generate(controls, http, press=False)
    assert reply.is_error(403, -3), reply.body


async def test_a_button_press_opens_the_window_for_a_token(http, controls):
    gateway = Gateway(http, {}, controls)
    await gateway.freeze()
    reply = await press_and_generate(controls, http, "kitchen")
    assert reply.status == 201
    assert set(reply.body) == {"status", "returnCode", "token"}
    assert reply.body["status"] == 201
    assert reply.body["returnCode"] == 2
    token = reply.body["token"]
    assert set(token) == TOKEN_KEYS
    assert token["name"] == "kitchen"
    assert token["creation_date"] == NOON
    assert NAIVE_TIME.match(token["creation_date"])
    assert token["last_used"] is None
    assert token["ip_address"] is None


async def test_a_token_is_48_hex_characters(http, controls):
    reply = await press_and_generate(controls, http)
    assert re.fullmatch(r"[0-9a-f]{48}", reply.body["token"]["token"])


async def test_each_token_is_different(http, controls):
    first = await press_and_generate(controls, http)
    second = await press_and_generate(controls, http)
    assert first.body["token"]["token"] != second.body["token"]["token"]


async def test_the_token_name_defaults_to_default(http, controls):
    reply = await press_and_generate(controls, http)
    assert reply.body["token"]["name"] == "default"


async def test_an_empty_token_name_also_means_default(http, controls):
    reply = await press_and_generate(controls, http, "")
    assert reply.body["token"]["name"] == "default"


async def test_the_window_closes_once_a_token_is_issued(http, controls):
    assert (await press_and_generate(controls, http)).status == 201
    reply = await press_and_generate(controls, http, press=False)
    assert reply.is_error(403, -3), reply.body


async def test_a_second_token_needs_a_second_press(http, controls):
    assert (await press_and_generate(controls, http, "first")).status == 201
    assert (await press_and_generate(controls, http, "second", press=False)).status == 403
    assert (await press_and_generate(controls, http, "second")).status == 201


async def test_the_window_is_still_open_just_before_two_minutes(http, controls):
    gateway = Gateway(http, {}, controls)
    await gateway.freeze()
    await gateway.controls.press_button()
    await gateway.advance(119)
    assert (await press_and_generate(controls, http, press=False)).status == 201


async def test_the_window_closes_two_minutes_after_the_press(http, controls):
    gateway = Gateway(http, {}, controls)
    await gateway.controls.press_button()
    await gateway.advance(121)
    reply = await press_and_generate(controls, http, press=False)
    assert reply.is_error(403, -3), reply.body


async def test_the_state_page_counts_the_window_down(http, controls):
    gateway = Gateway(http, {}, controls)
    await gateway.freeze()
    assert (await gateway.state()).button_window_seconds_left == 0
    await gateway.controls.press_button()
    await gateway.advance(20)
    assert (await gateway.state()).button_window_seconds_left == 100


async def test_the_state_page_never_shows_a_token(http, token):
    async with http.get("/_sim/state") as response:  # the page itself, as a person sees it
        page = await response.text()
    assert json.loads(page)["tokens"] == ["tests"]
    assert token not in page


async def test_a_token_stays_valid_however_much_time_passes(gateway):
    await gateway.advance(90 * 24 * 3600)
    assert (await gateway.call("GET", "/activeorders")).status == 200


async def test_a_token_records_when_it_was_last_used(simulator, gateway, token):
    await gateway.freeze()
    await gateway.call("GET", "/activeorders")
    record = simulator.state.tokens[token]
    assert record.last_used is not None
    assert record.last_used.isoformat().startswith(NOON)


async def test_a_deleted_token_is_no_longer_valid(gateway):
    assert await gateway.controls.delete_tokens() == 1
    reply = await gateway.call("GET", "/activeorders")
    assert reply.is_error(401, -2), reply.body


async def test_deleting_tokens_by_name_spares_the_others(http, gateway, controls):
    other = await press_and_generate(controls, http, "bar")
    assert await gateway.controls.delete_tokens("tests") == 1
    assert (await gateway.call("GET", "/activeorders")).is_error(401, -2)
    kept = {"Authorization": f"Bearer {other.body['token']['token']}"}
    assert (await gateway.call("GET", "/activeorders", headers=kept)).status == 200
