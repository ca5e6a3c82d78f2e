"""A bare aiohttp server: the baseline the simulator's figures are compared with.

It serves the same paths as the simulator with fixed, pre-serialized JSON bodies (captured from
the simulator by the benchmark, so sizes match), and a WebSocket that broadcasts one message per
hardware-control POST. No state, no validation, no middleware: whatever it costs is the cost of
aiohttp, the event loop and the client on this machine, which the simulator cannot go below.

Run by ``bench.simulator`` as ``python -m bench.baseline --port N --bodies FILE``, in its own
process and with ``asyncio.run`` like the simulator, so both sides use the same loop setup.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

API = "/api/v2"

# What each hardware control turns into, as the simulator announces it on the WebSocket.
EVENT_TYPES = {"start": "ORDER_CREATED", "locate": "ORDER_MODIFIED", "clear": "ORDER_CLEARED"}

BODIES_KEY: web.AppKey[dict[str, Any]] = web.AppKey("bodies", dict)
CLIENTS_KEY: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("clients", set)
SEQ_KEY: web.AppKey[list[int]] = web.AppKey("seq", list)


def fixed(body: str) -> web.Response:
    """An answer of pre-encoded JSON, as cheap as aiohttp can make one."""
    return web.Response(body=body.encode(), content_type="application/json")


async def liveness(request: web.Request) -> web.Response:
    return fixed('{"status": 200}')


async def active_orders(request: web.Request) -> web.Response:
    return fixed(request.app[BODIES_KEY]["activeorders"])


async def orders(request: web.Request) -> web.Response:
    return fixed(request.app[BODIES_KEY]["orders"])


async def submit(request: web.Request) -> web.Response:
    await request.read()  # a real server reads the body; the simulator parses it too
    return fixed(request.app[BODIES_KEY]["submit"])


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """Accept any first message as the token, send the snapshot, then only broadcast."""
    ws = web.WebSocketResponse(max_msg_size=64 * 1024)
    await ws.prepare(request)
    first = await ws.receive()
    if first.type is not WSMsgType.TEXT:
        await ws.close()
        return ws
    clients = request.app[CLIENTS_KEY]
    await ws.send_str(request.app[BODIES_KEY]["snapshot"])
    clients.add(ws)
    try:
        async for _msg in ws:
            pass  # the simulator checks inbound JSON; nothing else to do here
    finally:
        clients.discard(ws)
    return ws


async def control(request: web.Request) -> web.Response:
    """A hardware control: one event, encoded once, sent to every client in turn."""
    await request.read()
    bodies = request.app[BODIES_KEY]
    seq = request.app[SEQ_KEY]
    seq[0] += 1
    event = {
        **bodies["event"],
        "name": request.match_info["name"],
        "type": EVENT_TYPES.get(request.match_info["action"], "ORDER_MODIFIED"),
        "seq": seq[0],
    }
    message = json.dumps(event)
    clients = request.app[CLIENTS_KEY]
    for ws in list(clients):  # a copy: a client may leave while we await a send
        with contextlib.suppress(ConnectionError, RuntimeError):  # a client leaving mid-send
            await ws.send_str(message)
    return fixed(bodies["control"])


def build_app(bodies: dict[str, Any]) -> web.Application:
    app = web.Application()
    app[BODIES_KEY] = bodies
    app[CLIENTS_KEY] = set()
    app[SEQ_KEY] = [0]
    app.router.add_get(API, liveness)
    app.router.add_get(API + "/activeorders", active_orders)
    app.router.add_post(API + "/activeorders", submit)
    app.router.add_get(API + "/orders", orders)
    app.router.add_get(API + "/websocket", websocket)
    app.router.add_post("/_sim/trackers/{name}/{action}", control)
    return app


async def serve(host: str, port: int, bodies: dict[str, Any]) -> None:
    # The same runner options as the simulator: no access log, no signal handlers.
    runner = web.AppRunner(build_app(bodies), handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    print(f"baseline on http://{host}:{port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bodies", type=Path, required=True, help="JSON file of fixed bodies")
    args = parser.parse_args(argv)
    bodies = json.loads(args.bodies.read_text())
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, bodies))


if __name__ == "__main__":
    main()
