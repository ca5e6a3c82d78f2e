"""What a POS plugin reads about sites and gateways."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gateways.models import Gateway, Site

# The API's words for a gateway's status (``unpaired`` reads as the plugin author expects).
API_STATUS = {
    Gateway.Status.UNPAIRED: "not_paired",
    Gateway.Status.ONLINE: "online",
    Gateway.Status.OFFLINE: "offline",
    Gateway.Status.NEEDS_PAIRING: "needs_pairing",
}


class SiteSerializer(serializers.ModelSerializer[Site]):
    target_seconds = serializers.IntegerField(
        read_only=True, help_text="The site's delivery target, in seconds."
    )

    class Meta:
        model = Site
        fields = ["id", "name", "time_zone", "target_seconds"]
        read_only_fields = fields


class GatewaySerializer(serializers.ModelSerializer[Gateway]):
    status = serializers.SerializerMethodField(
        help_text="online, offline, needs_pairing (its token was refused) or not_paired."
    )
    address = serializers.SerializerMethodField(help_text="host:port on the site's LAN.")

    class Meta:
        model = Gateway
        fields = ["id", "name", "site", "status", "last_seen", "address", "model", "firmware"]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": list(API_STATUS.values())})
    def get_status(self, gateway: Gateway) -> str:
        return API_STATUS[Gateway.Status(gateway.status)]

    @extend_schema_field(OpenApiTypes.STR)
    def get_address(self, gateway: Gateway) -> str:
        return gateway.base_url.removeprefix("http://")
