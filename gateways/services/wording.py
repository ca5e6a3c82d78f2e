"""A gateway's failure in a manager's words, for what pages show (the exact text goes to the log).

The client's errors carry the library's own text ("Cannot connect to host … ssl:default
[Connect call failed …]"); a manager reading a gateway's page needs what happened and what to
check, not that.
"""

from __future__ import annotations

import logging

from gateways.services.identity import ANOTHER_DEVICE
from ttgateway.client import GatewayError, GatewayUnreachable, TokenRejected
from ttgateway.client.errors import MalformedResponse

log = logging.getLogger(__name__)


def for_person(exc: GatewayError, doing: str = "") -> str:
    """What went wrong talking to a gateway, as a page says it; ``doing`` names the work."""
    log.info("gateway error%s: %s", f" ({doing})" if doing else "", exc)
    if isinstance(exc, TokenRejected):
        return "The gateway refused the portal's token: pair it again."
    if exc.message == ANOTHER_DEVICE:  # already in a manager's words, and the one to act on
        return ANOTHER_DEVICE
    if isinstance(exc, GatewayUnreachable):
        return "The gateway did not answer: check that it is on and connected to the network."
    if isinstance(exc, MalformedResponse):
        return "Something answered at this address, but not as a Table Tracker gateway does."
    if exc.message and exc.return_code is not None:
        return f"The gateway refused: {exc.message}"
    return "The gateway answered with an error; the portal will try again."
