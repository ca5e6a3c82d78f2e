from django.urls import path

from gateways.api import views

urlpatterns = [
    path("sites/", views.SiteList.as_view(), name="api-sites"),
    path("sites/<int:pk>/", views.SiteDetail.as_view(), name="api-site"),
    path("gateways/", views.GatewayList.as_view(), name="api-gateways"),
    path("gateways/<int:pk>/", views.GatewayDetail.as_view(), name="api-gateway"),
]
