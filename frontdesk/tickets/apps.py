from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "frontdesk.tickets"
    label = "tickets"

    def ready(self) -> None:
        from frontdesk.tickets import catalog

        catalog.register()
