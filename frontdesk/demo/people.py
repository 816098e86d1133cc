"""The demo desk's staff: the personas of STYLE.md. One password for every demo login."""

PASSWORD = "frontdesk-demo"  # noqa: S105 - a published demo password, for local demos only

STAFF = [
    # email, first, last, role, teams (lead of the first when role is supervisor)
    ("alice@example.com", "Alice", "Andersson", "agent", ["L1"]),
    ("bob@example.com", "Bob", "Berg", "agent", ["L1"]),
    ("carol@example.com", "Carol", "Carlsson", "agent", ["L2"]),
    ("supervisor@example.com", "Sam", "Svensson", "supervisor", ["L1", "L2"]),
    ("admin@example.com", "Ada", "Admin", "admin", []),
]

MACROS = [
    {
        "name": "Password reset instructions",
        "body": "Hi {{requester.first_name}},\n\nYou can reset your password from the sign-in "
        'page: choose "Forgot password?" and follow the link we email you. The link works '
        "for one hour.\n\nIf it does not arrive within a few minutes, check your spam folder "
        "and reply here.\n\nBest regards,\n{{agent.first_name}}",
        "actions": {"status": "pending", "add_tags": ["password"]},
    },
    {
        "name": "Need more details",
        "body": "Hi {{requester.first_name}},\n\nThanks for reporting this (ticket "
        "{{ticket.number}}). Could you send us a screenshot of the error and the time it "
        "happened? That lets us find it in our logs.\n\n{{agent.first_name}}",
        "actions": {"status": "pending"},
    },
    {
        "name": "Solved: confirm and close",
        "body": "Hi {{requester.first_name}},\n\nWe have fixed this. If anything still looks "
        "wrong, just reply and the ticket reopens.\n\n{{agent.first_name}}",
        "actions": {"status": "solved"},
    },
    {
        "name": "Escalate to L2",
        "body": "Escalating to L2: reproduction steps and logs are in the thread above.",
        "kind": "note",
        "actions": {"team": "L2", "assignee": None, "add_tags": ["escalated"]},
    },
]
