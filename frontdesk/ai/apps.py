from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "frontdesk.ai"
    label = "ai"
