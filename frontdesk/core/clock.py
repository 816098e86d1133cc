"""One place to ask for the time, so tests can freeze it (time-machine patches this too)."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
