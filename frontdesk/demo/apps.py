from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "frontdesk.demo"
    label = "demo"
