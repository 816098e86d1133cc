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
