"""The configuration a new desk starts with. Names are in the translation catalog."""

from django.utils.translation import gettext_noop

STATUSES = [
    # name, slug, category, is_default
    (gettext_noop("New"), "new", "new", True),
    (gettext_noop("Open"), "open", "open", True),
    (gettext_noop("Waiting for customer"), "pending", "pending", True),
    (gettext_noop("Waiting for third party"), "on-hold", "on_hold", True),
    (gettext_noop("Solved"), "solved", "solved", True),
    (gettext_noop("Closed"), "closed", "closed", True),
]

TYPES = [
    (
        gettext_noop("Incident"),
        "incident",
        gettext_noop("Something is broken or not working as it should."),
    ),
    (
        gettext_noop("Service request"),
        "service-request",
        gettext_noop("Ask for something new: access, a change, an item."),
    ),
    (gettext_noop("Question"), "question", gettext_noop("Ask how something works.")),
    (
        gettext_noop("Problem"),
        "problem",
        gettext_noop("The underlying cause of one or more incidents."),
    ),
]

PRIORITIES = [
    (gettext_noop("Low"), "low", 1, "low"),
    (gettext_noop("Normal"), "normal", 2, "normal"),
    (gettext_noop("High"), "high", 3, "high"),
    (gettext_noop("Urgent"), "urgent", 4, "urgent"),
]

# urgency x impact -> priority slug
MATRIX = {
    ("low", "low"): "low",
    ("low", "medium"): "low",
    ("low", "high"): "normal",
    ("medium", "low"): "low",
    ("medium", "medium"): "normal",
    ("medium", "high"): "high",
    ("high", "low"): "normal",
    ("high", "medium"): "high",
    ("high", "high"): "urgent",
}

OPEN = ["new", "open", "pending", "on_hold"]
# Open tickets whose next SLA target is due within two hours or overdue, most urgent first.
BREACHING_SOON = (
    gettext_noop("Breaching soon"),
    "breaching-soon",
    {"status_category": OPEN, "sla_due_within": 120},
    "sla_due_at",
)
VIEWS = [
    # name, key, filters, sort
    (
        gettext_noop("My open tickets"),
        "my-open",
        {"assignee": "me", "status_category": OPEN},
        "-updated_at",
    ),
    (
        gettext_noop("Unassigned in my teams"),
        "unassigned",
        {"assignee": "none", "team": "mine", "status_category": OPEN},
        "created_at",
    ),
    (
        gettext_noop("My teams"),
        "my-teams",
        {"team": "mine", "status_category": OPEN},
        "-updated_at",
    ),
    (gettext_noop("All open"), "all-open", {"status_category": OPEN}, "-updated_at"),
    (gettext_noop("Pending"), "pending", {"status_category": ["pending"]}, "-updated_at"),
    (
        gettext_noop("Recently solved"),
        "recently-solved",
        {"status_category": ["solved"], "updated_within_days": 7},
        "-updated_at",
    ),
    BREACHING_SOON,
]


def defaults_install(apps) -> None:  # type: ignore[no-untyped-def]
    """Create the starting configuration where it is missing (idempotent).

    Used by the data migration and by the test personas, because a transactional test's
    flush removes rows that migrations created.
    """
    status_model = apps.get_model("tickets", "Status")
    type_model = apps.get_model("tickets", "TicketType")
    priority_model = apps.get_model("tickets", "Priority")
    cell_model = apps.get_model("tickets", "PriorityMatrixCell")
    view_model = apps.get_model("tickets", "SavedView")
    if not status_model.objects.exists():
        for position, (name, slug, category, is_default) in enumerate(STATUSES):
            status_model.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "category": category,
                    "is_default": is_default,
                    "position": position,
                },
            )
    if not type_model.objects.exists():
        for position, (name, slug, description) in enumerate(TYPES):
            type_model.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "description": description,
                    "position": position,
                    "customer_can_choose": slug != "problem",
                },
            )
    if not priority_model.objects.exists():
        for name, slug, rank, color in PRIORITIES:
            priority_model.objects.get_or_create(
                slug=slug, defaults={"name": name, "rank": rank, "color": color}
            )
    if not cell_model.objects.exists():
        priorities = {p.slug: p for p in priority_model.objects.all()}
        for (urgency, impact), slug in MATRIX.items():
            cell_model.objects.get_or_create(
                urgency=urgency, impact=impact, defaults={"priority": priorities[slug]}
            )
    if not view_model.objects.filter(owner__isnull=True).exists():
        for position, (name, key, filters, sort) in enumerate(VIEWS):
            view_model.objects.get_or_create(
                key=key,
                owner=None,
                defaults={"name": name, "filters": filters, "sort": sort, "position": position},
            )
    # Rows may have been recreated under new ids (a test's flush, a fresh database): drop
    # the process's cached copy of the configuration.
    from frontdesk.tickets.catalog import catalog_forget

    catalog_forget()


def breaching_soon_install(apps) -> None:  # type: ignore[no-untyped-def]
    """Add the shared "Breaching soon" view to a desk that has its views already."""
    view_model = apps.get_model("tickets", "SavedView")
    if not view_model.objects.filter(owner__isnull=True).exists():
        return  # defaults_install creates it with the others
    name, key, filters, sort = BREACHING_SOON
    if not view_model.objects.filter(owner__isnull=True, key=key).exists():
        last = view_model.objects.filter(owner__isnull=True).order_by("-position").first()
        view_model.objects.create(
            key=key,
            owner=None,
            name=name,
            filters=filters,
            sort=sort,
            position=(last.position + 1) if last else 0,
        )
