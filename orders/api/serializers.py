"""What a POS plugin sends and reads about orders, history and figures.

Input is checked with the gateway's own rules and words (``ttgateway.client.validation``,
``ttgateway.protocol.MESSAGES``) before any gateway is called.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.models import ActiveOrder, OrderRecord
from ttgateway.client import InvalidRequest, validation
from ttgateway.protocol import MESSAGES, OrderType, ReturnCode

# The API spells order types in lower case; the gateway's own spellings are accepted too.
API_TYPES = {OrderType.ON_PREMISES: "on_premises", OrderType.TO_GO: "to_go"}
RESULTS = ("created", "modified", "already_started", "already_located")


def api_type(stored: str) -> str:
    return API_TYPES[OrderType(stored)]


def gateway_rule(rule: Callable[[Any], Any], value: Any) -> Any:
    """Apply one of the gateway's input rules; its refusal becomes a field error in its words."""
    try:
        return rule(value)
    except InvalidRequest as exc:
        raise serializers.ValidationError(exc.message, code="gateway_rule") from exc


class OrderInput(serializers.Serializer[None]):
    """Start an order, or change the active order of that number (the gateway's semantics)."""

    number = serializers.CharField(
        max_length=16,
        trim_whitespace=True,
        error_messages={
            "required": MESSAGES[ReturnCode.MISSING_ORDER_NAME],
            "blank": MESSAGES[ReturnCode.MISSING_ORDER_NAME],
            "null": MESSAGES[ReturnCode.MISSING_ORDER_NAME],
            "invalid": MESSAGES[ReturnCode.INVALID_ORDER_NAME],
            "max_length": MESSAGES[ReturnCode.INVALID_ORDER_NAME],
        },
        help_text='The tracker number: a positive integer, as digits ("07" is 7).',
    )
    type = serializers.ChoiceField(
        choices=list(API_TYPES.values()),
        error_messages={
            "required": MESSAGES[ReturnCode.ORDER_TYPE_MISSING],
            "null": MESSAGES[ReturnCode.ORDER_TYPE_MISSING],
            "invalid_choice": MESSAGES[ReturnCode.ORDER_TYPE_INVALID],
        },
        help_text="on_premises (eat in) or to_go.",
    )
    table = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        allow_null=True,
        error_messages={
            "invalid": MESSAGES[ReturnCode.INVALID_LOCATION_NAME],
            "max_length": MESSAGES[ReturnCode.INVALID_LOCATION_NAME],
        },
        help_text="The table, when the order is already at one (a positive integer).",
    )

    def to_internal_value(self, data: Any) -> Any:
        # Accept the gateway's own upper-case spellings of the type as well.
        if isinstance(data, dict) and isinstance(data.get("type"), str):
            parsed = OrderType.parse(data["type"].upper())
            if parsed is not None:
                data = {**data, "type": API_TYPES[parsed]}
        return super().to_internal_value(data)

    def validate_number(self, value: str) -> str:
        return str(gateway_rule(validation.order_name, value))

    def validate_table(self, value: str | None) -> str | None:
        result = gateway_rule(validation.location_name, value)
        return None if result is None else str(result)


class ActiveOrderSerializer(serializers.ModelSerializer[ActiveOrder]):
    """An active order, from the portal's mirror of the gateway."""

    number = serializers.CharField(source="name")
    type = serializers.SerializerMethodField()
    table = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField(source="created")
    located_at = serializers.SerializerMethodField(
        help_text="When it reached its table (the gateway's clock); null while waiting."
    )
    elapsed_seconds = serializers.SerializerMethodField()
    site = serializers.SerializerMethodField()

    class Meta:
        model = ActiveOrder
        fields = [
            "uuid",
            "number",
            "type",
            "table",
            "state",
            "paged",
            "started_at",
            "located_at",
            "elapsed_seconds",
            "gateway",
            "site",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": list(API_TYPES.values())})
    def get_type(self, order: ActiveOrder) -> str:
        return api_type(order.order_type)

    @extend_schema_field({"type": ["string", "null"]})
    def get_table(self, order: ActiveOrder) -> str | None:
        return order.location or None

    @extend_schema_field({"type": ["string", "null"], "format": "date-time"})
    def get_located_at(self, order: ActiveOrder) -> str | None:
        if order.state != ActiveOrder.State.LOCATED:
            return None
        return serializers.DateTimeField().to_representation(order.state_changed)

    @extend_schema_field(OpenApiTypes.INT)
    def get_elapsed_seconds(self, order: ActiveOrder) -> int:
        return order.elapsed_seconds()

    @extend_schema_field(OpenApiTypes.INT)
    def get_site(self, order: ActiveOrder) -> int:
        return order.gateway.site_id


class MirrorSerializer(serializers.Serializer[None]):
    """How fresh the portal's copy of the gateway's active orders is."""

    gateway_status = serializers.CharField(
        help_text="online, offline, needs_pairing or not_paired."
    )
    as_of = serializers.DateTimeField(
        allow_null=True, help_text="When the portal last heard from the gateway's live feed."
    )
    age_seconds = serializers.IntegerField(allow_null=True)


class ActiveOrderList(serializers.Serializer[None]):
    mirror = MirrorSerializer()
    results = ActiveOrderSerializer(many=True)


class CommandResult(serializers.Serializer[None]):
    """What a command did, in the gateway's words, and the order as it is now (if any)."""

    result = serializers.ChoiceField(
        choices=[*RESULTS, "paged", "cleared"],
        help_text=(
            "created (201), modified, already_started / already_located (nothing changed), "
            "paged, cleared."
        ),
    )
    message = serializers.CharField()
    warning = serializers.CharField(
        allow_null=True, help_text='e.g. "Tracker not assigned with order." (cannot be paged)'
    )
    order = ActiveOrderSerializer(allow_null=True)


class HistoryRecordSerializer(serializers.ModelSerializer[OrderRecord]):
    """A finished order, from the portal's own history."""

    number = serializers.CharField(source="name")
    type = serializers.SerializerMethodField()
    table = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField(source="started")
    located_at = serializers.DateTimeField(source="located", allow_null=True)
    cleared_at = serializers.DateTimeField(source="cleared", allow_null=True)
    sequence = serializers.IntegerField(
        help_text="Given anew each time the record is written; pass the last one as ?after=."
    )

    class Meta:
        model = OrderRecord
        fields = [
            "uuid",
            "number",
            "type",
            "table",
            "started_at",
            "located_at",
            "cleared_at",
            "delivery_seconds",
            "time_to_sit_seconds",
            "paged",
            "cleared_by",
            "gateway",
            "site",
            "sequence",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": list(API_TYPES.values())})
    def get_type(self, record: OrderRecord) -> str:
        return api_type(record.order_type)

    @extend_schema_field({"type": ["string", "null"]})
    def get_table(self, record: OrderRecord) -> str | None:
        return record.location or None


class HistoryPage(serializers.Serializer[None]):
    results = HistoryRecordSerializer(many=True)
    after = serializers.IntegerField(
        help_text="The cursor to send as ?after= next time (the last record's sequence)."
    )
    next = serializers.URLField(allow_null=True, help_text="The next page, null at the end.")


class HistoryQuery(serializers.Serializer[None]):
    after = serializers.IntegerField(required=False, min_value=0, max_value=2**63 - 1, default=0)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)
    site = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    gateway = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    started_after = serializers.DateTimeField(required=False)
    started_before = serializers.DateTimeField(required=False)
    type = serializers.ChoiceField(choices=list(API_TYPES.values()), required=False)
    table = serializers.CharField(required=False, max_length=16)

    def validate_table(self, value: str) -> str:
        return str(gateway_rule(validation.location_name, value) or "")


class StatisticsQuery(serializers.Serializer[None]):
    site = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    gateway = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    # "from" is a Python keyword: the field is declared through the class namespace.
    locals()["from"] = serializers.DateField(
        required=False, help_text="First day, in each site's calendar. Default: the last day."
    )
    to = serializers.DateField(required=False, help_text="Last day, included. Default: today.")


class FiguresSerializer(serializers.Serializer[None]):
    orders = serializers.IntegerField()
    delivered = serializers.IntegerField(help_text="Orders with a delivery time (cleared).")
    average_delivery_seconds = serializers.FloatField(allow_null=True)
    average_time_to_sit_seconds = serializers.FloatField(allow_null=True)
    within_target = serializers.IntegerField()
    over_target = serializers.IntegerField()
    share_within_target_percent = serializers.FloatField(allow_null=True)


class RowSerializer(serializers.Serializer[None]):
    key = serializers.CharField()
    # A field named like Field.label: DRF takes it as a field, mypy sees the attribute.
    label = serializers.CharField()  # type: ignore[assignment]
    figures = FiguresSerializer()


class StatisticsSerializer(serializers.Serializer[None]):
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    total = FiguresSerializer()
    median_delivery_seconds = serializers.FloatField(allow_null=True)
    previous = FiguresSerializer(help_text="The period of equal length just before.")
    by_day = RowSerializer(many=True)
    by_hour = RowSerializer(many=True)
    by_day_part = RowSerializer(many=True)
    by_type = RowSerializer(many=True)
    by_table = RowSerializer(many=True)


def datetime_or_none(value: datetime | None) -> str | None:
    return None if value is None else serializers.DateTimeField().to_representation(value)
