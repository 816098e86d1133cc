"""Keep vectors current: articles (whole and by section), forum threads and tickets.

Each function takes an id, reads the object, and embeds it again only when its text or the
model changed (so running it twice costs one read). In lexical mode they do nothing.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from frontdesk.ai import embeddings
from frontdesk.ai.models import Vector, VectorKind
from frontdesk.ai.store import text_hash, vectors_delete, vectors_replace
from frontdesk.ai.texts import article_input, passage_input, passages_split, ticket_input
from frontdesk.tickets.models import Message, MessageKind, Ticket


def _current(kind: str, object_id: int, digest: str, model: str) -> bool:
    return Vector.objects.filter(
        kind=kind, object_id=object_id, part=0, text_hash=digest, model=model
    ).exists()


def article_embed(article_id: int) -> bool:
    """Embed a published article and its sections; forget it when it is not published."""
    from frontdesk.knowledge.models import Article, Status

    backend = embeddings.backend()
    if backend is None:
        return False
    article = (
        Article.objects.filter(pk=article_id)
        .only("pk", "title", "body_md", "body_text", "language", "status")
        .first()
    )
    if article is None or article.status != Status.PUBLISHED:
        vectors_delete(kind=VectorKind.ARTICLE, object_id=article_id)
        vectors_delete(kind=VectorKind.PASSAGE, object_id=article_id)
        return False
    whole = article_input(article.title, article.body_text)
    digest = text_hash(whole + "\0" + article.body_md)
    if _current(VectorKind.ARTICLE, article.pk, digest, backend.name):
        return False
    passages = passages_split(article.title, article.body_md or article.body_text) or []
    inputs = [whole] + [passage_input(article.title, p) for p in passages]
    vectors = backend.embed(inputs)
    vectors_replace(
        kind=VectorKind.ARTICLE,
        object_id=article.pk,
        model=backend.name,
        rows=[{"text_hash": digest, "vector": vectors[0], "language": article.language}],
    )
    vectors_replace(
        kind=VectorKind.PASSAGE,
        object_id=article.pk,
        model=backend.name,
        rows=[
            {
                "part": n,
                "text_hash": digest,
                "vector": vectors[n + 1],
                "language": article.language,
                "heading": p.heading,
                "text": p.text,
            }
            for n, p in enumerate(passages)
        ],
    )
    return True


def thread_embed(topic_id: int) -> bool:
    """Embed a forum thread (title and visible posts); forget it when it is hidden."""
    from frontdesk.community.models import Post, PostStatus, Topic

    backend = embeddings.backend()
    if backend is None:
        return False
    topic = Topic.objects.filter(pk=topic_id).first()
    posts = list(
        Post.objects.filter(topic_id=topic_id, status=PostStatus.VISIBLE)
        .order_by("pk")
        .values_list("body_md", "is_first")
    )
    if topic is None or topic.hidden or not any(first for _b, first in posts):
        vectors_delete(kind=VectorKind.THREAD, object_id=topic_id)
        return False
    text = article_input(topic.title, "\n".join(body for body, _f in posts))
    digest = text_hash(text)
    if _current(VectorKind.THREAD, topic.pk, digest, backend.name):
        return False
    vectors_replace(
        kind=VectorKind.THREAD,
        object_id=topic.pk,
        model=backend.name,
        rows=[
            {"text_hash": digest, "vector": backend.embed([text])[0], "language": topic.language}
        ],
    )
    return True


def ticket_text(ticket: Ticket) -> str:
    first = (
        Message.objects.filter(ticket_id=ticket.pk, kind=MessageKind.PUBLIC)
        .order_by("created_at", "pk")
        .values_list("body_text", flat=True)
        .first()
    )
    return ticket_input(ticket.subject, first or "")


def tickets_embed(ticket_ids: list[int]) -> int:
    """Embed tickets (subject and first message) in one batch; returns how many changed."""
    backend = embeddings.backend()
    if backend is None or not ticket_ids:
        return 0
    tickets = list(
        Ticket.objects.filter(pk__in=ticket_ids, merged_into__isnull=True).only(
            "pk", "subject", "language"
        )
    )
    firsts: dict[int, str] = {}
    for ticket_id, body in (
        Message.objects.filter(ticket_id__in=[t.pk for t in tickets], kind=MessageKind.PUBLIC)
        .order_by("ticket_id", "created_at", "pk")
        .values_list("ticket_id", "body_text")
    ):
        firsts.setdefault(ticket_id, body)
    texts = {t.pk: ticket_input(t.subject, firsts.get(t.pk, "")) for t in tickets}
    stored = dict(
        Vector.objects.filter(
            kind=VectorKind.TICKET, object_id__in=list(texts), model=backend.name
        ).values_list("object_id", "text_hash")
    )
    todo = [t for t in tickets if stored.get(t.pk) != text_hash(texts[t.pk])]
    if not todo:
        return 0
    vectors = backend.embed([texts[t.pk] for t in todo])
    for ticket, vector in zip(todo, vectors, strict=True):
        vectors_replace(
            kind=VectorKind.TICKET,
            object_id=ticket.pk,
            model=backend.name,
            rows=[
                {
                    "text_hash": text_hash(texts[ticket.pk]),
                    "vector": vector,
                    "language": ticket.language,
                }
            ],
        )
    return len(todo)


def tickets_missing(*, limit: int) -> list[int]:
    """Tickets with no vector in the current model yet (a backfill reads these)."""
    backend = embeddings.backend()
    if backend is None:
        return []
    has = Vector.objects.filter(
        kind=VectorKind.TICKET, object_id=OuterRef("pk"), model=backend.name
    )
    return list(
        Ticket.objects.filter(merged_into__isnull=True)
        .filter(~Exists(has))
        .order_by("-pk")
        .values_list("pk", flat=True)[:limit]
    )


def help_center_embed_all() -> int:
    """Embed every published article and visible thread whose text changed (and forget the
    ones that went away)."""
    from frontdesk.community.models import Topic
    from frontdesk.knowledge.models import Article, Status

    if embeddings.backend() is None:
        return 0
    changed = 0
    article_ids = set(Article.objects.filter(status=Status.PUBLISHED).values_list("pk", flat=True))
    gone = (
        set(Vector.objects.filter(kind=VectorKind.ARTICLE).values_list("object_id", flat=True))
        - article_ids
    )
    for article_id in sorted(article_ids | gone):
        changed += article_embed(article_id)
    topic_ids = set(Topic.objects.values_list("pk", flat=True)) | set(
        Vector.objects.filter(kind=VectorKind.THREAD).values_list("object_id", flat=True)
    )
    for topic_id in sorted(topic_ids):
        changed += thread_embed(topic_id)
    return changed
