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
        # Help-center search ranks by the fusion once the knowledge app offers the hook
        # (docs/ai.md, "Hybrid retrieval"); until then it stays lexical.
        from frontdesk.ai.hybrid import fuse_hits
        from frontdesk.knowledge import search as kb_search

        if hasattr(kb_search, "ranker_register"):
            kb_search.ranker_register(fuse_hits)
