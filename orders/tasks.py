"""Celery tasks for orders: thin, take IDs, safe to run twice; the rules are in services.

A failed pull is not retried by Celery: beat runs every gateway's pull again within
``TTPORTAL_PULL_EVERY_SECONDS``, and each run resumes from the last committed page.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from gateways.models import Gateway
from orders.services import events, pull, webhooks


@shared_task(ignore_result=True)
def pull_gateway_history(gateway_id: int) -> str:
    """Copy a gateway's new history; returns the outcome ("done", "busy", "failed"...)."""
    return pull.pull_gateway(gateway_id).outcome.value


@shared_task(ignore_result=True)
def pull_all_history() -> None:
    """One pull per paired gateway, by a worker that reaches its LAN; stale ones are dropped."""
    for gateway in Gateway.objects.paired().select_related("site"):
        pull_gateway_history.apply_async(
            (gateway.pk,),
            expires=settings.TTPORTAL_PULL_EVERY_SECONDS,
            **gateway.site.task_options(),
        )


@shared_task(ignore_result=True)
def purge_old_events() -> int:
    """Forget events past the retention; hourly, so the feed never keeps much more than 30 days."""
    return events.purge()


@shared_task(ignore_result=True)
def send_webhook(delivery_id: int) -> str:
    """One attempt of one webhook delivery; a second run of the same attempt sends nothing."""
    return webhooks.attempt(delivery_id)


@shared_task(ignore_result=True)
def send_due_webhooks() -> int:
    """Hand out again the attempts whose task was lost (a dead worker, a restarted broker)."""
    return webhooks.send_due()
