from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "frontdesk.sla"
    label = "sla"
    verbose_name = "SLA"

    def ready(self) -> None:
        from frontdesk.sla import desk, handlers, tasks  # noqa: F401 - tasks register with Huey

        handlers.register()
        desk.register_all()
