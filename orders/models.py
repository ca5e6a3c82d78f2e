"""The live mirror of each gateway's active orders, and the audit trail of what people did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from gateways.models import Gateway
from orders.event_models import Event, WebhookDelivery, WebhookEndpoint
from ttgateway.protocol import OrderState, OrderType
from ttportal.sqlnames import Names

__all__ = [
    "ActiveOrder",
    "AuditEntry",
    "Event",
    "OrderRecord",
    "PullCheckpoint",
    "WebhookDelivery",
    "WebhookEndpoint",
]

# An order this close to its site's delivery target is "near": time to look at it.
NEAR_TARGET_SHARE = 0.8


class ActiveOrder(models.Model):
    """One order waiting for its food on one gateway, as the gateway last described it.

    The gateway's own fields come first; the ``*_seen`` times are when the portal saw each step,
    kept because the gateway reports only the latest state change.
    """

    class Type(models.TextChoices):
        ON_PREMISES = OrderType.ON_PREMISES.value, "Eat in"
        TO_GO = OrderType.TO_GO.value, "To go"

    class State(models.TextChoices):
        STARTED = OrderState.STARTED.value, "Waiting for a table"
        LOCATED = OrderState.LOCATED.value, "At a table"

    gateway = models.ForeignKey(Gateway, on_delete=models.CASCADE, related_name="active_orders")
    uuid = models.UUIDField()
    name = models.CharField("number", max_length=16)
    order_type = models.CharField(max_length=16, choices=Type.choices)
    location = models.CharField("table", max_length=16, blank=True)
    state = models.CharField(max_length=16, choices=State.choices)
    state_changed = models.DateTimeField()
    created = models.DateTimeField()
    paged = models.BooleanField(default=False)
    first_seen = models.DateTimeField(default=timezone.now)
    located_seen = models.DateTimeField(null=True, blank=True)
    paged_seen = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(auto_now=True)
    # Counts the changes plugins were told of (events), so they can drop a stale one.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["created", "name"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "uuid"], name="one_mirror_row_per_order")
        ]

    def __str__(self) -> str:
        return f"order {self.name} on {self.gateway.name}"

    def elapsed_seconds(self, now: datetime | None = None) -> int:
        return max(0, int(((now or timezone.now()) - self.created).total_seconds()))


class AuditEntry(models.Model):
    """Who did what to which order, from where, and what the gateway answered."""

    class Result(models.TextChoices):
        OK = "ok", "Done"
        REFUSED = "refused", "Refused"
        FAILED = "failed", "Gateway unreachable"

    class Via(models.TextChoices):
        BOARD = "board", "Board"
        ADMIN = "admin", "Admin"
        API = "api", "POS API"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    gateway = models.ForeignKey(Gateway, on_delete=models.CASCADE, related_name="audit_entries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    api_key = models.ForeignKey(
        "gateways.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
        help_text="the POS plugin's key that acted, when it came through the API",
    )
    actor = models.CharField(max_length=150, help_text="the person or API key, as shown")
    via = models.CharField(max_length=16, choices=Via.choices)
    action = models.CharField(max_length=32)
    order_name = models.CharField(max_length=16, blank=True)
    details = models.JSONField(default=dict, blank=True)
    result = models.CharField(max_length=16, choices=Result.choices)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.order_name}"


class OrderRecord(models.Model):
    """A finished order, kept as long as the site wants (the gateway forgets after two weeks).

    Times are stored in UTC and shown in the site's time zone. ``delivery_seconds`` (start to
    clear: the tracker is collected when the food arrives) and ``time_to_sit_seconds`` (start to
    table) are derived once, when the record is written, so analytics aggregate plain columns.
    """

    class ClearedBy(models.TextChoices):
        TRACKER = "tracker", "Tracker on a clearing unit"
        PORTAL = "portal", "Cleared from the portal"
        AUTOMATIC = "automatic", "Cleared automatically"
        UNKNOWN = "unknown", "Unknown"

    uuid = models.UUIDField(unique=True)
    gateway = models.ForeignKey(Gateway, on_delete=models.CASCADE, related_name="order_records")
    site = models.ForeignKey(
        "gateways.Site", on_delete=models.CASCADE, related_name="order_records"
    )
    name = models.CharField("number", max_length=16)
    order_type = models.CharField(max_length=16, choices=ActiveOrder.Type.choices)
    location = models.CharField("table", max_length=16, blank=True)
    started = models.DateTimeField()
    located = models.DateTimeField(null=True, blank=True)
    cleared = models.DateTimeField(null=True, blank=True)
    delivery_seconds = models.PositiveIntegerField(null=True, blank=True)
    time_to_sit_seconds = models.PositiveIntegerField(null=True, blank=True)
    paged = models.BooleanField(default=False)
    cleared_by = models.CharField(
        max_length=16, choices=ClearedBy.choices, default=ClearedBy.UNKNOWN
    )
    seen_live = models.BooleanField(default=False, help_text="The relay saw it while active.")
    confirmed = models.BooleanField(default=False, help_text="The history pull returned it.")
    updated = models.DateTimeField(auto_now=True)
    sequence = models.BigIntegerField(
        default=0,
        db_index=True,
        help_text="Given anew at every write, in commit order (the API's sync cursor).",
    )

    class Meta:
        ordering = ["-started", "uuid"]
        indexes = [
            models.Index(fields=["site", "started"]),
            models.Index(fields=["gateway", "started"]),
            models.Index(fields=["site", "cleared"]),
        ]

    def __str__(self) -> str:
        return f"order {self.name} of {self.started:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Every write takes the next sequence number (bulk writes and ``update()`` take
        theirs from :meth:`HistoryCounter.take` themselves)."""
        # No savepoint of its own inside the caller's transaction (the relay files a cleared
        # order inside one): a savepoint is two more statements, and a failed write fails the
        # caller's transaction anyway.
        with transaction.atomic(savepoint=False):
            self.sequence = HistoryCounter.take()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "sequence"}
            super().save(*args, **kwargs)

    def derive(self) -> None:
        """Recompute the derived durations from the times."""
        self.delivery_seconds = _seconds_between(self.started, self.cleared)
        self.time_to_sit_seconds = _seconds_between(self.started, self.located)


def _seconds_between(start: datetime, end: datetime | None) -> int | None:
    if end is None:
        return None
    return max(0, int((end - start).total_seconds()))


class HistoryCounter(models.Model):
    """The last sequence number given to a history record (one row).

    A writer locks this row to take numbers and keeps the lock until it commits, so records
    become visible in the order of their numbers: a reader at ``sequence > 41`` can never see 42
    while 41 is still to come (a database sequence would hand numbers out of commit order).
    """

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"history sequence at {self.value}"

    @classmethod
    def take(cls, count: int = 1) -> int:
        """Take ``count`` numbers and return the first, inside the writing transaction: the
        counter stays locked until that transaction ends."""
        connection = transaction.get_connection()
        if not connection.in_atomic_block:
            raise RuntimeError("history sequence numbers are taken inside the writing transaction")
        last = cls._advance(connection, count)
        if last is None:  # a database the data migration did not number
            HistoryCounter.objects.bulk_create([HistoryCounter(pk=1)], ignore_conflicts=True)
            last = cls._advance(connection, count)
            assert last is not None
        return last - count + 1

    @classmethod
    def _advance(cls, connection: Any, count: int) -> int | None:
        """``value += count`` and its new value, in one statement.

        Written by hand because every order the relay files takes a number: the ORM's locked
        read and save were two compiled queries (bench/README.md, issue 14). ``UPDATE ...
        RETURNING`` locks the row until the transaction ends on PostgreSQL, as the locked read
        did; on SQLite (3.35 or later) the writing transaction holds the database's one lock.
        """
        names = Names(connection.alias)
        value = names.column(cls, "value")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {names.table(cls)} SET {value} = {value} + %s "  # noqa: S608
                f"WHERE {names.pk(cls)} = 1 RETURNING {value}",
                [count],
            )
            row = cursor.fetchone()
        return None if row is None else int(row[0])


class PullCheckpoint(models.Model):
    """Where the history pull of one gateway stands, and who is pulling it right now.

    ``stored_through`` is the ``orderStarted`` of the newest order a committed page stored, held
    back to the oldest order still active when the run began (it reaches history only once it
    clears). The next run re-reads from a little before it. ``lease_owner`` / ``lease_expires``
    let exactly one worker pull a gateway at a time; a lease left by a dead worker expires.
    """

    gateway = models.OneToOneField(Gateway, on_delete=models.CASCADE, related_name="history_pull")
    stored_through = models.DateTimeField(null=True, blank=True)
    last_run = models.DateTimeField(null=True, blank=True)
    last_success = models.DateTimeField(
        null=True, blank=True, help_text="When a run last read the gateway's history to its end."
    )
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    behind_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How far behind the last run left the copy: 0 when it read it all.",
    )
    orders_last_run = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=36, blank=True)
    lease_expires = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"history pull of {self.gateway.name}"
