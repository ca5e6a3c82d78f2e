from __future__ import annotations

from django.urls import path

from gateways import views

app_name = "gateways"

urlpatterns = [
    path("", views.gateway_list, name="list"),
    path("add", views.add, name="add"),
    path("<int:pk>/", views.gateway_detail, name="detail"),
    path("<int:pk>/pair", views.pair, name="pair"),
    path("sites/<int:site_id>/discover", views.discover_now, name="discover"),
]
