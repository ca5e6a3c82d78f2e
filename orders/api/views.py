"""Orders, history and statistics for POS plugins: thin views over ``orders.services``.

A gateway of another site is a 404; acting needs a write key or a manager (403 otherwise).
Every command goes through ``orders.services.commands``, exactly as the board's do.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gateways.access import NOT_A_MANAGER
from gateways.api.authentication import request_key
from gateways.api.permissions import actable_sites, visible_gateways, visible_sites
from gateways.api.serializers import API_STATUS
from gateways.models import Gateway, Site
from orders.api import docs
from orders.api.refusals import problem_for
from orders.api.serializers import (
    ActiveOrderSerializer,
    HistoryQuery,
    HistoryRecordSerializer,
    OrderInput,
    StatisticsQuery,
    datetime_or_none,
)
from orders.api.statistics import statistics_body
from orders.models import ActiveOrder, OrderRecord
from orders.services import commands, history
from orders.services.commands import Actor, Outcome
from ttgateway.client import InvalidRequest, validation
from ttgateway.protocol import UUID_RE, OrderType
from ttportal.api.idempotency import idempotent
from ttportal.api.problems import Problem


def actor_for(request: Request) -> Actor:
    key = request_key(request)
    if key is not None:
        return Actor.api_key(key)
    return Actor.person(request.user, via="api")  # type: ignore[arg-type]


def gateway_for(request: Request, pk: int, *, acting: bool = False) -> Gateway:
    """The gateway if the caller may see it (404 otherwise), and act on it when ``acting``."""
    gateway = get_object_or_404(visible_gateways(request), pk=pk)
    # A key acts wherever it sees (a read-only key was refused already); a person must manage.
    if (
        acting
        and request_key(request) is None
        and not actable_sites(request).filter(pk=gateway.site_id).exists()
    ):
        raise PermissionDenied(NOT_A_MANAGER)
    return gateway


def order_identifier(value: str) -> str:
    """An order's number or uuid, by the gateway's rule (400 in its words otherwise)."""
    try:
        return validation.order_id(value)
    except InvalidRequest as exc:
        raise ValidationError({"order": [exc.message]}) from exc


def mirrored(gateway: Gateway, identifier: str) -> ActiveOrder | None:
    orders = ActiveOrder.objects.filter(gateway=gateway).select_related("gateway")
    field = "uuid" if UUID_RE.match(identifier) else "name"
    return orders.filter(**{field: identifier}).first()


def order_name(gateway: Gateway, identifier: str) -> str:
    """The number to command an order by: a uuid the mirror knows becomes its number (the
    audit trail reads numbers); anything else goes to the gateway as it is."""
    if not UUID_RE.match(identifier):
        return identifier
    known = mirrored(gateway, identifier)
    return known.name if known is not None else identifier


def order_body(order: ActiveOrder | None) -> dict[str, Any] | None:
    return None if order is None else dict(ActiveOrderSerializer(order).data)


def answered(gateway: Gateway, outcome: Outcome, result: str, code: int = 200) -> Response:
    """A command's answer: its result, or its refusal as a problem."""
    if not outcome.ok:
        raise problem_for(gateway, outcome)
    body = {
        "result": result,
        "message": outcome.message,
        "warning": outcome.warning,
        "order": order_body(outcome.order),
    }
    return Response(body, status=code)


class ActiveOrders(APIView):
    """A gateway's active orders: read from the mirror, started and cleared on the gateway."""

    @extend_schema(**docs.LIST_ORDERS)
    def get(self, request: Request, gateway_id: int) -> Response:
        gateway = gateway_for(request, gateway_id)
        orders = ActiveOrder.objects.filter(gateway=gateway).select_related("gateway")
        now = timezone.now()
        heard = gateway.relay_heard
        mirror = {
            "gateway_status": API_STATUS[Gateway.Status(gateway.status)],
            "as_of": datetime_or_none(heard),
            "age_seconds": None if heard is None else max(0, int((now - heard).total_seconds())),
        }
        results = ActiveOrderSerializer(orders.order_by("created", "name"), many=True).data
        return Response({"mirror": mirror, "results": results})

    @extend_schema(**docs.SUBMIT_ORDER)
    @idempotent
    def post(self, request: Request, gateway_id: int) -> Response:
        order = OrderInput(data=request.data)
        order.is_valid(raise_exception=True)
        gateway = gateway_for(request, gateway_id, acting=True)
        data = order.validated_data
        wanted = OrderType.ON_PREMISES if data["type"] == "on_premises" else OrderType.TO_GO
        outcome = commands.start_order(
            gateway, actor_for(request), data["number"], wanted.value, data.get("table")
        )
        if not outcome.ok:
            raise problem_for(gateway, outcome)
        result = outcome.submitted.value if outcome.submitted else "modified"
        current = outcome.order or mirrored(gateway, data["number"])
        body = {
            "result": result,
            "message": outcome.message,
            "warning": outcome.warning,
            "order": order_body(current),
        }
        return Response(body, status=status.HTTP_201_CREATED if outcome.created else 200)

    @extend_schema(**docs.CLEAR_ALL)
    @idempotent
    def delete(self, request: Request, gateway_id: int) -> Response:
        gateway = gateway_for(request, gateway_id, acting=True)
        return answered(gateway, commands.clear_all(gateway, actor_for(request)), "cleared")


class OrderDetail(APIView):
    """One active order, by its number or its uuid."""

    @extend_schema(**docs.GET_ORDER)
    def get(self, request: Request, gateway_id: int, order: str) -> Response:
        gateway = gateway_for(request, gateway_id)
        found = mirrored(gateway, order_identifier(order))
        if found is None:
            raise Problem(404, "order_not_found", "No active order of that number or uuid.")
        return Response(ActiveOrderSerializer(found).data)

    @extend_schema(**docs.DELETE_ORDER)
    @idempotent
    def delete(self, request: Request, gateway_id: int, order: str) -> Response:
        identifier = order_identifier(order)
        gateway = gateway_for(request, gateway_id, acting=True)
        name = order_name(gateway, identifier)
        return answered(
            gateway, commands.delete_order(gateway, actor_for(request), name), "cleared"
        )


class OrderPage(APIView):
    """Make an order's tracker vibrate."""

    @extend_schema(**docs.PAGE_ORDER)
    @idempotent
    def post(self, request: Request, gateway_id: int, order: str) -> Response:
        identifier = order_identifier(order)
        gateway = gateway_for(request, gateway_id, acting=True)
        name = order_name(gateway, identifier)
        return answered(gateway, commands.page_order(gateway, actor_for(request), name), "paged")


class History(APIView):
    """Finished orders, in the order they were written, for an incremental sync."""

    @extend_schema(**docs.HISTORY)
    def get(self, request: Request) -> Response:
        query = HistoryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        records = history_records(visible_sites(request), params)
        page = list(
            records.filter(sequence__gt=params["after"]).order_by("sequence")[: params["limit"]]
        )
        after = page[-1].sequence if page else params["after"]
        more = len(page) == params["limit"]
        next_url = None
        if more:
            next_query = {**request.query_params.dict(), "after": str(after)}
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(next_query)}")
        return Response(
            {
                "results": HistoryRecordSerializer(page, many=True).data,
                "after": after,
                "next": next_url,
            }
        )


def history_records(sites: QuerySet[Site], params: dict[str, Any]) -> QuerySet[OrderRecord]:
    records = OrderRecord.objects.filter(site__in=sites)
    # Filtering on a site or gateway of another site is a 404, as asking for it would be.
    if "site" in params:
        get_object_or_404(sites, pk=params["site"])
        records = records.filter(site_id=params["site"])
    if "gateway" in params:
        get_object_or_404(Gateway.objects.filter(site__in=sites), pk=params["gateway"])
        records = records.filter(gateway_id=params["gateway"])
    if "started_after" in params:
        records = records.filter(started__gte=params["started_after"])
    if "started_before" in params:
        records = records.filter(started__lt=params["started_before"])
    wanted = params.get("type")
    order_type = None
    if wanted:
        order_type = (OrderType.ON_PREMISES if wanted == "on_premises" else OrderType.TO_GO).value
    return history.matching(records, order_type=order_type, table=params.get("table") or None)


class Statistics(APIView):
    """Delivery figures for any period, from the portal's own history."""

    @extend_schema(**docs.STATISTICS)
    def get(self, request: Request) -> Response:
        query = StatisticsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(statistics_body(visible_sites(request), query.validated_data))
