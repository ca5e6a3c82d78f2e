"""The webhook endpoints and their delivery log, for the portal's administrators.

Endpoints and deliveries belong to API keys, which are back-office business: only superusers
see them. An endpoint's secret is never a field here (it was shown once, to its plugin); a
delivery can be sent again, through the same service as the retries.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from orders.models import WebhookDelivery, WebhookEndpoint
from orders.services import webhooks


class SuperuserOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made through the API, where the plugin is shown its secret


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(SuperuserOnlyAdmin):
    list_display = ["url", "api_key", "enabled", "disabled_reason", "created"]
    list_filter = ["enabled"]
    search_fields = ["url", "description", "api_key__name", "api_key__prefix"]
    fields = ["api_key", "url", "event_types", "description", "enabled", "disabled_reason"]
    readonly_fields = ["api_key", "url", "event_types", "disabled_reason"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(SuperuserOnlyAdmin):
    list_display = [
        "message_id", "event_type", "endpoint", "state", "attempts", "last_status",
        "last_error", "last_attempt_at", "next_attempt_at", "delivered_at",
    ]  # fmt: skip
    list_filter = ["state", "event__type", "endpoint"]
    search_fields = ["message_id", "endpoint__url"]
    actions = ["send_again"]
    readonly_fields = [
        "endpoint", "event", "message_id", "state", "attempts", "next_attempt_at",
        "last_attempt_at", "last_status", "last_error", "delivered_at", "created",
    ]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("endpoint", "event")

    @admin.display(description="event")
    def event_type(self, delivery: WebhookDelivery) -> str:
        return delivery.event.type

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_send_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    @admin.action(description="Send again", permissions=["send"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        sent = sum(webhooks.send_again(delivery) for delivery in queryset)
        skipped = queryset.count() - sent
        self.message_user(request, f"{sent} deliveries will be sent again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} not sent: their endpoint is disabled (enable it first).",
                messages.WARNING,
            )
