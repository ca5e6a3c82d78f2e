"""The Django admin for sites, people's roles, gateways and tokens, scoped like the portal.

A staff member who is not a superuser sees only the sites they belong to, and changes only
those they manage. Tokens are listed, never shown: the sealed value is not even a field here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from gateways.models import (
    AccessToken,
    DeviceConflict,
    Gateway,
    Membership,
    PairingAttempt,
    Site,
    StatusChange,
)
from gateways.outbound import DestinationRefused, check_gateway_address


class SiteScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Limits rows to the sites the user may see, and changes to the sites they manage."""

    site_field = "site"  # the lookup from a row to its site

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.site_field}__in": Site.objects.visible_to(request.user)})

    def site_id_of(self, obj: Any) -> int:
        return int(obj.site_id)

    def _manages(self, request: HttpRequest, obj: Any) -> bool:
        if request.user.is_superuser:
            return True
        managed = Site.objects.managed_by(request.user)
        return managed.exists() if obj is None else managed.filter(pk=self.site_id_of(obj)).exists()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._manages(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._manages(request, obj)


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Site)
class SiteAdmin(SiteScopedAdmin):
    site_field = "pk"
    list_display = ["name", "time_zone", "target_seconds", "discovery_enabled", "worker_queue"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return Site.objects.visible_to(request.user)

    def site_id_of(self, obj: Any) -> int:
        return int(obj.pk)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)


class StatusChangeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = StatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["at", "status", "detail"]
    ordering = ["-at"]
    max_num = 0


class AccessTokenInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AccessToken
    extra = 0
    can_delete = False
    fields = ("name", "created", "last_used", "revoked")
    readonly_fields = ("name", "created", "last_used", "revoked")
    max_num = 0


class DeviceConflictInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DeviceConflict
    extra = 0
    fields = readonly_fields = ("host", "port", "said", "first_seen", "last_seen", "times")
    max_num = 0


@admin.register(DeviceConflict)
class DeviceConflictAdmin(SiteScopedAdmin):
    """Devices that answered for a gateway without proving to be it. Delete one once explained
    (a second demo, a replaced unit: pair the new unit from the gateway's page)."""

    site_field = "gateway__site"
    list_display = ["gateway", "host", "port", "said", "first_seen", "last_seen", "times"]
    readonly_fields = ["gateway", "host", "port", "said", "first_seen", "last_seen", "times"]

    def site_id_of(self, obj: Any) -> int:
        return int(obj.gateway.site_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # recorded by the portal only


class GatewayAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """An address typed in the admin obeys the same outbound rule as "add by address"."""

    class Meta:
        model = Gateway
        fields = ["site", "name", "service_name", "host", "port"]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if {"host", "port"} & set(self.changed_data) and data.get("host") and data.get("port"):
            try:
                check_gateway_address(data["host"], data["port"])
            except DestinationRefused as refused:
                raise ValidationError(str(refused)) from None
        return data


@admin.register(Gateway)
class GatewayAdmin(SiteScopedAdmin):
    form = GatewayAdminForm
    list_display = ["name", "site", "status", "host", "port", "last_seen", "firmware"]
    list_filter = ["status", "site"]
    search_fields = ["name", "service_name", "host"]
    readonly_fields = [
        "status",
        "status_changed",
        "reachable",
        "last_seen",
        "last_error",
        "token_checked",
        "model",
        "firmware",
        "serial",
        "device_name",
        "created",
    ]
    inlines = [AccessTokenInline, DeviceConflictInline, StatusChangeInline]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "site":
            kwargs["queryset"] = Site.objects.managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(PairingAttempt)
class PairingAttemptAdmin(SiteScopedAdmin):
    site_field = "gateway__site"
    list_display = ["gateway", "started", "outcome", "started_by", "polls"]
    list_filter = ["outcome"]
    readonly_fields = [
        "gateway", "started_by", "started", "deadline", "finished", "outcome", "message", "polls"
    ]  # fmt: skip

    def site_id_of(self, obj: Any) -> int:
        return int(obj.gateway.site_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # pairing starts from the gateway's page, where the button is explained


from gateways import admin_keys  # noqa: E402, F401 - registers the API keys
