"""Sentence embeddings: all-MiniLM-L6-v2 from the installed package, normalised 384-d.

The embedder is shared by ingest (passages), search (queries), the tagger's semantic
stage and the precedent finder. Torch and sentence-transformers load inside
``Embedder.__init__``, so importing this module costs nothing.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np

from scrkb.errors import IndexNotReady

DIMENSION = 384
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


def embedding_text(text: str, heading_path: list[str]) -> str:
    """What the dense arm sees: the nearest heading gives a passage its topic."""
    if heading_path:
        return f"{heading_path[-1]}: {text}"
    return text


class Embedder:
    """all-MiniLM-L6-v2 from the installed package: normalised 384-d vectors, offline."""

    def __init__(self, model_path: Path, *, batch_size: int = 32) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        if not Path(model_path).exists():
            raise IndexNotReady(f"embedding model not found at {model_path}")
        from sentence_transformers import SentenceTransformer

        self.model_path = Path(model_path)
        self.batch_size = batch_size
        self._model = SentenceTransformer(str(model_path), device="cpu")
        self._lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: list[str], *, batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        with self._lock:
            vecs = self._model.encode(
                texts,
                batch_size=batch_size or self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector; repeated queries (paging, facets) hit a small cache."""
        with self._cache_lock:
            cached = self._query_cache.get(text)
            if cached is not None:
                self._query_cache.move_to_end(text)
                return cached
        vec = self.encode([text])[0]
        with self._cache_lock:
            self._query_cache[text] = vec
            while len(self._query_cache) > 512:
                self._query_cache.popitem(last=False)
        return vec


@lru_cache(maxsize=4)
def get_embedder(model_path: Path, batch_size: int = 32) -> Embedder:
    return Embedder(model_path, batch_size=batch_size)
