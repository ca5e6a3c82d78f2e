"""Command line of the simulator, shared by ``python -m`` and ``manage.py simulator``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path

from ttgateway.protocol import DEFAULT_PORT, WEBSOCKET_AUTH_SECONDS
from ttgateway.simulator import traffic
from ttgateway.simulator.server import Simulator, SimulatorConfig, serve_forever


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 8000)")
    parser.add_argument("--name", default="TT Gateway", help="gateway name, also its mDNS name")
    parser.add_argument("--timezone", default="UTC", help="the gateway's local time zone")
    parser.add_argument(
        "--auth-timeout",
        type=float,
        default=WEBSOCKET_AUTH_SECONDS,
        help="seconds a WebSocket has to authenticate (default 20)",
    )
    parser.add_argument(
        "--state-file", type=Path, help="keep the gateway's memory in this JSON file"
    )
    parser.add_argument("--mdns", action="store_true", help="advertise _tracker-http._tcp.local.")
    parser.add_argument(
        "--mdns-claim-name",
        action="store_true",
        help="announce the name even if another device holds it (play an impostor)",
    )
    parser.add_argument(
        "--mdns-interface",
        action="append",
        dest="mdns_interfaces",
        metavar="ADDRESS",
        help="interface address to advertise on (repeatable; default 127.0.0.1 only)",
    )
    parser.add_argument(
        "--seed-history",
        type=int,
        metavar="DAYS",
        default=0,
        help="start with this many days of past orders (at most 13)",
    )
    parser.add_argument("--orders-per-day", type=int, default=150)
    parser.add_argument(
        "--demo-traffic", action="store_true", help="start, seat and clear orders live"
    )
    parser.add_argument("--speed", type=float, default=1.0, help="demo traffic speed factor")
    parser.add_argument("--seed", type=int, default=None, help="random seed for demo traffic")


def config_from(args: argparse.Namespace) -> SimulatorConfig:
    return SimulatorConfig(
        host=args.host,
        port=args.port,
        name=args.name,
        timezone=args.timezone,
        auth_timeout=args.auth_timeout,
        state_file=args.state_file,
        mdns=args.mdns,
        mdns_interfaces=args.mdns_interfaces or ["127.0.0.1"],
        mdns_claim_name=args.mdns_claim_name,
        demo_traffic=args.demo_traffic,
        demo_speed=args.speed,
        seed=args.seed,
    )


async def run(args: argparse.Namespace) -> None:
    sim = Simulator(config_from(args))
    if args.seed_history and not (args.state_file and args.state_file.exists()):
        days = min(args.seed_history, 13)
        traffic.seed_history(sim.state, days=days, orders_per_day=args.orders_per_day)
    await sim.start()
    print(f"Table Tracker simulator '{args.name}' on {sim.url}/api/v2", flush=True)
    print(f"Hardware controls: {sim.url}/_sim/", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tt-simulator", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args))


__all__ = ["add_arguments", "main", "run", "serve_forever"]
