"""Sentence embeddings: all-MiniLM-L6-v2 from the installed package, normalised 384-d.

The embedder is shared by ingest (passages), search (queries), the tagger's semantic
stage and the precedent finder. The model has two **forms**, and a vector is only ever
compared with vectors of its own form:

- ``int8`` (the default): the graph below with 8-bit weights (``nlp/onnx_export.py``), on
  ONNX Runtime. About 1.3× faster than fp32 on this project's CPUs, and within 0.01 of
  it on retrieval nDCG and tagger F1 (README, "Embedding form").
- ``fp32``: the model as trained. On the CPU it runs on ONNX Runtime, from a graph
  exported from the bundled weights, without torch; its vectors agree with
  sentence-transformers on torch to about 1e-7, so torch computes the same form — on a
  CUDA GPU, for bulk re-embedding, where one is present. int8 has no GPU path: its
  arithmetic is ONNX Runtime's own, and a store never mixes forms.

ONNX Runtime runs one text at a time: no padding to compute, and a text gets the same
vector whether it is a query, one passage of a file or one of a thousand (int8's
activations are quantised per input). The store records the form of its vectors
(``index/store.py``); search embeds queries in that form, and ingest re-embeds a store
of another form rather than mix the two. The runtimes load inside the embedders, so
importing this module costs nothing.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from scrkb.errors import ConfigError, IndexNotReady

DIMENSION = 384
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
Form = Literal["fp32", "int8"]
FORMS: tuple[Form, ...] = ("fp32", "int8")
Runtime = Literal["onnxruntime-cpu", "torch-cpu", "torch-cuda"]
_QUERY_CACHE = 512


def embedding_text(text: str, heading_path: list[str]) -> str:
    """What the dense arm sees: the nearest heading gives a passage its topic."""
    if heading_path:
        return f"{heading_path[-1]}: {text}"
    return text


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


class Embedder:
    """Normalised 384-d vectors for texts, in one form; load once and share."""

    form: Form
    runtime: Runtime

    def __init__(self, model_path: Path, *, batch_size: int = 32) -> None:
        if not Path(model_path).exists():
            raise IndexNotReady(f"embedding model not found at {model_path}")
        self.model_path = Path(model_path)
        self.batch_size = batch_size
        self._cache_lock = threading.Lock()
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(
        self, texts: list[str], *, batch_size: int | None = None, threads: int | None = None
    ) -> np.ndarray:
        """One normalised vector per text, on ``threads`` cores (default: one for int8,
        torch's own choice for fp32). The numbers do not depend on either argument for int8."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        vectors = self._encode(list(texts), batch_size, threads)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode(self, texts: list[str], batch_size: int | None, threads: int | None) -> np.ndarray:
        raise NotImplementedError

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
            while len(self._query_cache) > _QUERY_CACHE:
                self._query_cache.popitem(last=False)
        return vec


class OnnxEmbedder(Embedder):
    """ONNX Runtime on the CPU, one text per run, no torch (either form).

    Each run uses one core; ``encode(..., threads=N)`` runs N texts at once (ONNX Runtime
    releases the GIL), which for one short sequence beats splitting its matrix products
    and, beside busy worker processes, never spins waiting on a barrier.
    """

    runtime: Runtime = "onnxruntime-cpu"

    def __init__(
        self,
        model_path: Path,
        form: Form = "fp32",
        *,
        batch_size: int = 32,
        cache: Path | None = None,
        onnx_path: Path | None = None,
    ) -> None:
        super().__init__(model_path, batch_size=batch_size)
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from scrkb.nlp.onnx_export import onnx_model

        self.form = form
        self.onnx_path = onnx_path or onnx_model(self.model_path, form, cache)
        config = json.loads((self.model_path / "sentence_bert_config.json").read_text())
        self.max_tokens = int(config.get("max_seq_length", 256))
        self._tokenizer = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(self.onnx_path), options, providers=["CPUExecutionProvider"]
        )
        self._pools: dict[int, ThreadPoolExecutor] = {}
        self._pools_lock = threading.Lock()

    def _one(self, text: str) -> np.ndarray:
        # sentence-transformers strips each text before tokenising; so do we
        ids = np.asarray([self._tokenizer.encode(text.strip()).ids], dtype=np.int64)
        ones = np.ones_like(ids)
        hidden = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": ones, "token_type_ids": np.zeros_like(ids)},
        )[0][0]
        vec = hidden.mean(axis=0)  # mean pooling: every token of an unpadded input counts
        return vec / max(float(np.linalg.norm(vec)), 1e-12)

    def _encode(self, texts: list[str], batch_size: int | None, threads: int | None) -> np.ndarray:
        # A text repeated in a batch (a partnership's standard paragraph in each of its
        # reports) is run once: each text runs alone, so its copies' vectors are the same.
        unique = list(dict.fromkeys(texts))
        if len(unique) < len(texts):
            where = {text: i for i, text in enumerate(unique)}
            vectors = self._encode(unique, batch_size, threads)
            return vectors[[where[text] for text in texts]]
        if threads is not None and threads > 1 and len(texts) > 1:
            with self._pools_lock:
                pool = self._pools.get(threads) or self._pools.setdefault(
                    threads, ThreadPoolExecutor(threads, thread_name_prefix="embed")
                )
            return np.vstack(list(pool.map(self._one, texts)))
        return np.vstack([self._one(t) for t in texts])


class TorchEmbedder(Embedder):
    """The ``fp32`` form on sentence-transformers and torch: the reference the ONNX graph is
    checked against, and the CUDA path for bulk re-embedding."""

    form: Form = "fp32"

    def __init__(self, model_path: Path, *, batch_size: int = 32, device: str = "cpu") -> None:
        super().__init__(model_path, batch_size=batch_size)
        _offline()
        from sentence_transformers import SentenceTransformer

        self.runtime = "torch-cuda" if device == "cuda" else "torch-cpu"
        self._model = SentenceTransformer(str(model_path), device=device)
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], batch_size: int | None, threads: int | None) -> np.ndarray:
        import torch

        with self._lock:
            before = torch.get_num_threads()
            if threads is not None and self.runtime == "torch-cpu":
                torch.set_num_threads(threads)  # beside busy workers: no spinning barriers
            try:
                return self._model.encode(
                    texts,
                    batch_size=batch_size or self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            finally:
                torch.set_num_threads(before)


def default_form() -> Form:
    """The form to embed in where no store says otherwise (``SCRKB_EMBEDDING_FORM``, else
    the default, int8)."""
    from scrkb.config import get_settings

    return get_settings().embedding_form_for(None)  # type: ignore[return-value]


def cuda_available() -> bool:
    """Whether torch sees a CUDA GPU (imports torch: ask only on the ``fp32`` path)."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def get_embedder(
    model_path: Path,
    batch_size: int = 32,
    *,
    form: Form | None = None,
    runtime: Runtime = "onnxruntime-cpu",
) -> Embedder:
    """The shared embedder of a form (default: the configured one), built on first use."""
    return _embedder(Path(model_path), batch_size, form or default_form(), runtime)


@lru_cache(maxsize=8)
def _embedder(model_path: Path, batch_size: int, form: Form, runtime: Runtime) -> Embedder:
    if form not in FORMS:
        raise ConfigError(f"unknown embedding form {form!r}: use one of {', '.join(FORMS)}")
    if runtime == "onnxruntime-cpu":
        from scrkb.config import get_settings

        return OnnxEmbedder(
            model_path, form, batch_size=batch_size, cache=get_settings().model_cache
        )
    if form != "fp32":
        raise ConfigError(f"the {form} form runs on ONNX Runtime only, not {runtime}")
    device = "cuda" if runtime == "torch-cuda" else "cpu"
    return TorchEmbedder(model_path, batch_size=batch_size, device=device)


def bulk_embedder(model_path: Path, batch_size: int, form: Form) -> Embedder:
    """For re-embedding a whole store: torch on a CUDA GPU for ``fp32`` where torch sees one
    (the same weights and arithmetic, so the same form), else ONNX Runtime on the CPU
    (call ``encode`` with ``threads=os.cpu_count()``). int8 runs on the CPU only."""
    if form == "fp32" and cuda_available():
        return get_embedder(model_path, max(batch_size, 128), form=form, runtime="torch-cuda")
    return get_embedder(model_path, batch_size, form=form)
