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
    gateway = models.ForeignKey(
        "gateways.Gateway", on_delete=models.CASCADE, related_name="events"
    )
    data = models.JSONField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["site", "id"], name="event_site_cursor")]

    def __str__(self) -> str:
        return f"event {self.pk} {self.type}"
