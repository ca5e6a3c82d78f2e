"""Health and Prometheus metrics, for load balancers and monitoring.

``/healthz`` says whether this web process can serve (it answers, and its database does).
``/metrics`` is read at scrape time from the database and the broker, so every web process
reports the same figures and none needs to be told about the others.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import cast

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from gateways.models import Gateway


def health(request: HttpRequest) -> JsonResponse:
    """200 when this process and its database answer; 503 otherwise (take it out of rotation)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any database failure means "do not send me traffic"
        return JsonResponse({"status": "unavailable", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok"})


class PortalCollector(Collector):
    """Gateways by status, relay freshness and lag, active orders, history pull checkpoints,
    broker queue depth."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield self._gateways_by_status()
        yield from self._relay()
        yield self._active_orders()
        yield from self._history_pulls()
        depth = self._queue_depth()
        if depth is not None:
            yield depth

    def _gateways_by_status(self) -> GaugeMetricFamily:
        family = GaugeMetricFamily(
            "ttportal_gateways", "Gateways by status.", labels=["site", "status"]
        )
        rows = Gateway.objects.values("site__name", "status").annotate(n=Count("id"))
        for row in rows:
            family.add_metric([row["site__name"], row["status"]], row["n"])
        return family

    def _relay(self) -> Iterator[GaugeMetricFamily]:
        heard = GaugeMetricFamily(
            "ttportal_relay_heard_age_seconds",
            "Seconds since the relay last had an event from each paired gateway.",
            labels=["gateway"],
        )
        lag = GaugeMetricFamily(
            "ttportal_relay_lag_seconds",
            "Gateway's change time to the relay's receipt, last measured (clock skew included).",
            labels=["gateway"],
        )
        now = timezone.now()
        for gateway in Gateway.objects.paired().only("name", "relay_heard", "relay_lag_ms"):
            if gateway.relay_heard is not None:
                age = (now - gateway.relay_heard).total_seconds()
                heard.add_metric([gateway.name], age)
            if gateway.relay_lag_ms is not None:
                lag.add_metric([gateway.name], gateway.relay_lag_ms / 1000)
        yield heard
        yield lag

    def _active_orders(self) -> GaugeMetricFamily:
        from orders.models import ActiveOrder

        family = GaugeMetricFamily(
            "ttportal_active_orders", "Orders waiting, per site.", labels=["site"]
        )
        rows = ActiveOrder.objects.values("gateway__site__name").annotate(n=Count("id"))
        for row in rows:
            family.add_metric([row["gateway__site__name"]], row["n"])
        return family

    def _history_pulls(self) -> Iterator[GaugeMetricFamily]:
        """How far each gateway's history copy lags: the two-week purge loses what it misses."""
        from orders.models import PullCheckpoint

        success = GaugeMetricFamily(
            "ttportal_pull_last_success_age_seconds",
            "Seconds since the gateway's history was last copied completely.",
            labels=["gateway"],
        )
        stored = GaugeMetricFamily(
            "ttportal_pull_checkpoint_age_seconds",
            "Age of the newest order start stored from the gateway's history.",
            labels=["gateway"],
        )
        now = timezone.now()
        for checkpoint in PullCheckpoint.objects.select_related("gateway"):
            name = checkpoint.gateway.name
            if checkpoint.last_success is not None:
                success.add_metric([name], (now - checkpoint.last_success).total_seconds())
            if checkpoint.stored_through is not None:
                stored.add_metric([name], (now - checkpoint.stored_through).total_seconds())
        yield success
        yield stored

    def _queue_depth(self) -> GaugeMetricFamily | None:
        """Tasks waiting in the Redis broker's default queue (the single box has no broker)."""
        if not settings.REDIS_URL or not settings.CELERY_BROKER_URL.startswith("redis"):
            return None
        import redis

        client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        try:
            queue = settings.CELERY_TASK_DEFAULT_QUEUE
            # The sync client answers at once; its stubs also allow the asyncio client's type.
            depth = cast(int, client.llen(f"{settings.TTPORTAL_REDIS_PREFIX}:{queue}"))
        finally:
            client.close()
        family = GaugeMetricFamily(
            "ttportal_queue_depth", "Tasks waiting in the broker.", labels=["queue"]
        )
        family.add_metric([queue], float(depth))
        return family


_registry = CollectorRegistry(auto_describe=False)
_registry.register(PortalCollector())


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, never for anyone: it names every site and gateway.

    With TTPORTAL_METRICS_TOKEN set, only for that bearer token (Prometheus); without it, only
    for a superuser's session (403 for everyone else), so a fresh box exposes nothing.
    """
    expected = settings.TTPORTAL_METRICS_TOKEN
    if expected:
        if not _bearer_token_matches(request, expected):
            return HttpResponse(
                "metrics need the bearer token\n", status=401, content_type="text/plain"
            )
    elif not request.user.is_active or not request.user.is_superuser:
        return HttpResponse(
            "metrics are for superusers, or set TTPORTAL_METRICS_TOKEN\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(generate_latest(_registry), content_type=CONTENT_TYPE_LATEST)


def _bearer_token_matches(request: HttpRequest, expected: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Compared in constant time, so the answer's timing tells nothing about the token.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode()
    )
