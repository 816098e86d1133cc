"""The sentence encoder fine-tuned on a desk's own labels (triage's stronger mode).

A copy of the embedding model's transformer learns the labels directly: mean pooling, a
linear softmax head, cross-entropy, AdamW with warm-up and linear decay, texts bucketed by
length so a batch pads only to its own longest text. The word-piece embedding table (half
the model's weights) and the bottom ``FROZEN_LAYERS`` transformer layers stay frozen: their
output is computed once per text before the first step, each step runs (and back-propagates
through) the layers above only, and only those are stored (about 21 MB in bfloat16 for
all-MiniLM-L6-v2 with none frozen, 14 MB with two). Where the CPU computes in bfloat16
natively the forward and backward passes run under bfloat16 autocast (master weights
float32).

Pure: no database. ``TextClassifier`` (classify.py) mixes its probabilities with the
TF-IDF model's. Torch and the model are reached only through ``embeddings.backend()``: the
fine-tuned copy is rebuilt from the installed base model plus the stored weights, so a
model trained with another base model is not used (``ready()`` says so).
"""

from __future__ import annotations

import io
import logging
import math
import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from frontdesk.ai.embeddings import mean_pool

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

# Chosen on BANKING77 (see docs/ai.md): 4 epochs, encoder lr 1e-4, head lr 1e-3, batch 32.
EPOCHS = 4
LR = 1e-4
HEAD_LR = 1e-3
BATCH = 32
MAX_TOKENS = 64  # BANKING77: 95% of texts are under 37 word pieces, 99% under 53
WARMUP = 0.06
# The word-piece table and the transformer layers below FROZEN_LAYERS stay as in the base
# model: their output is computed once per text, and each step runs the layers above only.
FROZEN_LAYERS = 0
# Fewer labelled texts than this: the TF-IDF model alone (a few hundred steps are needed
# before a fine-tuned head says anything useful, and small desks train in seconds today).
MIN_TEXTS = 500


def setting() -> str:
    """``FRONTDESK_TRIAGE_FINETUNE``: "auto" (default: fine-tune where torch and a mean-pooled
    model are loaded and there are enough texts), "off"."""
    value = getattr(settings, "TRIAGE_FINETUNE", None)
    if value is None:
        value = os.environ.get("FRONTDESK_TRIAGE_FINETUNE", "auto")
    return str(value or "auto").strip().lower()


def train_threads() -> int:
    """Threads for training (``FRONTDESK_AI_TRAIN_THREADS``, default 2): a weekly job can
    use both cores; predictions keep the backend's one thread."""
    value = getattr(settings, "AI_TRAIN_THREADS", os.environ.get("FRONTDESK_AI_TRAIN_THREADS", 2))
    return max(1, int(value))


def base_parts() -> tuple[str, Any, Any, str] | None:
    """(model name, tokenizer, transformer, precision) of the loaded mean-pooling backend,
    or None: lexical mode, or a model the lean path does not cover."""
    from frontdesk.ai import embeddings

    backend = embeddings.backend()
    parts = getattr(backend, "encoder_parts", None)
    return None if backend is None or parts is None else parts()


def available(n_texts: int) -> bool:
    return setting() != "off" and n_texts >= MIN_TEXTS and base_parts() is not None


_train_lock = threading.Lock()


@dataclass
class FineTuned:
    """A fine-tuned copy of the base encoder with a softmax head over ``labels``.

    Pickles as the base model's name plus the trained weights (bfloat16 bytes); the torch
    module is rebuilt on first use after unpickling."""

    base: str
    labels: list[str]
    weights: bytes = b""
    _module: Any = field(default=None, repr=False)
    _lock: Any = field(default_factory=threading.Lock, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {"base": self.base, "labels": self.labels, "weights": self.weights}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.base, self.labels, self.weights = state["base"], state["labels"], state["weights"]
        self._module, self._lock = None, threading.Lock()

    # --- training ---------------------------------------------------------------------------
    @classmethod
    def train(
        cls, texts: list[str], labels: list[str], *, epochs: float | None = None, seed: int = 0
    ) -> FineTuned | None:
        """Fine-tune a copy of the loaded encoder (None in lexical mode)."""
        epochs = EPOCHS if epochs is None else epochs
        parts = base_parts()
        if parts is None:
            return None
        import numpy as np
        import torch

        name, tokenizer, base, precision = parts
        classes = sorted(set(labels))
        index = {c: i for i, c in enumerate(classes)}
        y = torch.tensor([index[label] for label in labels])
        with _train_lock:  # torch's thread count is per process
            threads = torch.get_num_threads()
            torch.set_num_threads(train_threads())
            try:
                torch.manual_seed(seed)
                encoder, head = _trainable_copy(base, len(classes))
                _train_loop(
                    encoder,
                    head,
                    tokenizer,
                    texts,
                    y,
                    steps=max(1, int(math.ceil(len(texts) / BATCH) * epochs)),
                    bf16=precision == "bf16",
                    rng=np.random.default_rng(seed),
                )
            finally:
                torch.set_num_threads(threads)
        encoder.eval()
        tuned = cls(base=name, labels=classes, weights=_weights_bytes(encoder, head))
        tuned._module = _for_inference(tokenizer, encoder, head, precision)
        return tuned

    # --- prediction -------------------------------------------------------------------------
    def ready(self) -> bool:
        """Whether the module is (or can be) built: the same base model is loaded."""
        if self._module is not None:
            return True
        parts = base_parts()
        if parts is None or parts[0] != self.base:
            return False
        with self._lock:
            if self._module is None:
                self._module = _rebuilt(parts, self.weights, len(self.labels))
        return True

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """One row per text, columns in ``labels`` order."""
        import numpy as np
        import torch

        if not self.ready():
            raise RuntimeError(f"fine-tuned on {self.base}, which is not the loaded model")
        tokenizer, encoder, head, precision = self._module
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), 64):
                rows = order[start : start + 64]
                batch = tokenizer(
                    [texts[i] for i in rows],
                    padding=True,
                    truncation=True,
                    max_length=MAX_TOKENS,
                    return_tensors="pt",
                )
                # Weights already in the precision that runs (no casting on every call);
                # pooling and the head in float32, as the embedding backend does.
                hidden = encoder(**batch).last_hidden_state.float()
                pooled = mean_pool(hidden, batch["attention_mask"])
                out[rows] = torch.softmax(head(pooled), dim=1).numpy()
        return out


def _train_loop(
    encoder: Any,
    head: Any,
    tokenizer: Any,
    texts: list[str],
    y: Any,
    *,
    steps: int,
    bf16: bool,
    rng: Any,
) -> None:
    """``steps`` AdamW steps of cross-entropy, warm-up then linear decay."""
    import torch

    ids = tokenizer(texts, truncation=True, max_length=MAX_TOKENS)["input_ids"]
    lengths = [len(row) for row in ids]
    below = _below_trainable(encoder, ids, bf16, pad=tokenizer.pad_token_id or 0)
    layers = encoder.encoder.layer[FROZEN_LAYERS:]
    trainable = [p for p in encoder.parameters() if p.requires_grad] + list(head.parameters())
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for p in encoder.parameters() if p.requires_grad], "lr": LR},
            {"params": list(head.parameters()), "lr": HEAD_LR},
        ],
        weight_decay=0.01,
    )
    warm = max(1, int(WARMUP * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: (s + 1) / warm if s < warm else max(0.0, (steps - s) / max(1, steps - warm)),
    )
    encoder.train()
    step = 0
    while step < steps:
        for rows in _batches(rng, lengths):
            if step >= steps:
                break
            hidden, mask = below(rows)
            with torch.autocast("cpu", torch.bfloat16, enabled=bf16):
                logits = head(mean_pool(_upper(encoder, layers, hidden, mask), mask))
            loss = torch.nn.functional.cross_entropy(logits.float(), y[rows])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1


def _below_trainable(encoder: Any, ids: list[list[int]], bf16: bool, pad: int = 0) -> Any:
    """A function of a batch's rows giving (hidden states, attention mask) at the input of
    the first trained layer. The frozen layers run once per text here, in batches, not on
    every step; with none frozen, only the word-piece lookup is left, done per batch."""
    import torch

    def padded(rows: list[int]) -> tuple[Any, Any]:
        longest = max(len(ids[i]) for i in rows)
        tokens = torch.full((len(rows), longest), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), longest), dtype=torch.long)
        for n, i in enumerate(rows):
            tokens[n, : len(ids[i])] = torch.tensor(ids[i])
            mask[n, : len(ids[i])] = 1
        return tokens, mask

    def embedded(rows: list[int]) -> tuple[Any, Any]:
        tokens, mask = padded(rows)
        with torch.no_grad(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            return encoder.embeddings(input_ids=tokens), mask

    if FROZEN_LAYERS <= 0:
        return embedded
    stored: list[Any] = [None] * len(ids)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    was_training = encoder.training
    encoder.eval()
    for start in range(0, len(order), 64):
        rows = order[start : start + 64]
        hidden, mask = embedded(rows)
        with torch.no_grad(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            hidden = _upper(encoder, encoder.encoder.layer[:FROZEN_LAYERS], hidden, mask)
        hidden = hidden.to(torch.bfloat16 if bf16 else torch.float32)
        for n, i in enumerate(rows):
            stored[i] = hidden[n, : len(ids[i])].clone()
    encoder.train(was_training)

    def cached(rows: list[int]) -> tuple[Any, Any]:
        hidden = torch.nn.utils.rnn.pad_sequence([stored[i] for i in rows], batch_first=True)
        mask = torch.zeros(hidden.shape[:2], dtype=torch.long)
        for n, i in enumerate(rows):
            mask[n, : len(ids[i])] = 1
        return hidden.float(), mask

    return cached


def _upper(encoder: Any, layers: Any, hidden: Any, mask: Any) -> Any:
    """``hidden`` through ``layers`` of the encoder, padding masked as the model does."""
    from transformers.masking_utils import create_bidirectional_mask

    attention = create_bidirectional_mask(
        config=encoder.config, inputs_embeds=hidden, attention_mask=mask
    )
    for layer in layers:
        hidden = layer(hidden, attention)
    return hidden


def _batches(rng: Any, lengths: list[int]) -> list[list[int]]:
    """Shuffled batches of similar length: chunks of 50 batches sorted by length inside."""
    order = rng.permutation(len(lengths))
    out: list[list[int]] = []
    for start in range(0, len(order), BATCH * 50):
        chunk = sorted(order[start : start + BATCH * 50].tolist(), key=lambda i: lengths[i])
        out += [chunk[i : i + BATCH] for i in range(0, len(chunk), BATCH)]
    rng.shuffle(out)
    return out


def _trainable_copy(base: Any, n_labels: int) -> tuple[Any, Any]:
    """A float32 copy of the base transformer with its word-piece table and bottom
    ``FROZEN_LAYERS`` layers frozen, and a head."""
    import copy

    import torch

    encoder = copy.deepcopy(base).float()
    frozen = [encoder.embeddings, *encoder.encoder.layer[:FROZEN_LAYERS]]
    for parameter in (p for module in frozen for p in module.parameters()):
        parameter.requires_grad = False
    head = torch.nn.Linear(encoder.config.hidden_size, n_labels)
    return encoder, head


def _stored_keys(encoder: Any) -> list[str]:
    """The trained weights only: the frozen ones are the base model's."""
    return [name for name, p in encoder.named_parameters() if p.requires_grad]


def _weights_bytes(encoder: Any, head: Any) -> bytes:
    import torch

    state = encoder.state_dict()
    kept = {f"encoder.{k}": state[k].to(torch.bfloat16) for k in _stored_keys(encoder)}
    kept.update({f"head.{k}": v.to(torch.bfloat16) for k, v in head.state_dict().items()})
    buffer = io.BytesIO()
    torch.save(kept, buffer)
    return buffer.getvalue()


def _rebuilt(parts: tuple[str, Any, Any, str], weights: bytes, n_labels: int) -> tuple:
    import torch

    _name, tokenizer, base, precision = parts
    encoder, head = _trainable_copy(base, n_labels)
    state = torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True)
    encoder.load_state_dict(
        {k[8:]: v.float() for k, v in state.items() if k.startswith("encoder.")}, strict=False
    )
    head.load_state_dict({k[5:]: v.float() for k, v in state.items() if k.startswith("head.")})
    encoder.eval()
    return _for_inference(tokenizer, encoder, head, precision)


def _for_inference(tokenizer: Any, encoder: Any, head: Any, precision: str) -> tuple:
    """bfloat16 weights where the CPU computes in it natively (as the embedding backend):
    autocast would cast the float32 weights again on every prediction."""
    import torch

    for parameter in list(encoder.parameters()) + list(head.parameters()):
        parameter.requires_grad = False
    if precision == "bf16":
        encoder = encoder.to(torch.bfloat16)
    return tokenizer, encoder.eval(), head.float().eval(), precision
