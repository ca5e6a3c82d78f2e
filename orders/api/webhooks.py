"""A key's webhook endpoints: list, create (the secret shown once), read, change, delete.

Webhooks belong to an API key, not to a person: a session sees none. A read-only key may keep
endpoints too (they change no order).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from gateways import crypto
from gateways.api.authentication import request_key
from orders.api import event_examples
from orders.models import Event, WebhookEndpoint
from orders.services import webhooks
from ttportal.api.idempotency import idempotent

KEY_NEEDED = "Webhooks belong to an API key: authenticate with one."


class KeyOnly(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if request_key(request) is None:
            raise NotAuthenticated(KEY_NEEDED)
        return True


class WebhookEndpointSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    url = serializers.URLField(max_length=2048, help_text="Public http(s) URL; no redirects.")
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.Type.choices),
        required=False,
        help_text="Event types to send; empty or absent sends every type.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "event_types",
            "description",
            "enabled",
            "disabled_reason",
            "created",
        ]
        read_only_fields = ["id", "disabled_reason", "created"]


class CreatedEndpointSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="whsec_...: sign-checking secret, shown this once only."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


def _invalid(exc: webhooks.InvalidWebhook) -> serializers.ValidationError:
    return serializers.ValidationError({exc.field: [str(exc)]})


@extend_schema_view(
    list=extend_schema(
        operation_id="webhooks_list",
        summary="This key's webhook endpoints",
        examples=[event_examples.ENDPOINT_LIST],
    ),
    retrieve=extend_schema(
        operation_id="webhooks_retrieve", summary="One endpoint", examples=[event_examples.ENDPOINT]
    ),
    update=extend_schema(
        operation_id="webhooks_update",
        summary="Replace an endpoint",
        examples=[event_examples.ENDPOINT_REQUEST, event_examples.ENDPOINT],
    ),
    partial_update=extend_schema(
        operation_id="webhooks_partial_update",
        summary="Change an endpoint (enable it again after a 410)",
        examples=[event_examples.ENDPOINT_ENABLE, event_examples.ENDPOINT],
    ),
    destroy=extend_schema(operation_id="webhooks_destroy", summary="Delete an endpoint"),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[WebhookEndpoint],
):
    serializer_class = WebhookEndpointSerializer
    permission_classes = [KeyOnly]
    pagination_class = None

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        # Another key's endpoint is not found, never forbidden.
        return WebhookEndpoint.objects.filter(api_key=request_key(self.request))

    @extend_schema(
        operation_id="webhooks_create",
        summary="Subscribe a URL to this key's events",
        request=WebhookEndpointSerializer,
        responses={201: CreatedEndpointSerializer},
        examples=[event_examples.ENDPOINT_REQUEST, event_examples.ENDPOINT_CREATED],
    )
    def create(self, request: Request) -> Response:
        answer = self._create(request)
        if answer.status_code != status.HTTP_201_CREATED:
            return answer
        # The secret is added here, opened from its seal, never kept with the idempotent
        # answer: a retry with the same Idempotency-Key (same key, same body) sees it again.
        endpoint = self.get_queryset().get(pk=answer.data["id"])
        answer.data = {**answer.data, "secret": crypto.unseal(endpoint.secret_sealed)}
        return answer

    @idempotent
    def _create(self, request: Request) -> Response:
        given = WebhookEndpointSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        key = request_key(request)
        assert key is not None  # KeyOnly
        try:
            endpoint, _secret = webhooks.create_endpoint(
                key,
                given.validated_data["url"],
                given.validated_data.get("event_types", []),
                given.validated_data.get("description", ""),
            )
        except webhooks.InvalidWebhook as exc:
            raise _invalid(exc) from exc
        return Response(WebhookEndpointSerializer(endpoint).data, status.HTTP_201_CREATED)

    @idempotent
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().destroy(request, *args, **kwargs)

    def perform_update(self, serializer: serializers.BaseSerializer[WebhookEndpoint]) -> None:
        assert serializer.instance is not None
        try:
            webhooks.update_endpoint(serializer.instance, dict(serializer.validated_data))
        except webhooks.InvalidWebhook as exc:
            raise _invalid(exc) from exc
