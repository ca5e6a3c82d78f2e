"""Under ASGI, a request's middleware runs as one synchronous chain (ttportal.middleware).

Without the innermost sync-only middleware, Django runs each of its own middlewares in async
mode, handing every ``process_request`` and ``process_response`` to a thread and back: a
middleware's hook then runs on a fresh stack, with none of the middlewares around it on it.
In one chain, every middleware listed before it is on the stack, calling it.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from django.conf import settings
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.test import AsyncClient
from django.utils.module_loading import import_string

pytestmark = pytest.mark.django_db(transaction=True)


def middlewares_on_the_stack() -> set[type]:
    found = set()
    for frame in inspect.stack():
        owner = frame.frame.f_locals.get("self")
        if owner is not None and type(owner).__module__.split(".")[0] in {
            "django",
            "whitenoise",
            "csp",
            "axes",
            "ttportal",
        }:
            found.add(type(owner))
    return found


async def test_every_middleware_of_a_request_runs_in_one_chain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[set[type]] = []
    original = XFrameOptionsMiddleware.process_response

    def recording(self: XFrameOptionsMiddleware, request: Any, response: Any) -> Any:
        seen.append(middlewares_on_the_stack())
        return original(self, request, response)

    monkeypatch.setattr(XFrameOptionsMiddleware, "process_response", recording)
    response = await AsyncClient(headers={"host": "127.0.0.1"}).get("/healthz")

    assert response.status_code in {200, 503}
    names = list(settings.MIDDLEWARE)
    outer = [
        import_string(path)
        for path in names[: names.index("django.middleware.clickjacking.XFrameOptionsMiddleware")]
    ]
    assert seen, "the request did not reach the middleware"
    missing = [cls.__name__ for cls in outer if cls not in seen[0]]
    assert missing == []
