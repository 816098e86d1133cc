from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "frontdesk.reporting"
    label = "reporting"
