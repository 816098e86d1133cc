"""The configuration a new desk starts with. Names are in the translation catalog."""

from django.utils.translation import gettext_noop as N_  # noqa: N812

STATUSES = [
    # name, slug, category, is_default
    (N_("New"), "new", "new", True),
    (N_("Open"), "open", "open", True),
    (N_("Waiting for customer"), "pending", "pending", True),
    (N_("Waiting for third party"), "on-hold", "on_hold", True),
    (N_("Solved"), "solved", "solved", True),
    (N_("Closed"), "closed", "closed", True),
]

TYPES = [
    (N_("Incident"), "incident", N_("Something is broken or not working as it should.")),
    (
        N_("Service request"),
        "service-request",
        N_("Ask for something new: access, a change, an item."),
    ),
    (N_("Question"), "question", N_("Ask how something works.")),
    (N_("Problem"), "problem", N_("The underlying cause of one or more incidents.")),
]

PRIORITIES = [
    (N_("Low"), "low", 1, "low"),
    (N_("Normal"), "normal", 2, "normal"),
    (N_("High"), "high", 3, "high"),
    (N_("Urgent"), "urgent", 4, "urgent"),
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
VIEWS = [
    # name, key, filters, sort
    (N_("My open tickets"), "my-open", {"assignee": "me", "status_category": OPEN}, "-updated_at"),
    (
        N_("Unassigned in my teams"),
        "unassigned",
        {"assignee": "none", "team": "mine", "status_category": OPEN},
        "created_at",
    ),
    (N_("My teams"), "my-teams", {"team": "mine", "status_category": OPEN}, "-updated_at"),
    (N_("All open"), "all-open", {"status_category": OPEN}, "-updated_at"),
    (N_("Pending"), "pending", {"status_category": ["pending"]}, "-updated_at"),
    (
        N_("Recently solved"),
        "recently-solved",
        {"status_category": ["solved"], "updated_within_days": 7},
        "-updated_at",
    ),
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
