from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "frontdesk.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from frontdesk.notifications import desk, handlers, tasks  # noqa: F401 - tasks register

        handlers.register()
        desk.register_all()
