"""A blocking face on :class:`GatewayClient` for Django views and Celery tasks.

The async client runs on a private event loop in a private daemon thread; each call hands its
coroutine to that loop and waits. This works from any thread: one with no loop at all (a WSGI
worker, a Celery prefork child), and even one whose own loop is running (the call then blocks
that loop, as any blocking call would, but does not fail). One instance may be shared by threads.

The loop is a :class:`ttgateway.bridge.LoopThread`: it starts on first use and again after a
fork, and stops on :meth:`close`, or when the object is collected or the process exits. There is
no blocking event stream: the relay, which needs one, is async.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncGenerator, Coroutine, Iterator
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

from ttgateway.bridge import LoopThread
from ttgateway.client.client import DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, GatewayClient
from ttgateway.client.models import (
    ActiveOrder,
    GatewayInfo,
    IssuedToken,
    OrdersPage,
    OrderSummary,
    Statistics,
    SubmitResult,
)
from ttgateway.protocol import DEFAULT_PORT, ORDERS_DEFAULT_LIMIT, ORDERS_MAX_LIMIT, OrderType

T = TypeVar("T")


class SyncGatewayClient:
    """The same calls as :class:`GatewayClient`, blocking. Close it (or use ``with``) when done."""

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        host: str | None = None,
        port: int = DEFAULT_PORT,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        validate: bool = True,
    ) -> None:
        self._make_client = functools.partial(
            GatewayClient,
            base_url,
            token,
            host=host,
            port=port,
            timeout=timeout,
            connect_timeout=connect_timeout,
            validate=validate,
        )
        # Built here so that argument errors surface at once; its session is made on the loop.
        self._client = self._make_client()
        self._pid = os.getpid()
        self._bridge = LoopThread(f"gateway-client {self.base_url}", self._client.close)

    def __repr__(self) -> str:
        return f"Sync{self._client!r}"

    @property
    def base_url(self) -> str:
        """The gateway's base URL, e.g. ``http://10.0.1.2:8000``."""
        return self._client.base_url

    def __enter__(self) -> SyncGatewayClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session and stop the private loop and its thread."""
        self._bridge.close()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._pid != os.getpid():
            # Forked: the parent's session may not be used here; the bridge restarts its loop.
            self._pid = os.getpid()
            self._client = self._make_client()
            self._bridge.closer = self._client.close
        return self._bridge.run(coro)

    # --- the endpoints -------------------------------------------------------------------------

    def liveness(self) -> GatewayInfo:
        """See :meth:`GatewayClient.liveness`."""
        return self._run(self._client.liveness())

    def generate_token(self, name: str | None = None) -> IssuedToken:
        """See :meth:`GatewayClient.generate_token`."""
        return self._run(self._client.generate_token(name))

    def active_orders(self) -> tuple[ActiveOrder, ...]:
        """See :meth:`GatewayClient.active_orders`."""
        return self._run(self._client.active_orders())

    def active_order(self, order_id: str | int) -> ActiveOrder:
        """See :meth:`GatewayClient.active_order`."""
        return self._run(self._client.active_order(order_id))

    def submit_order(
        self,
        name: str | int,
        order_type: OrderType | str,
        location: str | int | None = None,
        dummy_tracker: bool = False,
    ) -> SubmitResult:
        """See :meth:`GatewayClient.submit_order`."""
        return self._run(self._client.submit_order(name, order_type, location, dummy_tracker))

    def delete_order(self, order_id: str | int) -> ActiveOrder | None:
        """See :meth:`GatewayClient.delete_order`."""
        return self._run(self._client.delete_order(order_id))

    def delete_all(self) -> tuple[ActiveOrder, ...]:
        """See :meth:`GatewayClient.delete_all`."""
        return self._run(self._client.delete_all())

    def page(self, order_id: str | int, tracking: bool = True) -> ActiveOrder | None:
        """See :meth:`GatewayClient.page`."""
        return self._run(self._client.page(order_id, tracking))

    def orders(
        self,
        offset: int = 0,
        limit: int = ORDERS_DEFAULT_LIMIT,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        order_type: OrderType | str | None = None,
        location_name: str | int | None = None,
    ) -> OrdersPage:
        """See :meth:`GatewayClient.orders`."""
        return self._run(
            self._client.orders(
                offset, limit, created_after, created_before, order_type, location_name
            )
        )

    def iter_orders(
        self,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        order_type: OrderType | str | None = None,
        location_name: str | int | None = None,
        page_size: int = ORDERS_MAX_LIMIT,
    ) -> Iterator[OrderSummary]:
        """See :meth:`GatewayClient.iter_orders`; pages are fetched as the iteration needs them."""
        records = self._client.iter_orders(
            created_after, created_before, order_type, location_name, page_size
        )
        try:
            while True:
                try:
                    yield self._run(_next(records))
                except StopAsyncIteration:
                    return
        finally:
            if self._bridge.started:
                self._run(_close(records))

    def order(self, uuid: str) -> OrderSummary:
        """See :meth:`GatewayClient.order`."""
        return self._run(self._client.order(uuid))

    def statistics(self, target_time: int | None = None) -> Statistics:
        """See :meth:`GatewayClient.statistics`."""
        return self._run(self._client.statistics(target_time))


async def _next(records: AsyncGenerator[T, None]) -> T:
    return await records.__anext__()


async def _close(records: AsyncGenerator[T, None]) -> None:
    await records.aclose()
