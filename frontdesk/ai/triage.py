"""Ticket triage: predict type, priority, team (and chosen choice custom fields) from the
subject and first message, trained on the desk's own solved tickets.

``triage_train`` fits one classifier per field, keeps 20% of the tickets aside to measure
precision and coverage and to pick each field's auto-apply threshold for the admin's
precision target, then stores the model. Where torch and a mean-pooling model are loaded
and a field has enough tickets, the classifier mixes in a fine-tuned copy of the encoder
(classify.py, finetune.py; ``FRONTDESK_TRIAGE_FINETUNE=off`` turns it off).
``triage_apply(ticket_id)`` writes suggestions for a new ticket and, for fields the admin
switched on, applies the ones above the threshold through ``tickets.services.ticket_update``.
It is idempotent: suggestions are made once per ticket and field, so a rerun (or a second
topic) never applies twice.
"""

from __future__ import annotations

import io
import logging
import pickle  # noqa: S403 - only our own model, written by triage_train, is ever loaded
import random
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from frontdesk.ai import embeddings
from frontdesk.ai.classify import TextClassifier, precision_at_coverage, threshold_for
from frontdesk.ai.models import AiSettings, TriageModel, TriageSuggestion, Vector, VectorKind
from frontdesk.ai.store import from_bytes
from frontdesk.core import clock
from frontdesk.tickets.models import (
    DONE_CATEGORIES,
    CustomField,
    FieldType,
    Message,
    MessageKind,
    Priority,
    Ticket,
    TicketType,
)

if TYPE_CHECKING:
    import numpy as np

    from frontdesk.accounts.models import User

log = logging.getLogger(__name__)

BASE_FIELDS = ("ticket_type", "priority", "team")
DEFAULT_TARGET = 0.9
MAX_TRAIN = 20_000
MIN_TRAIN = 20
# Models whose weights are kept; older rows keep their held-out report only (a model with
# fine-tuned encoders is ~22 MB a field).
KEEP_BLOBS = 2


def fields_configured(config: AiSettings | None = None) -> list[str]:
    config = config or AiSettings.objects.filter(pk=1).first() or AiSettings(pk=1)
    keys = set(
        CustomField.objects.filter(
            active=True, field_type=FieldType.CHOICE, key__in=config.triage_custom_fields or []
        ).values_list("key", flat=True)
    )
    return list(BASE_FIELDS) + [f"custom:{k}" for k in sorted(keys)]


def field_label(field: str) -> str:
    from django.utils.translation import gettext as _

    names = {"ticket_type": _("Type"), "priority": _("Priority"), "team": _("Team")}
    if field in names:
        return names[field]
    key = field.removeprefix("custom:")
    found = CustomField.objects.filter(key=key).values_list("label", flat=True).first()
    return found or key


def _value_of(ticket: Ticket, field: str) -> str | None:
    if field == "ticket_type":
        return ticket.ticket_type.slug if ticket.ticket_type_id else None
    if field == "priority":
        return ticket.priority.slug if ticket.priority_id else None
    if field == "team":
        return str(ticket.team_id) if ticket.team_id else None
    value = (ticket.custom_fields or {}).get(field.removeprefix("custom:"))
    return None if value in (None, "") else str(value)


def _texts(tickets: list[Ticket]) -> dict[int, str]:
    from frontdesk.ai.texts import ticket_input

    firsts: dict[int, str] = {}
    rows = (
        Message.objects.filter(ticket_id__in=[t.pk for t in tickets], kind=MessageKind.PUBLIC)
        .order_by("ticket_id", "created_at", "pk")
        .values_list("ticket_id", "body_text")
    )
    for ticket_id, body in rows:
        firsts.setdefault(ticket_id, body)
    return {t.pk: ticket_input(t.subject, firsts.get(t.pk, "")) for t in tickets}


def _vectors(tickets: list[Ticket], texts: dict[int, str]) -> np.ndarray | None:
    """Stored ticket vectors where there are some; the rest embedded now (not stored)."""
    import numpy as np

    backend = embeddings.backend()
    if backend is None or not embeddings.covers("en"):
        return None
    stored = {
        object_id: from_bytes(raw)
        for object_id, raw in Vector.objects.filter(
            kind=VectorKind.TICKET, model=backend.name, object_id__in=[t.pk for t in tickets]
        ).values_list("object_id", "vector")
    }
    todo = [t.pk for t in tickets if t.pk not in stored]
    if todo:
        fresh = backend.embed([texts[i] for i in todo])
        stored.update(dict(zip(todo, fresh, strict=True)))
    return np.vstack([stored[t.pk] for t in tickets])


def triage_train(*, targets: dict[str, float] | None = None) -> TriageModel | None:
    """Train on solved tickets, measure on a held-out fifth, store the model (or None when
    there are too few solved tickets to learn from)."""
    import numpy as np

    config = AiSettings.objects.filter(pk=1).first() or AiSettings(pk=1)
    targets = {**(config.triage_targets or {}), **(targets or {})}
    tickets = list(
        Ticket.objects.filter(status_category__in=DONE_CATEGORIES, merged_into__isnull=True)
        .select_related("ticket_type", "priority")
        .order_by("-pk")[:MAX_TRAIN]
    )
    if len(tickets) < MIN_TRAIN:
        return None
    texts = _texts(tickets)
    vectors = _vectors(tickets, texts)
    classifiers: dict[str, TextClassifier] = {}
    report: dict[str, Any] = {}
    rng = random.Random(8)  # noqa: S311 - a reproducible split, not a secret
    for field in fields_configured(config):
        rows = [(i, t) for i, t in enumerate(tickets) if _value_of(t, field) is not None]
        labels = [_value_of(t, field) or "" for _i, t in rows]
        if len(rows) < MIN_TRAIN or len(set(labels)) < 2:
            continue
        order = list(range(len(rows)))
        rng.shuffle(order)
        cut = max(1, len(order) // 5)
        held, train = order[:cut], order[cut:]

        def pick(idx: list[int], rows: list = rows) -> tuple[list[str], Any]:  # type: ignore[type-arg]
            chosen = [rows[i] for i in idx]
            text = [texts[t.pk] for _n, t in chosen]
            vec = vectors[[n for n, _t in chosen]] if vectors is not None else None
            return text, vec

        classifier = TextClassifier(use_embeddings=vectors is not None, finetune=True)
        train_text, train_vec = pick(train)
        classifier.fit(train_text, [labels[i] for i in train], train_vec)
        held_text, held_vec = pick(held)
        predicted, margins = classifier.margins(held_text, held_vec)
        correct = np.array([p == labels[i] for p, i in zip(predicted, held, strict=True)])
        classifier.calibrate(margins, correct)
        confidence = classifier.confidences(margins)
        target = float(targets.get(field, DEFAULT_TARGET))
        threshold, precision, coverage = threshold_for(confidence, correct, target)
        if classifier.tuned is None:
            # The stored model learns from every ticket; the report stays the held-out one.
            # (A fine-tuned one is kept as measured: fine-tuning twice doubles the weekly
            # job's minutes, and its calibration then fits the stored model exactly.)
            all_text, all_vec = pick(list(range(len(rows))))
            calibration = classifier.calibration
            classifier.fit(all_text, labels, all_vec)
            classifier.calibration = calibration
        classifiers[field] = classifier
        report[field] = {
            "method": classifier.method(),
            "accuracy": round(float(correct.mean()), 4),
            "precision_at_80_coverage": round(precision_at_coverage(confidence, correct, 0.8), 4),
            "target": target,
            "threshold": round(threshold, 4),
            "precision": round(precision, 4),
            "coverage": round(coverage, 4),
            "n_train": len(train),
            "n_held_out": len(held),
            "labels": len(set(labels)),
        }
    if not classifiers:
        return None
    buffer = io.BytesIO()
    pickle.dump(classifiers, buffer)
    row = TriageModel.objects.create(
        created_at=clock.now(),
        mode=embeddings.mode(),
        n_train=len(tickets),
        report=report,
        blob=buffer.getvalue(),
    )
    kept = TriageModel.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)
    TriageModel.objects.exclude(pk__in=list(kept[:KEEP_BLOBS])).exclude(blob=b"").update(blob=b"")
    _model_keep(row, classifiers)  # this process predicts with it at once
    return row


_loaded: dict[str, Any] = {}
# A process asks the database for a newer model at most this often; the one it trained
# itself it uses at once. (A weekly model reaching other workers a minute late is fine; a
# query on every prediction is not.)
MODEL_CHECK_SECONDS = 60.0


def model_current() -> tuple[TriageModel, dict[str, TextClassifier]] | None:
    """The latest model, unpickled once per process and kept."""
    import time

    now = time.monotonic()
    if "row" in _loaded and now - _loaded.get("checked", 0.0) < MODEL_CHECK_SECONDS:
        return _loaded["row"], _loaded["classifiers"]
    latest = TriageModel.objects.only("pk").order_by("-created_at", "-pk").first()
    if latest is None:
        _loaded.clear()
        return None
    if _loaded.get("pk") != latest.pk:
        row = TriageModel.objects.get(pk=latest.pk)
        _model_keep(row, pickle.loads(bytes(row.blob)))  # noqa: S301 - our own model
    _loaded["checked"] = now
    return _loaded["row"], _loaded["classifiers"]


def _model_keep(row: TriageModel, classifiers: dict[str, TextClassifier]) -> None:
    import time

    _loaded.update(pk=row.pk, row=row, classifiers=classifiers, checked=time.monotonic())


def predict_text(text: str, vector: np.ndarray | None = None) -> dict[str, tuple[str, float]]:
    """field -> (value, confidence) for one text (the bench and the eval use this)."""
    current = model_current()
    if current is None:
        return {}
    _row, classifiers = current
    out = {}
    for field, classifier in classifiers.items():
        vec = vector.reshape(1, -1) if vector is not None and classifier.use_embeddings else None
        if (classifier.use_embeddings and vec is None) or not classifier.ready():
            continue  # trained with embeddings (or a model) not here now: no guess
        prediction = classifier.predict([text], vec)[0]
        out[field] = (prediction.label, prediction.confidence)
    return out


def _resolve_value(field: str, value: str) -> tuple[Any, str] | None:
    from frontdesk.accounts.models import Team

    if field == "ticket_type":
        found = TicketType.objects.filter(slug=value, active=True).first()
        return (found, found.label) if found else None
    if field == "priority":
        found = Priority.objects.filter(slug=value).first()
        return (found, found.label) if found else None
    if field == "team":
        found = Team.objects.filter(pk=int(value)).first() if value.isdigit() else None
        return (found, found.name) if found else None
    return value, value


def _changes_for(ticket: Ticket, field: str, resolved: Any) -> dict[str, Any]:
    if field.startswith("custom:"):
        return {"custom_fields": {**(ticket.custom_fields or {}), field[7:]: resolved}}
    return {field: resolved}


def triage_apply(ticket_id: int) -> list[TriageSuggestion]:
    """Suggest (once per ticket and field) and auto-apply where the admin allows it."""
    from frontdesk.tickets.services import ticket_update

    current = model_current()
    if current is None:
        return []
    row, classifiers = current
    ticket = Ticket.objects.select_related("ticket_type", "priority").filter(pk=ticket_id).first()
    if ticket is None or ticket.merged_into_id:
        return []
    done = set(TriageSuggestion.objects.filter(ticket=ticket).values_list("field", flat=True))
    todo = {f: c for f, c in classifiers.items() if f not in done}
    if not todo:
        return []
    text = _texts([ticket])[ticket.pk]
    vector = None
    if any(c.use_embeddings for c in todo.values()):
        vectors = _vectors([ticket], {ticket.pk: text})
        vector = vectors[0] if vectors is not None else None
    config = AiSettings.objects.filter(pk=1).first() or AiSettings(pk=1)
    made = []
    changes: dict[str, Any] = {}
    for field, classifier in todo.items():
        if (classifier.use_embeddings and vector is None) or not classifier.ready():
            continue
        vec = vector.reshape(1, -1) if vector is not None and classifier.use_embeddings else None
        prediction = classifier.predict([text], vec)[0]
        resolved = _resolve_value(field, prediction.label)
        if resolved is None:
            continue
        threshold = float(row.report.get(field, {}).get("threshold", 1.01))
        above = prediction.confidence >= threshold
        try:
            with transaction.atomic():
                suggestion = TriageSuggestion.objects.create(
                    ticket=ticket,
                    field=field,
                    value=prediction.label,
                    label=str(resolved[1])[:200],
                    confidence=round(prediction.confidence, 4),
                    above_threshold=above,
                    created_at=clock.now(),
                )
        except IntegrityError:
            continue  # another worker made it first
        made.append(suggestion)
        # A team someone already chose is never overridden by a guess.
        if field == "team" and ticket.team_id is not None:
            continue
        if (
            above
            and (config.triage_auto or {}).get(field)
            and _value_of(ticket, field) != (prediction.label)
        ):
            changes.update(_changes_for(ticket, field, resolved[0]))
            suggestion.applied_at = clock.now()
    if changes:
        ticket_update(ticket=ticket, actor=None, changes=changes)
        TriageSuggestion.objects.filter(
            pk__in=[s.pk for s in made if s.applied_at is not None]
        ).update(applied_at=clock.now())
    return made


def triage_pre_route(ticket_id: int) -> None:
    """The automation engine's pre-route hook (registered in ``AiConfig.ready``): a new
    ticket is embedded (stored, so the later job and similar tickets reuse it) and triaged
    before its "created" rules and routing read its team, type and priority."""
    if embeddings.backend() is not None:
        from frontdesk.ai.indexing import tickets_embed

        tickets_embed([ticket_id])
    triage_apply(ticket_id)


def suggestion_apply(*, suggestion: TriageSuggestion, actor: User) -> None:
    """An agent's one click: apply a suggestion through the ticket services."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from frontdesk.tickets.services import ticket_update

    resolved = _resolve_value(suggestion.field, suggestion.value)
    if resolved is None:
        raise ValidationError(_("That value no longer exists."))
    ticket = Ticket.objects.get(pk=suggestion.ticket_id)
    ticket_update(
        ticket=ticket, actor=actor, changes=_changes_for(ticket, suggestion.field, resolved[0])
    )
    TriageSuggestion.objects.filter(pk=suggestion.pk).update(
        applied_at=clock.now(), applied_by=actor
    )
