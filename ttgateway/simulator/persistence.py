"""Optional persistence of the simulated gateway's memory to one JSON file."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from ttgateway.simulator.gateway import GatewayState
from ttgateway.simulator.records import AccessToken, ActiveOrder, FinishedOrder, parse_stored_time

FORMAT_VERSION = 1


def dump(state: GatewayState) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "clock_offset_seconds": state.clock.offset_seconds(),
        "seq": state.seq,
        "serial": state.identity.serial,
        "button_pressed_at": state.button_pressed_at.isoformat()
        if state.button_pressed_at
        else None,
        "tokens": [t.to_store() for t in state.tokens.values()],
        "trackers": state.trackers,
        "active": [o.to_store() for o in state.active_orders()],
        "history": [r.to_store() for r in state.history],
    }


def load_into(state: GatewayState, data: dict[str, Any]) -> None:
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"unsupported simulator state version: {data.get('version')!r}")
    state.clock.offset = timedelta(seconds=data["clock_offset_seconds"])
    state.seq = data["seq"]
    # A device keeps its serial for life: a file written before serials were kept gets one now.
    if isinstance(data.get("serial"), str) and data["serial"]:
        state.identity.serial = data["serial"]
    pressed = data.get("button_pressed_at")
    state.button_pressed_at = parse_stored_time(pressed) if pressed else None
    state.tokens = {t["token"]: AccessToken.from_store(t) for t in data["tokens"]}
    state.trackers = dict(data["trackers"])
    state.active = {o["uuid"]: ActiveOrder.from_store(o) for o in data["active"]}
    state.history = sorted(
        (FinishedOrder.from_store(r) for r in data["history"]), key=lambda r: r.sort_key
    )


def save(state: GatewayState, path: Path) -> None:
    """Write atomically, so a crash mid-write never leaves a half file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(dump(state), handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(state: GatewayState, path: Path) -> bool:
    if not path.exists():
        return False
    load_into(state, json.loads(path.read_text()))
    return True
