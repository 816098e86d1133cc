from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AiConfig(AppConfig):
    name = "frontdesk.ai"
    label = "ai"
    verbose_name = _("Offline intelligence")

    def ready(self) -> None:
        from frontdesk.ai import desk, handlers, health, tasks  # noqa: F401 - tasks register

        handlers.register()
        desk.register_all()
        health.register()
        # Every help-center search (portal search, request suggestions, the composer's
        # picker) ranks by the fusion; in lexical mode the ranker hands the hits back as
        # they are.
        from frontdesk.ai.hybrid import fuse_hits
        from frontdesk.ai.triage import triage_pre_route
        from frontdesk.automation.routing import pre_route_register
        from frontdesk.knowledge.search import ranker_register

        ranker_register(fuse_hits)
        # Triage runs before routing: an auto-applied team, type or priority is what the
        # routing and the "ticket created" rules see.
        pre_route_register(triage_pre_route)
