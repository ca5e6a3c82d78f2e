"""Celery tasks for gateways: thin, take IDs, safe to run twice; the rules are in services."""

from __future__ import annotations

from celery import shared_task

from gateways import services
from gateways.models import Gateway, Site


@shared_task(ignore_result=True)
def discover_gateways(*site_ids: int) -> int:
    """Browse the LAN these sites share; returns how many gateways answered."""
    sites = list(Site.objects.filter(pk__in=site_ids, discovery_enabled=True).order_by("pk"))
    return len(services.discover_for(sites))


@shared_task(ignore_result=True)
def discover_all_sites() -> None:
    """One browse per worker queue: the sites served by one worker share its LAN."""
    by_queue: dict[str, list[int]] = {}
    for site in Site.objects.filter(discovery_enabled=True).order_by("pk"):
        by_queue.setdefault(site.worker_queue, []).append(site.pk)
    for queue, site_ids in by_queue.items():
        discover_gateways.apply_async(site_ids, **({"queue": queue} if queue else {}))


@shared_task(ignore_result=True)
def pair_gateway(attempt_id: int) -> str:
    return services.run_pairing(attempt_id).outcome


@shared_task(ignore_result=True)
def check_site_health(site_id: int) -> int:
    """Probe a site's gateways at once (not those the relay hears); returns how many are alive."""
    return services.check_scheduled(Gateway.objects.filter(site_id=site_id))


@shared_task(ignore_result=True)
def check_all_health() -> None:
    for site in Site.objects.filter(gateways__isnull=False).distinct():
        check_site_health.apply_async((site.pk,), **site.task_options())
