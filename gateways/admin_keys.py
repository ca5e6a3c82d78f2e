"""POS plugins' API keys in the admin: created with the key shown once, revoked, never shown again.

A manager who is not a superuser sees and issues keys only for the sites they manage.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework_api_key.models import APIKey

from gateways.models import ApiKey, Site

# The library's own concrete key model is installed with it but unused: only ours is shown.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["prefix", "name", "access", "site_names", "created", "last_used", "revoked"]
    list_filter = ["access", "revoked", "sites"]
    search_fields = ["name", "prefix"]
    fields = ["name", "sites", "access", "expiry_date", "revoked", "prefix", "created_by"]
    filter_horizontal = ["sites"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = ("prefix", "created_by")
        if obj is not None and obj.revoked:  # a revoked key stays as it was when revoked
            return (*fields, "name", "sites", "access", "expiry_date", "revoked")
        return fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        keys = super().get_queryset(request).prefetch_related("sites")
        if request.user.is_superuser:
            return keys
        return keys.filter(sites__in=Site.objects.managed_by(request.user)).distinct()

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "sites":
            kwargs["queryset"] = Site.objects.managed_by(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: Any, form: Any = None, change: bool = False
    ) -> None:
        if change:
            obj.save()
            return
        obj.created_by = request.user
        secret = ApiKey.objects.assign_key(obj)  # only its hash is stored
        obj.save()
        messages.warning(
            request,
            f"The API key for {obj.name} is: {secret} — copy it now: it will not be shown again.",
        )

    @admin.display(description="sites")
    def site_names(self, key: ApiKey) -> str:
        return ", ".join(site.name for site in key.sites.all())

    @admin.action(description="Revoke the selected keys (cannot be undone)")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = queryset.filter(revoked=False).update(revoked=True)
        self.message_user(request, f"{count} key(s) revoked.", messages.SUCCESS)
