from django.apps import AppConfig


class TtportalConfig(AppConfig):
    name = "ttportal"
    verbose_name = "TT Portal"

    def ready(self) -> None:
        from ttportal import checks  # noqa: F401 - registers the deployment checks
