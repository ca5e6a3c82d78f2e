"""The portal's client of the Table Tracker gateway API v2, free of Django.

- :class:`GatewayClient` — async (aiohttp), one per gateway; every REST endpoint, plus
  :meth:`GatewayClient.events` for the WebSocket.
- :class:`SyncGatewayClient` — the same calls, blocking, for views and Celery tasks.
- Results are frozen dataclasses (``models``); failures are typed exceptions under
  :class:`GatewayError` (``errors``), one per documented ``returnCode``.

The contract is ``shared/spec/README.md``; the vocabulary (codes, messages, types) is shared
with the simulator through ``ttgateway.protocol``.
"""

from ttgateway.client.client import (
    CONNECTION_LIMIT,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_HEARTBEAT,
    DEFAULT_TIMEOUT,
    GatewayClient,
)
from ttgateway.client.errors import (
    ERRORS,
    ApiUnavailable,
    ConnectionLost,
    GatewayError,
    GatewayTimeout,
    GatewayUnreachable,
    InvalidDates,
    InvalidJson,
    InvalidLimit,
    InvalidLocationName,
    InvalidOffset,
    InvalidOrderId,
    InvalidOrderName,
    InvalidRequest,
    InvalidTargetTime,
    InvalidToken,
    InvalidUuid,
    LimitOverMaximum,
    MalformedAuthorization,
    MalformedResponse,
    MissingOrderName,
    OrderNotFound,
    OrderTypeInvalid,
    OrderTypeMissing,
    PagingImpossible,
    PagingUnavailable,
    PairingWindowClosed,
    TokenDeleted,
    TokenRejected,
)
from ttgateway.client.events import EventStream
from ttgateway.client.models import (
    ActiveOrder,
    Event,
    GatewayInfo,
    IssuedToken,
    OrderEvent,
    OrdersPage,
    OrderSummary,
    Snapshot,
    Statistics,
    SubmitOutcome,
    SubmitResult,
)
from ttgateway.client.sync import SyncGatewayClient

__all__ = [
    "CONNECTION_LIMIT",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_HEARTBEAT",
    "DEFAULT_TIMEOUT",
    "ERRORS",
    "ActiveOrder",
    "ApiUnavailable",
    "ConnectionLost",
    "Event",
    "EventStream",
    "GatewayClient",
    "GatewayError",
    "GatewayInfo",
    "GatewayTimeout",
    "GatewayUnreachable",
    "InvalidDates",
    "InvalidJson",
    "InvalidLimit",
    "InvalidLocationName",
    "InvalidOffset",
    "InvalidOrderId",
    "InvalidOrderName",
    "InvalidRequest",
    "InvalidTargetTime",
    "InvalidToken",
    "InvalidUuid",
    "IssuedToken",
    "LimitOverMaximum",
    "MalformedAuthorization",
    "MalformedResponse",
    "MissingOrderName",
    "OrderEvent",
    "OrderNotFound",
    "OrderSummary",
    "OrderTypeInvalid",
    "OrderTypeMissing",
    "OrdersPage",
    "PagingImpossible",
    "PagingUnavailable",
    "PairingWindowClosed",
    "Snapshot",
    "Statistics",
    "SubmitOutcome",
    "SubmitResult",
    "SyncGatewayClient",
    "TokenDeleted",
    "TokenRejected",
]
