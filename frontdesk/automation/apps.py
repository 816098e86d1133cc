from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "frontdesk.automation"
    label = "automation"
