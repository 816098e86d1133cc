from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "frontdesk.reporting"
    label = "reporting"

    def ready(self) -> None:
        from frontdesk.reporting import extensions, handlers, tasks  # noqa: F401

        handlers.register()
        extensions.register_all()
