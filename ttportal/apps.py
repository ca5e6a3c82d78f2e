from django.apps import AppConfig


class TtportalConfig(AppConfig):
    name = "ttportal"
    verbose_name = "TT Portal"

    def ready(self) -> None:
        from ttportal import checks  # noqa: F401 - registers the deployment checks
        from ttportal.api import schema  # noqa: F401 - registers the API key's OpenAPI scheme
