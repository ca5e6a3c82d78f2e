from __future__ import annotations

from django.urls import path

from orders import views, views_analytics, views_history

app_name = "orders"

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/<int:site_id>/", views.board, name="site_board"),
    path("board/gateways/<int:gateway_id>/start", views.start, name="start"),
    path("board/gateways/<int:gateway_id>/locate", views.locate, name="locate"),
    path("board/gateways/<int:gateway_id>/type", views.change_type, name="change_type"),
    path("board/gateways/<int:gateway_id>/page", views.page, name="page"),
    path("board/gateways/<int:gateway_id>/clear", views.clear, name="clear"),
    path("board/gateways/<int:gateway_id>/clear-all", views.clear_all, name="clear_all"),
    path("history/", views_history.history, name="history"),
    path("history/export.csv", views_history.export_csv, name="history_csv"),
    path("analytics/", views_analytics.analytics_page, name="analytics"),
    path("analytics/<int:site_id>/", views_analytics.analytics_page, name="site_analytics"),
]
