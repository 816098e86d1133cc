from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "frontdesk.desk"
    label = "desk"

    def ready(self) -> None:
        from frontdesk.core import events
        from frontdesk.desk import live

        events.subscribe_local("ticket.changed", live.on_ticket_changed)
