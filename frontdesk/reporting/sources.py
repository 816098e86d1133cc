"""Facts that other apps own: SLA target records (frontdesk.sla) and knowledge-base
deflection (frontdesk.knowledge).

Reporting reads them through this one module so that the rest of the app works whether or
not those apps have shipped their models yet. Each function returns None (or an empty
result) until the app provides its facts; ``metrics.measure_available`` hides the measures
meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps

if TYPE_CHECKING:
    from frontdesk.reporting.metrics import Filters, Measure, Result, Scope


def sla_records() -> Any:
    """The SLA app's per-ticket target model, or None while the SLA app has none."""
    return None


def sla_compliance(
    measure: Measure, filters: Filters, scope: Scope, group: tuple[str, ...]
) -> Result:
    """SLA compliance per target; completed against the SLA app's per-ticket records."""
    from frontdesk.reporting.metrics import Result

    return Result(measure, group, [], "live")


def kb_available() -> bool:
    try:
        apps.get_app_config("knowledge")
    except LookupError:
        return False
    return False


kb_deflection_parts = None


def kb_deflection(
    measure: Measure, filters: Filters, scope: Scope, group: tuple[str, ...]
) -> Result:
    from frontdesk.reporting.metrics import Result

    return Result(measure, group, [], "live")


def sla_due_column() -> str | None:
    """The ticket column holding the next SLA due time, once the SLA app adds it."""
    return None
