"""The event log plugins read: every change of the mirror and of gateway status, in order.

Imported by ``orders.models`` so that Django finds the models; kept apart because the event
log is its own concept (the feed, the stream and webhooks all read it).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Event(models.Model):
    """One change, as a plugin sees it: a dotted ``type`` and the object as it became.

    ``id`` is the feed's cursor. Ids are drawn under the event writer lock
    (``ttportal.eventlock``), so they increase in commit order and a reader never skips one.
    ``data`` is the object (an order or a gateway) frozen at the moment of the change.
    """

    class Type(models.TextChoices):
        ORDER_CREATED = "order.created"
        ORDER_LOCATED = "order.located"
        ORDER_MODIFIED = "order.modified"
        ORDER_PAGED = "order.paged"
        ORDER_CLEARED = "order.cleared"
        GATEWAY_ONLINE = "gateway.online"
        GATEWAY_OFFLINE = "gateway.offline"
        GATEWAY_NEEDS_PAIRING = "gateway.needs_pairing"

    id = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=32, choices=Type.choices)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    site = models.ForeignKey("gateways.Site", on_delete=models.CASCADE, related_name="events")
    gateway = models.ForeignKey("gateways.Gateway", on_delete=models.CASCADE, related_name="events")
    data = models.JSONField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["site", "id"], name="event_site_cursor")]

    def __str__(self) -> str:
        return f"event {self.pk} {self.type}"


class WebhookEndpoint(models.Model):
    """Where an API key wants its events pushed, signed per Standard Webhooks 1.0.

    The signing secret (``whsec_...``) is shown once when the endpoint is made. Unlike the
    key it must be *used*, not only checked, so it is sealed (``gateways.crypto``), not hashed.
    """

    api_key = models.ForeignKey(
        "gateways.ApiKey", on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=2048)
    event_types = models.JSONField(
        default=list, blank=True, help_text="Event types to send; empty sends every type."
    )
    description = models.CharField(max_length=200, blank=True)
    secret_sealed = models.TextField(editable=False)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"webhook {self.pk} of {self.api_key_id}: {self.url}"

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    """One event owed to one endpoint: its attempts so far and what the receiver answered.

    ``message_id`` (the ``webhook-id`` header) is the same on every attempt, so a receiver can
    drop a repeat. A worker claims an attempt with a conditional update (``claimed_until``),
    so two workers never send the same attempt.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up after every retry"
        CANCELLED = "cancelled", "Endpoint disabled"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="one_delivery_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} to {self.endpoint.url}"
