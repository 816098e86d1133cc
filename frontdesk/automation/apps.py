from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "frontdesk.automation"
    label = "automation"
    verbose_name = "Automation"

    def ready(self) -> None:
        from frontdesk.automation import desk, handlers, tasks  # noqa: F401 - tasks register

        handlers.register()
        desk.register_all()
