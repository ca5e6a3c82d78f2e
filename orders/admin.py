"""The admin for active orders, the audit trail and history, scoped to a person's sites.

Active orders are the gateways' own: the admin never writes a row itself. Adding one starts an
order, changing its table locates it, deleting it clears it, and "Page" and "Clear" page and
clear: each through the same command service as the board (the gateway's validation, the
mirror updated from its answer, an audit entry), as the person, ``via="admin"``. A refusal is
shown next to the field it is about, in the board's words. Audit entries and history records
are read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from gateways.admin import SiteScopedAdmin
from gateways.models import Gateway
from orders import admin_webhooks  # noqa: F401 - registers the webhooks' admin
from orders.models import ActiveOrder, AuditEntry, OrderRecord, PullCheckpoint
from orders.services import commands, wording
from orders.services.commands import Actor, Outcome
from ttgateway.protocol import MAX_NUMBER_DIGITS


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
        said = wording.explain(outcome, order.gateway.name, order.name)
        text = f"Order {order.name} on {order.gateway.name}: " + " ".join(
            filter(None, [said.message, said.warning])
        )
        modeladmin.message_user(request, text, messages.SUCCESS if outcome.ok else messages.ERROR)


# The board's field names, as the admin's forms call them.
ADMIN_FIELD = {"name": "name", "table": "location", "order_type": "order_type"}


def _number_input() -> forms.TextInput:
    return forms.TextInput(attrs={"maxlength": MAX_NUMBER_DIGITS, "inputmode": "numeric"})


class OrderCommandForm(forms.ModelForm):  # type: ignore[type-arg]
    """A form whose saving is a command to the gateway, run when the form is checked.

    Running it in ``clean`` is what puts the gateway's refusal next to the field it is about;
    the row is then the mirror's, written from the gateway's answer, never from the form.
    """

    actor: Actor  # set per request by the admin
    outcome: Outcome | None = None
    said: wording.Said | None = None

    def _post_clean(self) -> None:
        # No model validation: the gateway is the judge, and the mirror writes the row.
        pass

    def run(self) -> Outcome:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        outcome = self.run()
        gateway = data.get("gateway") or self.instance.gateway
        said = wording.explain(outcome, gateway.name, data.get("name") or self.instance.name)
        if not outcome.ok:
            self.add_error(ADMIN_FIELD.get(said.field or ""), said.message)
        else:
            self.outcome, self.said = outcome, said
        return data


class StartOrderForm(OrderCommandForm):
    """Start an order (at a table when the guest is seated)."""

    class Meta:
        model = ActiveOrder
        fields = ["gateway", "name", "order_type", "location"]
        widgets = {"name": _number_input(), "location": _number_input()}
        help_texts = {"location": "Leave empty when the guest is not seated yet."}
        error_messages = {
            "name": {"max_length": f"An order number is {wording.NUMBER_RULE}."},
            "location": {"max_length": f"A table is {wording.NUMBER_RULE}."},
        }

    def run(self) -> Outcome:
        data = self.cleaned_data
        return commands.start_order(
            data["gateway"], self.actor, data["name"], data["order_type"], data.get("location")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.outcome is not None and self.outcome.order is None:  # "Order already started."
            self.add_error("name", self.outcome.message)
        return data


class LocateOrderForm(OrderCommandForm):
    """Put the order at a table."""

    class Meta:
        model = ActiveOrder
        fields = ["location"]
        widgets = {"location": _number_input()}
        error_messages = {"location": {"max_length": f"A table is {wording.NUMBER_RULE}."}}

    def run(self) -> Outcome:
        order = self.instance
        table = self.cleaned_data.get("location") or ""
        return commands.locate_order(order.gateway, self.actor, order.name, table)


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
    readonly = [
        "gateway", "uuid", "name", "order_type", "state", "state_changed", "created",
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

    # Starting, locating and clearing are commands for the managers of the order's site.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin.ModelAdmin.has_add_permission(self, request) and self._manages(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return SiteScopedAdmin.has_change_permission(self, request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return SiteScopedAdmin.has_delete_permission(self, request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else self.readonly

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return list(StartOrderForm.Meta.fields) if obj is None else [*self.readonly, "location"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = LocateOrderForm if obj is not None else StartOrderForm
        kwargs["fields"] = kwargs["form"].Meta.fields
        form = super().get_form(request, obj, change=change, **kwargs)
        assert isinstance(request.user, User)
        form.actor = Actor.person(request.user, via=AuditEntry.Via.ADMIN)  # type: ignore[attr-defined]
        return form

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "gateway":  # only the paired gateways the person manages
            kwargs["queryset"] = Gateway.objects.managed_by(request.user).paired()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        said = form.said
        self.message_user(request, " ".join(filter(None, [said.message, said.warning])))
        return form.outcome.order or form.instance

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing to write: the command already did, from the gateway's answer."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """An active order has no related rows to save."""

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        """Deleting an active order clears it on its gateway."""
        assert isinstance(request.user, User)
        outcome = commands.delete_order(
            obj.gateway, Actor.person(request.user, AuditEntry.Via.ADMIN), obj.name
        )
        said = wording.explain(outcome, obj.gateway.name, obj.name)
        self.message_user(request, said.message, messages.SUCCESS if outcome.ok else messages.ERROR)
        request._order_not_cleared = not outcome.ok  # type: ignore[attr-defined]

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        if getattr(request, "_order_not_cleared", False):  # do not add "deleted successfully"
            return HttpResponseRedirect(reverse("admin:orders_activeorder_changelist"))
        return super().response_delete(request, obj_display, obj_id)

    # Django wraps these two views in one transaction; here they call a gateway, and a
    # transaction must never stay open across a network call (on SQLite it holds the one write
    # lock, so the relay, hearing the gateway's own event, could not write). The command service
    # writes the mirror and the audit itself, each step committed on its own.
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        view = getattr(self, "_changeform_view")  # noqa: B009 - the same view, without its atomic
        return view(request, object_id, form_url, extra_context)  # type: ignore[no-any-return]

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        view = getattr(self, "_delete_view")  # noqa: B009 - the same view, without its atomic
        return view(request, object_id, extra_context)  # type: ignore[no-any-return]

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "Clear the selected orders" is the way
        return actions

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
