from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "frontdesk.core"
    label = "core"

    def ready(self) -> None:
        # Task modules register Huey tasks (including the periodic outbox sweeper).
        from frontdesk.core import tasks  # noqa: F401
