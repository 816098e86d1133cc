from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "frontdesk.mail"
    label = "mail"

    def ready(self) -> None:
        from frontdesk.mail import handlers, tasks  # noqa: F401 - tasks register with Huey

        handlers.register()
