from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "frontdesk.sla"
    label = "sla"
