"""Sites and gateways, as far as the caller may see them (another site's is a 404)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from gateways.api import examples
from gateways.api.permissions import visible_gateways, visible_sites
from gateways.api.serializers import GatewaySerializer, SiteSerializer
from gateways.models import Gateway, Site


class SiteList(generics.ListAPIView[Site]):
    serializer_class = SiteSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Site]:
        return visible_sites(self.request).order_by("name", "id")

    @extend_schema(
        operation_id="sites_list",
        summary="The sites this key may reach",
        examples=[examples.SITE_LIST],
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


class SiteDetail(generics.RetrieveAPIView[Site]):
    serializer_class = SiteSerializer

    def get_queryset(self) -> QuerySet[Site]:
        return visible_sites(self.request)

    @extend_schema(operation_id="sites_retrieve", summary="One site", examples=[examples.SITE])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


class GatewayFilter(serializers.Serializer[None]):
    site = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class GatewayList(generics.ListAPIView[Gateway]):
    serializer_class = GatewaySerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Gateway]:
        query = GatewayFilter(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        gateways = visible_gateways(self.request)
        if "site" in query.validated_data:
            gateways = gateways.filter(site_id=query.validated_data["site"])
        return gateways

    @extend_schema(
        operation_id="gateways_list",
        summary="The gateways of this key's sites",
        parameters=[OpenApiParameter("site", int, description="Only this site's gateways.")],
        examples=[examples.GATEWAY_LIST],
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


class GatewayDetail(generics.RetrieveAPIView[Gateway]):
    serializer_class = GatewaySerializer

    def get_queryset(self) -> QuerySet[Gateway]:
        return visible_gateways(self.request)

    @extend_schema(
        operation_id="gateways_retrieve", summary="One gateway", examples=[examples.GATEWAY]
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)
