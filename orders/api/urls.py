from django.urls import URLPattern, URLResolver, path

from orders.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("gateways/<int:gateway_id>/orders/", views.ActiveOrders.as_view(), name="api-orders"),
    path(
        "gateways/<int:gateway_id>/orders/<str:order>/",
        views.OrderDetail.as_view(),
        name="api-order",
    ),
    path(
        "gateways/<int:gateway_id>/orders/<str:order>/page/",
        views.OrderPage.as_view(),
        name="api-order-page",
    ),
    path("history/", views.History.as_view(), name="api-history"),
    path("statistics/", views.Statistics.as_view(), name="api-statistics"),
]
