"""The gateway's REST API v2 over aiohttp: translates HTTP to :class:`GatewayState` and back."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ttgateway.protocol import API_PREFIX, ReturnCode
from ttgateway.simulator.gateway import GatewayError, GatewayState

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STATE_KEY: web.AppKey[GatewayState] = web.AppKey("gateway_state", GatewayState)


def answer(body: dict[str, Any], status: int | None = None) -> web.Response:
    return web.json_response(body, status=status or int(body.get("status", 200)))


def failure(error: GatewayError) -> web.Response:
    return answer(error.to_wire(), error.status)


def _state(request: web.Request) -> GatewayState:
    return request.app[STATE_KEY]


def secured(handler: Handler) -> Handler:
    """Require ``Authorization: Bearer {token}`` (401 -1 malformed, 401 -2 unknown)."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        _state(request).authenticate_header(request.headers.get("Authorization"), request.remote)
        return await handler(request)

    return wrapper


async def _json_body(request: web.Request, required: bool = True) -> dict[str, Any]:
    raw = await request.text()
    if not raw.strip() and not required:
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise GatewayError(400, ReturnCode.INVALID_JSON) from exc
    if not isinstance(body, dict):
        raise GatewayError(400, ReturnCode.INVALID_JSON)
    return body


async def liveness(request: web.Request) -> web.Response:
    return answer(_state(request).describe())


async def generate_token(request: web.Request) -> web.Response:
    token = _state(request).generate_token(request.query.get("name"))
    return answer(
        {"status": 201, "returnCode": int(ReturnCode.TOKEN_CREATED), "token": token.to_wire()}
    )


def _active_answer(
    state: GatewayState, order: Any, status: int = 200, **extra: Any
) -> web.Response:
    return answer(
        {
            "status": status,
            "returnCode": int(ReturnCode.ACTIVE_ORDER),
            **extra,
            "activeorder": order.to_wire(state.clock.now()),
        }
    )


@secured
async def list_active(request: web.Request) -> web.Response:
    state = _state(request)
    now = state.clock.now()
    items = [o.to_wire(now) for o in state.active_orders()]
    return answer(
        {
            "status": 200,
            "returnCode": int(ReturnCode.ACTIVE_ORDER),
            "count": len(items),
            "items": items,
        }
    )


@secured
async def get_active(request: web.Request) -> web.Response:
    state = _state(request)
    return _active_answer(state, state.find_active(request.match_info["id"]))


@secured
async def submit_order(request: web.Request) -> web.Response:
    state = _state(request)
    body = await _json_body(request)
    dummy = request.query.get("dummy_tracker_address", "").lower() == "true"
    result = state.submit_order(body, dummy_tracker=dummy)
    if result.order is None:
        return answer(GatewayError(result.status, result.code).to_wire())
    extra = {"warning": result.warning} if result.warning else {}
    return _active_answer(state, result.order, result.status, **extra)


@secured
async def delete_active(request: web.Request) -> web.Response:
    state = _state(request)
    return _active_answer(state, state.delete(request.match_info["id"]))


@secured
async def delete_all_active(request: web.Request) -> web.Response:
    state = _state(request)
    now = state.clock.now()
    items = [o.to_wire(now) for o in state.delete_all()]
    return answer(
        {
            "status": 200,
            "returnCode": int(ReturnCode.ACTIVE_ORDER),
            "count": len(items),
            "items": items,
        }
    )


@secured
async def page_order(request: web.Request) -> web.Response:
    state = _state(request)
    body = await _json_body(request, required=False)
    tracking = body.get("tracking", True)
    if not isinstance(tracking, bool):
        raise GatewayError(
            400, ReturnCode.INVALID_JSON, "Invalid value for tracking. Must be a boolean."
        )
    code, order = state.page(request.match_info["id"], tracking)
    response: dict[str, Any] = {"status": 200, "returnCode": int(code)}
    if code is ReturnCode.PAGING_CANCELED:
        response["message"] = GatewayError(200, code).message
    response["activeorder"] = order.to_wire(state.clock.now())
    return answer(response)


@secured
async def list_orders(request: web.Request) -> web.Response:
    page = _state(request).query_orders(dict(request.query))
    return answer(
        {
            "status": 200,
            "returnCode": int(ReturnCode.ORDERS),
            # A string, as in the vendor's example: clients must tolerate it.
            "count": str(page.total),
            "items": [r.to_wire() for r in page.items],
        }
    )


@secured
async def get_order(request: web.Request) -> web.Response:
    record = _state(request).find_finished(request.match_info["uuid"])
    return answer({"status": 200, "returnCode": int(ReturnCode.ORDER), "order": record.to_wire()})


@secured
async def statistics(request: web.Request) -> web.Response:
    stats = _state(request).statistics(request.query.get("target_time"))
    return answer(
        {"status": 200, "returnCode": int(ReturnCode.STATISTICS), "statistics": stats.to_wire()}
    )


@web.middleware
async def gateway_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render documented failures, and unknown paths or methods, as the gateway's JSON."""
    try:
        return await handler(request)
    except GatewayError as error:
        return failure(error)
    except web.HTTPNotFound:
        if not request.path.startswith(API_PREFIX):
            raise
        return failure(GatewayError(404, ReturnCode.API_UNAVAILABLE))
    except web.HTTPMethodNotAllowed as exc:
        if not request.path.startswith(API_PREFIX):
            raise
        return answer(
            {
                "status": 405,
                "returnCode": int(ReturnCode.API_UNAVAILABLE),
                "message": f"Method {exc.method} not allowed.",
            }
        )


def add_routes(app: web.Application) -> None:
    p = API_PREFIX
    app.router.add_get(p, liveness)
    app.router.add_get(p + "/", liveness)
    app.router.add_get(p + "/accesstoken/generate", generate_token)
    app.router.add_get(p + "/activeorders", list_active)
    app.router.add_post(p + "/activeorders", submit_order)
    app.router.add_delete(p + "/activeorders", delete_all_active)
    app.router.add_get(p + "/activeorders/{id}", get_active)
    app.router.add_delete(p + "/activeorders/{id}", delete_active)
    app.router.add_post(p + "/activeorders/{id}/page", page_order)
    app.router.add_get(p + "/orders", list_orders)
    app.router.add_get(p + "/orders/{uuid}", get_order)
    app.router.add_get(p + "/statistics", statistics)
