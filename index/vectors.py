"""The FAISS index over the passage embeddings kept in the store.

FAISS is imported lazily, inside the functions that need it, so that the lexical arm,
the CLI's help and most tests never pay for loading it. The embeddings themselves come
from ``scrkb.nlp.embedding``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from scrkb.errors import IndexNotReady
from scrkb.nlp.embedding import DIMENSION, MODEL_NAME

if TYPE_CHECKING:
    from scrkb.index.store import Store

INDEX_FILE = "vectors.faiss"
MANIFEST_FILE = "manifest.json"


class VectorIndex:
    """A FAISS inner-product index keyed by passage rowid (cosine on normalised vectors).

    Exact search (``IndexFlatIP``): at the few hundred thousand passages that all UK reviews
    amount to, it answers in milliseconds and needs no training; filters use an id
    selector so a filtered search still returns k hits when k exist.
    """

    def __init__(self, index: Any, generation: int, form: str | None = None) -> None:
        self.index = index
        self.generation = generation
        self.form = form  # the embedding form of the vectors (None: an empty store)

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, store: Store) -> VectorIndex:
        import faiss

        generation, form = store.generation(), store.embedding_form()
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(DIMENSION))
        for ids, vecs in store.iter_embeddings():
            index.add_with_ids(vecs, ids)
        return cls(index, generation, form)

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (rowids, scores); ``allowed`` restricts to those rowids."""
        import faiss

        if self.size == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed.astype(np.int64)))
        scores, ids = self.index.search(q, min(k, self.size), params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(rowids, vectors): the flat index's own storage as numpy, without a copy.

        Search scores every passage in one scan over this (``inner_products``): the same
        scan of memory an exact FAISS search makes, but it yields every cosine, so a
        similarity floor and an exact count of the passages above it cost nothing more.
        """
        import faiss

        cached = getattr(self, "_matrix", None)
        if cached is not None:
            return cached
        if self.size == 0:
            out = (np.zeros(0, dtype=np.int64), np.zeros((0, DIMENSION), dtype=np.float32))
        else:
            flat = faiss.downcast_index(self.index.index)
            vecs = faiss.rev_swig_ptr(flat.get_xb(), self.size * DIMENSION).reshape(
                self.size, DIMENSION
            )
            ids = faiss.vector_to_array(self.index.id_map).astype(np.int64)
            out = (ids, vecs)
        self._matrix = out
        return out

    def inner_products(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rowids, scores): ``query``'s inner product with every vector (its cosine, on
        normalised vectors), in index order, on this thread.

        FAISS's own kernel (``fvec_inner_products_ny``) makes the single scan of memory an
        exact search makes, at about twice the speed of numpy's matrix-vector product
        (BLAS on one thread: 40 against 19 ms over 300k vectors on this project's
        machines; ``bench/search_latency.py``), with the same sums to float rounding. It
        releases the GIL, so the lexical arm runs beside it."""
        import faiss

        ids, vecs = self.matrix()
        out = np.empty(len(ids), dtype=np.float32)
        if len(ids):
            q = np.ascontiguousarray(query.reshape(-1), dtype=np.float32)
            if q.shape[0] != DIMENSION:
                raise ValueError(f"a query vector has {DIMENSION} dimensions, not {q.shape[0]}")
            faiss.fvec_inner_products_ny(
                faiss.swig_ptr(out), faiss.swig_ptr(q), faiss.swig_ptr(vecs), DIMENSION, len(ids)
            )
        return ids, out

    def search_many(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rowids), one row per query: its top ``k``, rowid -1 where fewer exist."""
        q = np.ascontiguousarray(queries, dtype=np.float32)
        return self.index.search(q, min(k, self.size))

    def save(self, directory: Path, *, model_path: Path) -> None:
        """Write atomically: a temp file in the same folder, then rename over the old one."""
        import faiss

        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".vectors-", suffix=".tmp")
        os.close(fd)
        _readable(tmp)
        try:
            faiss.write_index(self.index, tmp)
            os.replace(tmp, directory / INDEX_FILE)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        manifest = {
            "model": MODEL_NAME,
            "form": self.form,
            "model_path": str(model_path),
            "dimension": DIMENSION,
            "count": self.size,
            "generation": self.generation,
            "index_type": "IndexIDMap2(IndexFlatIP)",
        }
        _atomic_write_text(directory / MANIFEST_FILE, json.dumps(manifest, indent=2))

    @classmethod
    def load(cls, directory: Path) -> VectorIndex | None:
        """The saved index, or None when missing or unreadable (the caller rebuilds it)."""
        import faiss

        manifest_path = directory / MANIFEST_FILE
        index_path = directory / INDEX_FILE
        if not manifest_path.exists() or not index_path.exists():
            return None
        try:
            manifest = json.loads(manifest_path.read_text())
            if manifest.get("dimension") != DIMENSION or manifest.get("model") != MODEL_NAME:
                return None
            generation = int(manifest["generation"])
            form = manifest.get("form")
            index = faiss.read_index(str(index_path))
        except (OSError, ValueError, RuntimeError, KeyError, TypeError, AttributeError):
            return None  # unreadable or foreign: the caller rebuilds from the store
        if int(index.ntotal) != manifest.get("count"):
            return None
        return cls(index, generation, form)


def _readable(path: str) -> None:
    """Give a temp file the usual permissions (mkstemp makes it 0600), so that a server
    running as another user can read a published snapshot."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    _readable(tmp)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def sync_vector_index(store: Store, directory: Path, *, model_path: Path) -> VectorIndex:
    """The index for the store's current generation: loaded if fresh, else rebuilt and
    saved. A read-only store's index is never rebuilt: a stale one is an error that names
    the command that rebuilds it (``check_vector_index``)."""
    current = store.generation()
    if store.readonly:
        check_vector_index(store, directory)
    loaded = VectorIndex.load(directory)
    if (
        loaded is not None
        and loaded.generation == current
        and loaded.form == store.embedding_form()
    ):
        return loaded
    if store.readonly:
        raise _stale(directory, "unreadable")
    return rebuild_vector_index(store, directory, model_path=model_path)


def rebuild_vector_index(store: Store, directory: Path, *, model_path: Path) -> VectorIndex:
    """Build the index from the stored embeddings and save it (``scrkb reindex``)."""
    built = VectorIndex.build(store)
    built.save(directory, model_path=model_path)
    return built


def check_vector_index(store: Store, directory: Path) -> None:
    """Refuse a missing or stale index from its manifest alone (no FAISS load): what a
    read-only home is checked with when it is opened."""
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text())
        built_for = int(manifest["generation"])
    except FileNotFoundError:
        raise _stale(directory, "missing") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise _stale(directory, "unreadable") from None
    if not (directory / INDEX_FILE).exists():
        raise _stale(directory, "missing")
    current = store.generation()
    if built_for != current:
        raise _stale(
            directory, f"stale (built for generation {built_for}, the store is at {current})"
        )


def _stale(directory: Path, state: str) -> IndexNotReady:
    home = directory.parent
    return IndexNotReady(
        f"the vector index in {directory} is {state} and this home is read-only: rebuild it "
        f"with `scrkb reindex --home {home}` on a writable copy (or search with --mode bm25)"
    )
