"""Every write of the ai app: settings, bot answers and hand-overs, article import, drafts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from frontdesk.ai.bot import BotResult
from frontdesk.ai.models import AiSettings, BotAnswer, ImportedArticle
from frontdesk.core import clock

if TYPE_CHECKING:
    from frontdesk.accounts.models import User
    from frontdesk.tickets.models import Ticket

SETTINGS_FIELDS = frozenset(
    {
        "bot_threshold",
        "triage_custom_fields",
        "triage_targets",
        "triage_auto",
        "cluster_size",
        "cluster_minutes",
        "cluster_similarity",
    }
)


def ai_settings() -> AiSettings:
    found = AiSettings.objects.filter(pk=1).first()
    return found if found is not None else AiSettings(pk=1)


@transaction.atomic
def ai_settings_save(*, changes: dict[str, Any]) -> AiSettings:
    """Change the admin's AI settings (only the keys given)."""
    unknown = set(changes) - SETTINGS_FIELDS
    if unknown:
        raise ValidationError({k: [_("This setting does not exist.")] for k in sorted(unknown)})
    row = ai_settings()
    for key, value in changes.items():
        setattr(row, key, value)
    if not 0.0 <= float(row.bot_threshold) <= 1.0:
        raise ValidationError({"bot_threshold": [_("Choose a number between 0 and 1.")]})
    row.full_clean()
    row.save()
    return row


# --- the answer bot ----------------------------------------------------------------------------


def bot_answer_record(*, result: BotResult, user: User | None) -> BotAnswer:
    """Keep what the bot was asked and what it offered (reports, calibration, hand-over)."""
    return BotAnswer.objects.create(
        question=result.question,
        language=result.language[:10],
        user=user if user is not None and user.is_authenticated else None,
        answered=result.answered,
        confidence=result.confidence,
        offered=result.offered(),
        created_at=clock.now(),
    )


@transaction.atomic
def bot_feedback(*, answer: BotAnswer, helped: bool) -> BotAnswer:
    """The asker said whether the answer helped (asked once; a second answer is ignored)."""
    answer = BotAnswer.objects.select_for_update().get(pk=answer.pk)
    if answer.helped is None:
        answer.helped = helped
        answer.save(update_fields=["helped"])
    return answer


def _handover_body(answer: BotAnswer) -> str:
    lines = [answer.question, "", "—", _("Before this request, the help bot offered:")]
    lines.extend(f"- {o.get('title', '')} ({o.get('url', '')})" for o in answer.offered)
    if not answer.offered:
        lines.append(_("nothing: it found no article for this question."))
    elif not answer.answered:
        lines.append(_("It was not confident enough to answer."))
    return "\n".join(lines)


@transaction.atomic
def bot_handover(*, answer: BotAnswer, user: User) -> Ticket:
    """ "That did not help" (or a decline): a ticket for a person, with the question and what
    the bot offered, written in the asker's language. Twice is one ticket."""
    from frontdesk.tickets.intake import InboundMessage
    from frontdesk.tickets.models import Channel
    from frontdesk.tickets.services import message_receive

    answer = BotAnswer.objects.select_for_update().get(pk=answer.pk)
    if answer.ticket_id is not None:
        return answer.ticket  # type: ignore[return-value]
    language = answer.language or user.language or "en"
    with translation.override(language):
        body = _handover_body(answer)
    subject = " ".join(answer.question.split())[:120] or _("Question from the help bot")
    message = message_receive(
        inbound=InboundMessage(
            channel=Channel.PORTAL,
            author=user,
            subject=subject,
            body_text=body,
            language=language,
            metadata={"bot_answer": answer.pk},
        )
    )
    answer.ticket = message.ticket
    if answer.helped is None:
        answer.helped = False
    answer.save(update_fields=["ticket", "helped"])
    return message.ticket


def bot_question_to_draft(*, answer: BotAnswer, actor: User) -> int:
    """An unanswered question becomes an article draft (the knowledge base's own service)."""
    from frontdesk.knowledge.services import article_draft_create

    if answer.draft_article_id:
        return answer.draft_article_id
    article = article_draft_create(
        title=answer.question[:200],
        question=answer.question,
        solution="",
        author=actor,
        language=answer.language or "en",
    )
    BotAnswer.objects.filter(pk=answer.pk).update(draft_article_id=article.pk)
    return article.pk


# --- importing articles ------------------------------------------------------------------------


@dataclass
class ImportRecord:
    external_id: str
    title: str
    body: str
    language: str = "en"
    summary: str = ""
    category: str = ""


def _section_for(category: str) -> Any:
    from frontdesk.knowledge.markdown import slugify
    from frontdesk.knowledge.models import Category, Section
    from frontdesk.knowledge.services import category_save, section_save

    name = category.strip() or _("General")
    slug = slugify(name)[:100] or "general"
    section = Section.objects.filter(slug=slug).first()
    if section is not None:
        return section
    found = Category.objects.filter(slug=slug).first()
    found = found or category_save(name=name.replace("-", " ").capitalize(), slug=slug)
    return section_save(category=found, name=found.name, slug=slug)


def kb_import_record(*, record: ImportRecord, actor: User) -> str:
    """Create or update one published article from an import record: "created", "updated"
    or "unchanged". Goes through the knowledge services (revisions, index, events)."""
    from frontdesk.knowledge.models import Article, Status
    from frontdesk.knowledge.services import article_create, article_save, article_transition

    if not record.external_id or not record.title.strip():
        raise ValidationError(_("Each record needs an external_id and a title."))
    body = record.body.strip()
    if record.summary.strip():
        body = f"{record.summary.strip()}\n\n{body}"
    language = (record.language or "en")[:10]
    with transaction.atomic():
        known = ImportedArticle.objects.filter(
            external_id=record.external_id, language=language
        ).first()
        article = Article.objects.filter(pk=known.article_id).first() if known else None
        if article is None:
            article = article_create(
                section=_section_for(record.category),
                language=language,
                title=record.title[:200],
                body_md=body,
                author=actor,
            )
            ImportedArticle.objects.update_or_create(
                external_id=record.external_id,
                language=language,
                defaults={"article_id": article.pk},
            )
            outcome = "created"
        else:
            before = article.version
            article = article_save(
                article=article, title=record.title[:200], body_md=body, author=actor
            )
            outcome = "updated" if article.version != before else "unchanged"
        if article.status != Status.PUBLISHED:
            article_transition(article=article, to=Status.PUBLISHED, actor=actor)
    return outcome
