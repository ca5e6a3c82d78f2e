"""A blocking face on :class:`GatewayClient` for Django views and Celery tasks.

The async client runs on a private event loop in a private daemon thread; each call hands its
coroutine to that loop and waits. This works from any thread: one with no loop at all (a WSGI
worker, a Celery prefork child), and even one whose own loop is running (the call then blocks
that loop, as any blocking call would, but does not fail). One instance may be shared by threads.

The thread starts on first use and again after a fork (a Celery child inherits the object but
not the thread), and stops on :meth:`close`, or when the object is collected or the process
exits. There is no blocking event stream: the relay, which needs one, is async.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import weakref
from collections.abc import AsyncGenerator, Coroutine, Iterator
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

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

_SHUTDOWN_SECONDS = 5.0


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
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._pid = os.getpid()

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
        with self._lock:
            finalizer, self._finalizer = self._finalizer, None
            self._loop = None
        if finalizer is not None:
            finalizer()

    # --- the loop ------------------------------------------------------------------------------

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._pid != os.getpid():
                # Forked: the parent's thread does not exist here, nor may its session be used.
                self._pid = os.getpid()
                if self._finalizer is not None:
                    self._finalizer.detach()
                self._finalizer = None
                self._loop = None
                self._client = self._make_client()
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name=f"gateway-client {self.base_url}", daemon=True
                )
                thread.start()
                self._loop = loop
                # Stops the loop even when close() is forgotten: on garbage collection, at exit.
                self._finalizer = weakref.finalize(self, _shut_down, self._client, loop, thread)
            return self._loop

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._running_loop()).result()

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
            if self._loop is not None:
                self._run(_close(records))

    def order(self, uuid: str) -> OrderSummary:
        """See :meth:`GatewayClient.order`."""
        return self._run(self._client.order(uuid))

    def statistics(self, target_time: int | None = None) -> Statistics:
        """See :meth:`GatewayClient.statistics`."""
        return self._run(self._client.statistics(target_time))


def _shut_down(
    client: GatewayClient, loop: asyncio.AbstractEventLoop, thread: threading.Thread
) -> None:
    """Close the client's session on its loop, then stop the loop and its thread."""
    if threading.current_thread() is thread:
        # Collected on the loop's own thread: waiting for the loop here would wait forever.
        loop.call_soon(loop.stop)
        return
    try:
        asyncio.run_coroutine_threadsafe(client.close(), loop).result(_SHUTDOWN_SECONDS)
        # Finish history iterations abandoned half way, so nothing is left suspended.
        asyncio.run_coroutine_threadsafe(loop.shutdown_asyncgens(), loop).result(_SHUTDOWN_SECONDS)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_SHUTDOWN_SECONDS)
        if not thread.is_alive():
            loop.close()


async def _next(records: AsyncGenerator[T, None]) -> T:
    return await records.__anext__()


async def _close(records: AsyncGenerator[T, None]) -> None:
    await records.aclose()
