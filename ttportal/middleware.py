"""Keeping each request's middleware in one thread.

Under ASGI, Django runs every middleware that *can* run async in async mode, and Django's own
middlewares (``MiddlewareMixin``) then hand each ``process_request`` and ``process_response`` to
a thread and back: with one sync-only middleware (WhiteNoise) in the chain, a request crossed
between the event loop and its thread about twenty times. Each crossing costs a wake-up of each
side and a turn at the GIL; together they were about a fifth of the CPU of the cheapest API
request (bench/README.md, ``bench.api``'s floor). Django's docs say the same of a mixed chain:
sync middleware means a thread per request anyway.

This middleware does nothing but declare itself sync-only. Placed innermost (last in
``MIDDLEWARE``), it makes Django choose sync mode for every middleware above it, so the whole
chain runs in the request's one thread; the views are synchronous too.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase


class OneThreadPerRequest:
    """Pass-through; sync-only on purpose (see the module's docstring)."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)
