from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AiConfig(AppConfig):
    name = "frontdesk.ai"
    label = "ai"
    verbose_name = _("Offline intelligence")

    def ready(self) -> None:
        from frontdesk.ai import desk, handlers, health, tasks  # noqa: F401 - tasks register

        handlers.register()
        desk.register_all()
        health.register()
