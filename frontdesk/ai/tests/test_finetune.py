"""Triage with a fine-tuned encoder: trained on the desk's solved tickets when the model is
loaded, stored with the triage model, rebuilt after a restart, never used on another base
model; turned off, or in lexical mode, the TF-IDF model as before. Tiny data, one epoch."""

from __future__ import annotations

import pickle

import pytest

from frontdesk.ai import finetune, triage
from frontdesk.ai.classify import TextClassifier
from frontdesk.ai.models import TriageModel, TriageSuggestion
from frontdesk.ai.triage import triage_apply, triage_train
from frontdesk.tickets.models import Status, TicketType
from frontdesk.tickets.services import ticket_update

CARD = ["my card was stolen", "I lost my card", "card got swallowed by the atm", "freeze my card"]
TRANSFER = [
    "my transfer has not arrived",
    "transfer pending for days",
    "money sent to the wrong account",
    "how long does a bank transfer take",
]


@pytest.fixture
def small_desk(monkeypatch):
    """Fine-tuning on a few dozen texts in one epoch (the real floor is 500 texts)."""
    monkeypatch.setattr(finetune, "MIN_TEXTS", 10)
    monkeypatch.setattr(finetune, "EPOCHS", 1)
    monkeypatch.setattr(finetune, "BATCH", 8)


def _texts() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for n in range(6):
        texts += [f"{t} {n}" for t in CARD] + [f"{t} {n}" for t in TRANSFER]
        labels += ["card"] * len(CARD) + ["transfer"] * len(TRANSFER)
    return texts, labels


def test_fine_tuned_classifier_survives_a_restart_and_needs_its_base_model(semantic, small_desk):
    texts, labels = _texts()
    classifier = TextClassifier(use_embeddings=True, finetune=True)
    classifier.fit(texts, labels, semantic.embed(texts))
    assert classifier.method() == "finetune"
    queries = ["somebody stole my card yesterday", "where is the money I transferred"]
    before = classifier.predict(queries, semantic.embed(queries))
    assert [p.label for p in before] == ["card", "transfer"]

    # Stored without the word-piece table (frozen, taken from the installed model).
    assert len(classifier.tuned.weights) < 30_000_000

    # A new process: the pickle holds weights only; the encoder is rebuilt on first use.
    restored = pickle.loads(pickle.dumps(classifier))  # noqa: S301 - our own object
    assert restored.tuned._module is None
    after = restored.predict(queries, semantic.embed(queries))
    assert [p.label for p in after] == ["card", "transfer"]
    assert [round(p.confidence, 3) for p in after] == [round(p.confidence, 3) for p in before]

    # Fine-tuned on another base model: no guess (its confidences were calibrated on the mix).
    other = pickle.loads(pickle.dumps(classifier))  # noqa: S301
    other.tuned.base = "another-model"
    assert not other.ready()


def test_fewer_texts_than_the_floor_or_turned_off_keep_the_tfidf_model(semantic, settings):
    texts, labels = _texts()
    classifier = TextClassifier(use_embeddings=True, finetune=True)
    classifier.fit(texts, labels, semantic.embed(texts))  # 48 texts, floor 500
    assert classifier.method() == "svm"
    settings.TRIAGE_FINETUNE = "off"
    assert not finetune.available(10_000)


def _solved(make_ticket, people, subject: str, team: str, kind: TicketType):
    ticket = make_ticket(subject=subject, body=f"Hello, {subject}.", team=team)
    ticket_update(
        ticket=ticket,
        actor=people["sam"],
        changes={"ticket_type": kind, "status": Status.objects.get(slug="solved")},
    )


@pytest.mark.django_db
def test_weekly_training_fine_tunes_and_a_restarted_worker_suggests_with_it(
    semantic, small_desk, make_ticket, people, settle, settings
):
    incident = TicketType.objects.get(slug="incident")
    question = TicketType.objects.get(slug="question")
    for n in range(5):
        for subject in CARD:
            _solved(make_ticket, people, f"{subject} {n}", "l2", incident)
        for subject in TRANSFER:
            _solved(make_ticket, people, f"{subject} {n}", "l1", question)
    settle()
    model = triage_train()
    assert model.mode == "semantic"
    assert model.report["team"]["method"] == "finetune"
    assert model.report["team"]["accuracy"] >= 0.9

    triage._loaded.clear()  # a worker started after the training: reads the stored model
    ticket = make_ticket(subject="a thief took my card", body="my card was stolen", team=None)
    settle()
    triage_apply(ticket.pk)
    suggestion = TriageSuggestion.objects.get(ticket=ticket, field="team")
    assert suggestion.value == str(people["l2"].pk)
    assert triage._loaded["classifiers"]["team"].tuned._module is not None  # rebuilt

    # Two more weeks (fine-tuning turned off by then): the oldest weights go, reports stay.
    settings.TRIAGE_FINETUNE = "off"
    triage_train()
    triage_train()
    rows = list(TriageModel.objects.order_by("-created_at", "-pk"))
    assert [bool(r.blob) for r in rows] == [True, True, False]
    assert [r.report["team"]["method"] for r in rows] == ["svm", "svm", "finetune"]


def test_layers_run_once_below_the_trained_ones_give_what_the_whole_encoder_gives(
    semantic, monkeypatch
):
    """Training runs the frozen bottom layers once per text and the rest on every step:
    it must see the same text representation the whole encoder gives at prediction."""
    import torch

    from frontdesk.ai.embeddings import mean_pool

    monkeypatch.setattr(finetune, "FROZEN_LAYERS", 2)
    _name, tokenizer, base, _precision = finetune.base_parts()
    encoder, _head = finetune._trainable_copy(base, 2)
    encoder.eval()
    texts = ["my card was stolen", "how long does a bank transfer take from abroad", "hi"]
    ids = tokenizer(texts, truncation=True, max_length=finetune.MAX_TOKENS)["input_ids"]
    below = finetune._below_trainable(encoder, ids, bf16=False)
    hidden, mask = below([2, 0, 1])
    with torch.no_grad():
        upper = finetune._upper(encoder, encoder.encoder.layer[2:], hidden, mask)
        batch = tokenizer([texts[2], texts[0], texts[1]], padding=True, return_tensors="pt")
        whole = encoder(**batch).last_hidden_state
    assert torch.allclose(
        mean_pool(upper, mask), mean_pool(whole, batch["attention_mask"]), atol=1e-4
    )
    # Only the layers above are trained (and stored).
    assert not any(
        k.startswith(("embeddings.", "encoder.layer.1.")) for k in finetune._stored_keys(encoder)
    )
    assert any(k.startswith("encoder.layer.2.") for k in finetune._stored_keys(encoder))


def test_with_frozen_bottom_layers_the_model_is_smaller_and_survives_a_restart(
    semantic, small_desk, monkeypatch
):
    texts, labels = _texts()
    monkeypatch.setattr(finetune, "FROZEN_LAYERS", 2)
    classifier = TextClassifier(use_embeddings=True, finetune=True)
    classifier.fit(texts, labels, semantic.embed(texts))
    queries = ["somebody stole my card yesterday", "where is the money I transferred"]
    before = classifier.predict(queries, semantic.embed(queries))
    assert [p.label for p in before] == ["card", "transfer"]
    assert len(classifier.tuned.weights) < 16_000_000  # 4 of 6 layers (21 MB with all 6)

    # Rebuilt from the installed base model (the frozen layers) plus the stored ones.
    restored = pickle.loads(pickle.dumps(classifier))  # noqa: S301 - our own object
    after = restored.predict(queries, semantic.embed(queries))
    assert [round(p.confidence, 3) for p in after] == [round(p.confidence, 3) for p in before]
