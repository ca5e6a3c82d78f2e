"""The gateway rules, shared by views, the admin, tasks and the relay: no rule lives twice."""

from gateways.services.discovery import (
    AddGatewayError,
    add_by_address,
    discover,
    discover_for,
    record_found,
    watch_lan,
)
from gateways.services.health import check_gateways, check_scheduled, record_liveness
from gateways.services.pairing import run_pairing, start_pairing
from gateways.services.status import mark_needs_pairing, set_status

__all__ = [
    "AddGatewayError",
    "add_by_address",
    "check_gateways",
    "check_scheduled",
    "discover",
    "discover_for",
    "mark_needs_pairing",
    "record_found",
    "record_liveness",
    "run_pairing",
    "set_status",
    "start_pairing",
    "watch_lan",
]
