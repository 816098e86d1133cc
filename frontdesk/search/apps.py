from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "frontdesk.search"
    label = "search"

    def ready(self) -> None:
        from frontdesk.search import handlers

        handlers.register()
