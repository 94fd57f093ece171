"""Re-embed a whole store in another embedding form, never leaving it mixed.

A store holds vectors of one form (``int8`` or ``fp32``, see ``nlp/embedding.py``). When
ingest (or retag) runs with another form configured, or ``scrkb reembed`` asks for one,
every stored passage is embedded again: the new vectors go to a side table in small
commits (so a stopped run resumes where it stopped), and one transaction swaps them all
in and records the new form. Until then searches keep using the old vectors, with
queries embedded in the old form; afterwards the vector index rebuilds from the new ones.

The ``fp32`` form runs on a CUDA GPU when torch sees one (``nlp.embedding.bulk_embedder``);
otherwise, and for ``int8``, on every core of the CPU.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from scrkb.config import Settings
from scrkb.index.store import Store
from scrkb.index.vectors import sync_vector_index
from scrkb.nlp.embedding import Form, bulk_embedder, embedding_text

CHUNK = 256  # passages per commit to the side table


def reembed_store(
    store: Store,
    settings: Settings,
    *,
    form: Form | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Make every stored vector ``form`` (default: ``SCRKB_EMBEDDING_FORM``; unset, nothing
    to do); returns how many passages were re-embedded (0 when the store already holds
    that form, or nothing)."""
    form = form or settings.embedding_form
    stored = store.embedding_form()
    if form is None or stored is None or stored == form:
        return 0
    embedder = bulk_embedder(settings.resolved_model_path(), settings.embed_batch_size, form)
    threads = os.cpu_count() or 1
    done, total = store.rework_count(form)
    if on_progress:
        on_progress(done, total)
    while True:
        while rows := store.rework_pending(form, CHUNK):
            vectors = embedder.encode(
                [embedding_text(text, heading_path) for _, text, heading_path in rows],
                threads=threads,
            )
            store.save_rework([rowid for rowid, _, _ in rows], vectors, form)
            done += len(rows)
            if on_progress:
                on_progress(min(done, total), total)
        if store.adopt_rework(form) == 0:  # passages written meanwhile are embedded first
            return total
        total = store.rework_count(form)[1]


def reembed_home(
    settings: Settings,
    *,
    form: Form | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, object]:
    """``scrkb reembed``: the data home's store in ``form``, and its vector index rebuilt."""
    with Store(settings.db_path) as store:
        before = store.embedding_form()
        count = reembed_store(store, settings, form=form, on_progress=on_progress)
        sync_vector_index(store, settings.vectors_dir, model_path=settings.resolved_model_path())
        return {"passages": count, "before": before, "now": store.embedding_form()}
