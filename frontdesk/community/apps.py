from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "frontdesk.community"
    label = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        from frontdesk.community import handlers

        handlers.register()
