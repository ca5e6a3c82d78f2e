from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from ttportal import metrics, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", metrics.health, name="health"),
    path("metrics", metrics.metrics, name="metrics"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("gateways/", include("gateways.urls")),
    path("", include("orders.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("ttportal.api.urls")),
]
