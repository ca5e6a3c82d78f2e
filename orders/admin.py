"""The admin for active orders, the audit trail and history, scoped to a person's sites.

Active orders are the gateways' own: the admin cannot edit or delete a row, only ask the gateway
through the same commands as the board ("Page", "Clear"), as the person, via the admin.
Audit entries and history records are read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest

from gateways.admin import SiteScopedAdmin
from gateways.models import Gateway
from orders import admin_webhooks  # noqa: F401 - registers the webhooks' admin
from orders.models import ActiveOrder, AuditEntry, OrderRecord, PullCheckpoint
from orders.services import commands
from orders.services.commands import Actor, Outcome


class ReadOnlyScopedAdmin(SiteScopedAdmin):
    """Rows to look at and filter, never to add, change or delete by hand."""

    site_field = "gateway__site"

    def site_id_of(self, obj: Any) -> int:
        return int(obj.gateway.site_id)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _on_each(
    modeladmin: ActiveOrderAdmin,
    request: HttpRequest,
    queryset: QuerySet[ActiveOrder],
    command: Callable[[Gateway, Actor, str], Outcome],
) -> None:
    """Run a command per order the person manages; report each answer as the gateway gave it."""
    assert isinstance(request.user, User)
    actor = Actor.person(request.user, via=AuditEntry.Via.ADMIN)
    managed = set(Gateway.objects.managed_by(request.user).values_list("pk", flat=True))
    for order in queryset.select_related("gateway"):
        if order.gateway_id not in managed:
            modeladmin.message_user(
                request,
                f"Order {order.name}: only a manager of its site can do that.",
                messages.ERROR,
            )
            continue
        outcome = command(order.gateway, actor, order.name)
        text = f"Order {order.name} on {order.gateway.name}: " + " ".join(
            filter(None, [outcome.message, outcome.warning])
        )
        modeladmin.message_user(request, text, messages.SUCCESS if outcome.ok else messages.ERROR)


@admin.register(ActiveOrder)
class ActiveOrderAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "name",
        "location",
        "order_type",
        "state",
        "paged",
        "gateway",
        "created",
        "waited",
    ]
    list_filter = ["state", "order_type", "paged", "gateway__site", "gateway"]
    search_fields = ["name", "location"]
    ordering = ["created"]
    actions = ["page", "clear"]
    readonly_fields = [
        "gateway", "uuid", "name", "order_type", "location", "state", "state_changed", "created",
        "paged", "first_seen", "located_seen", "paged_seen", "updated",
    ]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("gateway__site")

    @admin.display(description="waited")
    def waited(self, order: ActiveOrder) -> str:
        minutes, seconds = divmod(order.elapsed_seconds(), 60)
        return f"{minutes}:{seconds:02d}"

    def has_manage_permission(self, request: HttpRequest) -> bool:
        """Actions are for managers: a viewer sees the orders but no button."""
        return Gateway.objects.managed_by(request.user).exists()

    @admin.action(description="Page the selected orders", permissions=["manage"])
    def page(self, request: HttpRequest, queryset: QuerySet[ActiveOrder]) -> None:
        _on_each(self, request, queryset, commands.page_order)

    @admin.action(description="Clear the selected orders", permissions=["manage"])
    def clear(self, request: HttpRequest, queryset: QuerySet[ActiveOrder]) -> None:
        _on_each(self, request, queryset, commands.delete_order)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyScopedAdmin):
    list_display = ["at", "actor", "via", "action", "order_name", "gateway", "result", "message"]
    list_filter = ["result", "via", "action", "gateway__site", "gateway"]
    search_fields = ["actor", "order_name", "message"]
    date_hierarchy = "at"


@admin.register(OrderRecord)
class OrderRecordAdmin(ReadOnlyScopedAdmin):
    site_field = "site"
    list_display = [
        "name", "site", "gateway", "order_type", "location", "started", "cleared",
        "delivery_seconds", "time_to_sit_seconds", "paged", "cleared_by",
    ]  # fmt: skip
    list_filter = ["site", "cleared_by", "order_type", "paged", "seen_live", "confirmed"]
    search_fields = ["name", "location", "uuid"]
    date_hierarchy = "started"

    def site_id_of(self, obj: Any) -> int:
        return int(obj.site_id)


@admin.register(PullCheckpoint)
class PullCheckpointAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "gateway", "stored_through", "last_run", "last_success", "behind_seconds",
        "orders_last_run", "last_error",
    ]  # fmt: skip
    list_filter = ["gateway__site"]
