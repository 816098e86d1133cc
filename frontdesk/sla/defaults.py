"""What the SLA app starts with: the built-in 24/7 calendar (no policy: SLAs are opt-in)."""

from django.utils.translation import gettext_noop

ALWAYS_NAME = gettext_noop("24/7")


def builtin_install(apps) -> None:  # type: ignore[no-untyped-def]
    """Create the built-in 24/7 calendar if it is missing (idempotent)."""
    calendar_model = apps.get_model("sla", "BusinessCalendar")
    if not calendar_model.objects.filter(builtin=True).exists():
        calendar_model.objects.get_or_create(
            name=ALWAYS_NAME,
            defaults={"always_open": True, "builtin": True, "weekly": {}, "time_zone": "UTC"},
        )
