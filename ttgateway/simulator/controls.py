"""The "hardware" of the simulated gateway, over HTTP under ``/_sim/``, and a page to press it.

These are what a person does physically on a site (press the button, start a tracker, carry it
to a table, drop it on the clearing unit) plus what a test needs (move the clock, inject faults).
They are not part of the gateway API and need no token.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ttgateway.protocol import ClearReason, OrderType
from ttgateway.simulator import traffic
from ttgateway.simulator.gateway import GatewayError
from ttgateway.simulator.records import wire_time

if TYPE_CHECKING:
    from ttgateway.simulator.server import Simulator

SIMULATOR_KEY: web.AppKey[Simulator] = web.AppKey("simulator")


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _sim(request: web.Request) -> Simulator:
    return request.app[SIMULATOR_KEY]


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.text()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ControlError(f"body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ControlError("body must be a JSON object")
    return body


def _number(body: dict[str, Any], key: str) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(f"{key!r} must be a number of seconds, got {value!r}")
    return float(value)


def _order_answer(sim: Simulator, order: Any) -> web.Response:
    return web.json_response({"activeorder": order.to_wire(sim.state.clock.now())})


async def _guard(request: web.Request, action: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await action(request)
        return response
    except ControlError as error:
        return web.json_response({"error": str(error)}, status=error.status)
    except GatewayError as error:
        return web.json_response({"error": error.message, **error.to_wire()}, status=error.status)


def _guarded(action: Any) -> Any:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await _guard(request, action)

    return handler


async def page(request: web.Request) -> web.Response:
    html = resources.files("ttgateway.simulator").joinpath("static/sim.html").read_text()
    return web.Response(text=html, content_type="text/html")


async def state(request: web.Request) -> web.Response:
    sim = _sim(request)
    gateway = sim.state
    now = gateway.clock.now()
    return web.json_response(
        {
            "gateway": gateway.describe(),
            "url": sim.url,
            "now": wire_time(now),
            "clock_offset_seconds": gateway.clock.offset_seconds(),
            "clock_frozen": gateway.clock.frozen,
            "button_window_seconds_left": round(gateway.window_seconds_left()),
            # Token names only: a token is shown once, by the generate endpoint, never here.
            "tokens": sorted(t.name for t in gateway.tokens.values()),
            "websocket_clients": len(sim.hub.clients),
            "active": [o.to_wire(now) for o in gateway.active_orders()],
            "history_count": len(gateway.history),
            "faults": sim.faults.to_wire(sim.delay),
            "demo_traffic": {"running": sim.traffic.running, "speed": sim.traffic.speed},
        }
    )


async def press_button(request: web.Request) -> web.Response:
    closes = _sim(request).state.press_button()
    return web.json_response({"window_closes": wire_time(closes)})


async def start_tracker(request: web.Request) -> web.Response:
    sim = _sim(request)
    body = await _body(request)
    order_type = OrderType.parse(body.get("orderType", "ON_PREMISES"))
    if order_type is None:
        raise ControlError("orderType must be ON_PREMISES or TO_GO")
    return _order_answer(sim, sim.state.tracker_started(request.match_info["name"], order_type))


async def locate_tracker(request: web.Request) -> web.Response:
    sim = _sim(request)
    body = await _body(request)
    table = body.get("table")
    if table is None or table == "":
        raise ControlError('\'table\' is required, e.g. {"table": "12"}')
    return _order_answer(sim, sim.state.tracker_at_table(request.match_info["name"], str(table)))


async def page_tracker(request: web.Request) -> web.Response:
    sim = _sim(request)
    _code, order = sim.state.page(request.match_info["name"])
    return _order_answer(sim, order)


async def clear_tracker(request: web.Request) -> web.Response:
    sim = _sim(request)
    body = await _body(request)
    try:
        reason = ClearReason(body.get("reason", ClearReason.TRACKER.value))
    except ValueError as exc:
        raise ControlError("reason must be TRACKER, MANAGER_OVERRIDE or AUTOMATIC") from exc
    return _order_answer(sim, sim.state.tracker_cleared(request.match_info["name"], reason))


async def move_clock(request: web.Request) -> web.Response:
    sim = _sim(request)
    body = await _body(request)
    clock = sim.state.clock
    if not {"advance", "set", "freeze"} & set(body):
        raise ControlError(
            "give 'advance' (seconds), 'set' (ISO 8601 time) and/or 'freeze' (true or false)"
        )
    freeze = body.get("freeze")
    if "freeze" in body and not isinstance(freeze, bool):
        raise ControlError("'freeze' must be true or false")
    if freeze is True:
        clock.freeze()  # first, so that a 'set' or 'advance' given with it lands exactly
    if "set" in body:
        try:
            clock.set(datetime.fromisoformat(str(body["set"])))
        except ValueError as exc:
            raise ControlError(f"'set' must be an ISO 8601 time: {exc}") from exc
    if "advance" in body:
        clock.advance(_number(body, "advance"))
    if freeze is False:
        clock.thaw()
    purged = sim.state.purge()
    return web.json_response(
        {"now": wire_time(clock.now()), "frozen": clock.frozen, "purged": purged}
    )


async def set_faults(request: web.Request) -> web.Response:
    sim = _sim(request)
    body = await _body(request)
    known = {
        "clear",
        "delay_ms",
        "refuse",
        "paging_unavailable",
        "drop_websockets",
        "offline_seconds",
    }
    unknown = sorted(set(body) - known)
    if unknown:
        raise ControlError(f"unknown fault(s) {unknown}; known: {sorted(known)}")
    if body.get("clear"):
        sim.clear_faults()
    if "delay_ms" in body:
        sim.set_delay(_number(body, "delay_ms"))
    if "refuse" in body:
        sim.faults.refuse = bool(body["refuse"])
    if "paging_unavailable" in body:
        sim.set_paging_unavailable(bool(body["paging_unavailable"]))
    dropped = sim.hub.drop_all() if body.get("drop_websockets") else 0
    if "offline_seconds" in body:
        seconds = _number(body, "offline_seconds")
        if seconds <= 0:
            raise ControlError("'offline_seconds' must be above zero, or the gateway never returns")
        # Answer first: going offline cuts this very connection.
        asyncio.get_running_loop().call_later(0.05, lambda: _spawn(sim.go_offline(seconds)))
    return web.json_response(
        {"faults": sim.faults.to_wire(sim.delay), "dropped_websockets": dropped}
    )


async def delete_tokens(request: web.Request) -> web.Response:
    gone = _sim(request).state.delete_tokens(request.match_info.get("name"))
    return web.json_response({"deleted": len(gone)})


async def move_address(request: web.Request) -> web.Response:
    sim = _sim(request)
    body = await _body(request)
    host = body.get("host", sim.host)
    port = body.get("port", 0)
    if not isinstance(host, str) or not isinstance(port, int) or isinstance(port, bool):
        raise ControlError("give 'host' (an address string) and/or 'port' (an integer, 0 for any)")
    if not host.startswith("127.") and host != "::1" and host != "localhost":
        raise ControlError("the simulator moves only within loopback (127.0.0.0/8)")
    await sim.move(host, port, spare=request.transport)
    response = web.json_response({"url": sim.url})
    response.force_close()  # nothing may reach the old address once this answer is out
    return response


async def seed_history(request: web.Request) -> web.Response:
    sim = _sim(request)
    body = await _body(request)
    count = traffic.seed_history(
        sim.state,
        days=int(_number(body, "days")) if "days" in body else 13,
        orders_per_day=int(_number(body, "orders_per_day")) if "orders_per_day" in body else 150,
        seed=int(_number(body, "seed")) if "seed" in body else 7,
    )
    return web.json_response({"added": count, "history_count": len(sim.state.history)})


async def set_traffic(request: web.Request) -> web.Response:
    sim = _sim(request)
    body = await _body(request)
    if "speed" in body:
        speed = _number(body, "speed")
        if speed <= 0:
            raise ControlError("'speed' must be above zero")
        sim.traffic.speed = speed
    if body.get("running") is True:
        sim.traffic.start()
    elif body.get("running") is False:
        await sim.traffic.stop()
    return web.json_response({"running": sim.traffic.running, "speed": sim.traffic.speed})


# Tasks started by a control after it has answered; kept so they are not garbage-collected.
_background: set[asyncio.Future[Any]] = set()


def _spawn(coro: Any) -> None:
    task = asyncio.ensure_future(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)


def add_routes(app: web.Application) -> None:
    g = _guarded
    app.router.add_get("/_sim", page)
    app.router.add_get("/_sim/", page)
    app.router.add_get("/_sim/state", state)
    app.router.add_post("/_sim/button", g(press_button))
    app.router.add_post("/_sim/trackers/{name}/start", g(start_tracker))
    app.router.add_post("/_sim/trackers/{name}/locate", g(locate_tracker))
    app.router.add_post("/_sim/trackers/{name}/page", g(page_tracker))
    app.router.add_post("/_sim/trackers/{name}/clear", g(clear_tracker))
    app.router.add_post("/_sim/clock", g(move_clock))
    app.router.add_post("/_sim/faults", g(set_faults))
    app.router.add_delete("/_sim/tokens", g(delete_tokens))
    app.router.add_delete("/_sim/tokens/{name}", g(delete_tokens))
    app.router.add_post("/_sim/address", g(move_address))
    app.router.add_post("/_sim/history", g(seed_history))
    app.router.add_post("/_sim/traffic", g(set_traffic))
