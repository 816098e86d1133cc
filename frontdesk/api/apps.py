from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "frontdesk.api"
    label = "api"

    def ready(self) -> None:
        # Registers the token scheme with drf-spectacular (extensions register on import).
        from frontdesk.api import schema  # noqa: F401
