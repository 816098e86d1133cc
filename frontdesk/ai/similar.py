"""Similar tickets (with the solution of solved ones) and fast-growing clusters of new ones.

Semantic mode asks the ticket index for neighbours; lexical mode asks the ticket search for
tickets sharing the subject's words. Either way only tickets the viewer may see come back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from frontdesk.ai import embeddings
from frontdesk.ai.models import AiSettings, ClusterAlert, Vector, VectorKind
from frontdesk.ai.store import from_bytes, ticket_neighbours
from frontdesk.core import clock
from frontdesk.tickets.models import DONE_CATEGORIES, Message, MessageKind, Ticket
from frontdesk.tickets.selectors import ticket_list_for

if TYPE_CHECKING:
    from frontdesk.accounts.models import User

_STOP_WORDS = (
    "a an and are but can cannot for from have how i in is it my not of on or our the "
    "this to was we what when why with you your me do does did no yes be been"
)
STOP = frozenset(_STOP_WORDS.split())


@dataclass
class SimilarTicket:
    ticket: Ticket
    similarity: float
    solution: str = ""


@dataclass
class Similar:
    open: list[SimilarTicket] = field(default_factory=list)
    solved: list[SimilarTicket] = field(default_factory=list)


def _ticket_vector(ticket_id: int, model: str):  # type: ignore[no-untyped-def]
    raw = (
        Vector.objects.filter(kind=VectorKind.TICKET, object_id=ticket_id, model=model)
        .values_list("vector", flat=True)
        .first()
    )
    return None if raw is None else from_bytes(raw)


def similar_tickets(user: User, ticket: Ticket, *, limit: int = 5, floor: float = 0.5) -> Similar:
    """Open and solved tickets like this one that ``user`` may see, most alike first."""
    backend = embeddings.backend()
    scored: list[tuple[int, float]] = []
    vector = None
    if backend is not None and embeddings.covers(ticket.language or "en"):
        vector = _ticket_vector(ticket.pk, backend.name)
    if vector is not None and backend is not None:
        scored = [
            (i, s)
            for i, s in ticket_neighbours(vector, model=backend.name, limit=50, exclude=ticket.pk)
            if s >= floor
        ]
    else:
        scored = _lexical_neighbours(user, ticket)
    if not scored:
        return Similar()
    rank = dict(scored)
    visible = list(
        ticket_list_for(user).filter(pk__in=list(rank)).select_related("status", "requester")
    )
    visible.sort(key=lambda t: -rank[t.pk])
    result = Similar()
    for other in visible:
        bucket = result.solved if other.status_category in DONE_CATEGORIES else result.open
        if len(bucket) < limit:
            bucket.append(SimilarTicket(other, round(rank[other.pk], 3)))
    solutions: dict[int, str] = {}
    for ticket_id, body in (
        Message.objects.filter(
            ticket_id__in=[s.ticket.pk for s in result.solved],
            kind=MessageKind.PUBLIC,
            from_agent=True,
        )
        .order_by("ticket_id", "-created_at", "-pk")
        .values_list("ticket_id", "body_text")
    ):
        solutions.setdefault(ticket_id, body)
    for item in result.solved:
        item.solution = solutions.get(item.ticket.pk, "")
    return result


def subject_words(subject: str) -> list[str]:
    """The words of a subject worth searching for, in order (pure)."""
    words = [w.strip(".,:;!?()[]\"'#").lower() for w in subject.split()]
    return [w for w in words if len(w) > 2 and w not in STOP and not w.isdigit()][:6]


def _lexical_neighbours(user: User, ticket: Ticket, *, wanted: int = 20) -> list[tuple[int, float]]:
    """Without the model: tickets holding the subject's words, every word first, then one
    word fewer at a time (the ticket search wants all its words; "printer jammed on floor
    3" must still find "printer jammed"). Score: the share of the words held."""
    from frontdesk.search.selectors import ticket_search

    words = subject_words(ticket.subject)
    total = len(words)
    seen = {ticket.pk}
    scored: list[tuple[int, float]] = []
    while words and len(scored) < wanted:
        for found in ticket_search(user, " ".join(words), limit=wanted):
            if found.pk not in seen:
                seen.add(found.pk)
                scored.append((found.pk, round(len(words) / total, 3)))
        words = words[:-1]
    return scored


# --- recurring issues -----------------------------------------------------------------------


def shared_words(subjects: list[str], *, top: int = 4) -> str:
    """The words most of these subjects share: the likely common cause (pure)."""
    counts: Counter[str] = Counter()
    for subject in subjects:
        words = {w.strip(".,:;!?()[]\"'").lower() for w in subject.split()}
        counts.update(w for w in words if len(w) > 2 and w not in STOP)
    common = [w for w, n in counts.most_common(top) if n > 1]
    return " ".join(common) or (subjects[0] if subjects else "")


def clusters_find(*, at=None) -> list[list[int]]:  # type: ignore[no-untyped-def]
    """Groups of at least N alike tickets created in the last M minutes (greedy: each new
    ticket joins the first group whose seed it resembles)."""
    import numpy as np

    backend = embeddings.backend()
    if backend is None:
        return []
    config = AiSettings.objects.filter(pk=1).first() or AiSettings(pk=1)
    since = (at or clock.now()) - timedelta(minutes=config.cluster_minutes)
    recent = list(
        Ticket.objects.filter(created_at__gte=since, merged_into__isnull=True)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:2000]
    )
    rows = dict(
        Vector.objects.filter(
            kind=VectorKind.TICKET, model=backend.name, object_id__in=recent
        ).values_list("object_id", "vector")
    )
    ids = [i for i in recent if i in rows]
    if len(ids) < config.cluster_size:
        return []
    matrix = np.vstack([from_bytes(rows[i]) for i in ids])
    sims = matrix @ matrix.T
    taken: set[int] = set()
    groups = []
    for a in range(len(ids)):
        if a in taken:
            continue
        members = [
            b for b in range(len(ids)) if b not in taken and sims[a, b] >= config.cluster_similarity
        ]
        if len(members) >= config.cluster_size:
            taken.update(members)
            groups.append([ids[b] for b in members])
    return groups


def clusters_alert() -> list[ClusterAlert]:
    """Record (and tell supervisors about) each fast-growing cluster not reported yet."""
    from frontdesk.ai.notify import cluster_notify

    made = []
    for group in clusters_find():
        known = ClusterAlert.objects.filter(created_at__gte=clock.now() - timedelta(days=1))
        if any(len(set(group) & set(alert.ticket_ids)) * 2 >= len(group) for alert in known):
            continue  # mostly the same tickets as an alert already sent
        subjects = list(Ticket.objects.filter(pk__in=group).values_list("subject", flat=True))
        alert = ClusterAlert.objects.create(
            created_at=clock.now(), ticket_ids=sorted(group), summary=shared_words(subjects)[:250]
        )
        cluster_notify(alert)
        made.append(alert)
    return made


def cluster_link(*, alert: ClusterAlert, actor: User) -> Ticket:
    """Link every ticket of a cluster under one parent (the oldest), in one click."""
    from frontdesk.tickets.services import ticket_link

    tickets = list(
        Ticket.objects.filter(pk__in=alert.ticket_ids, merged_into__isnull=True).order_by(
            "created_at", "pk"
        )
    )
    parent = tickets[0]
    for child in tickets[1:]:
        ticket_link(source=parent, target=child, kind="parent", actor=actor)
    ClusterAlert.objects.filter(pk=alert.pk).update(parent=parent, linked_at=clock.now())
    return parent
