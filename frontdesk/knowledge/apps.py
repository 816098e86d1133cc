from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "frontdesk.knowledge"
    label = "knowledge"
