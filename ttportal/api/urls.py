"""``/api/v1/``: every app's ``api/`` urls, the OpenAPI schema and the interactive docs."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ttportal.api.views import not_found

urlpatterns = [
    path("", include("gateways.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("orders.api.event_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script, strict CSP works.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Anything else under /api/v1/ is a problem document too, not an HTML page.
    re_path(r"^.*$", not_found),
]
