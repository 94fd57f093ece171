"""What one server process shares between requests: store, searcher, catalog, packs, jobs.

The API and the web pages are served by the same app and read through one ``Services``
(``app.state.services``): each uvicorn worker opens the store and loads the index once.
Built lazily on first use (or by the app's startup), so importing the app costs nothing
and a test client without a lifespan still works.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from scrkb.config import Settings
from scrkb.index.catalog import Catalog
from scrkb.index.store import Store
from scrkb.index.vectors import check_vector_index
from scrkb.services.jobs import Jobs, ServingSearcher
from scrkb.services.packs import Packs
from scrkb.services.query_themes import query_themes

log = logging.getLogger("scrkb.services")


@dataclass(frozen=True)
class _Open:
    store: Store
    searcher: ServingSearcher
    catalog: Catalog
    packs: Packs
    jobs: Jobs


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # A snapshot on a read-only mount, or a replica told so: nothing is written, and
        # packs and jobs are refused (ReadOnly) rather than failing in SQLite.
        self.read_only = settings.is_read_only()
        self._lock = threading.Lock()
        self._open: _Open | None = None
        self.ready = False
        self.ready_error: str | None = None

    def _opened(self) -> _Open:
        opened = self._open
        if opened is None:
            with self._lock:
                if self._open is None:
                    # Writable unless read-only: packs and jobs are written through it
                    # (WAL: readers never wait).
                    store = Store(self.settings.db_path, readonly=self.read_only)
                    self._open = _Open(
                        store=store,
                        searcher=ServingSearcher(self.settings, store=store),
                        catalog=Catalog(store),  # one per process: it caches centroids
                        packs=Packs(store),
                        jobs=Jobs(store, self.settings),
                    )
                opened = self._open
        return opened

    @property
    def store(self) -> Store:
        return self._opened().store

    @property
    def searcher(self) -> ServingSearcher:
        return self._opened().searcher

    @property
    def catalog(self) -> Catalog:
        return self._opened().catalog

    @property
    def packs(self) -> Packs:
        return self._opened().packs

    @property
    def jobs(self) -> Jobs:
        return self._opened().jobs

    def check(self) -> None:
        """Open the store now (a bad home fails at startup); a read-only home's vector
        index must also be current, since nothing here may rebuild it."""
        store = self.store
        if self.read_only:
            check_vector_index(store, self.settings.vectors_dir)

    def warm(self) -> None:
        """Load the embedding model and the vector index now: /readyz turns 200 after this."""
        try:
            self.searcher.warm()
            # the themes' embeddings, which every search compares its query with
            query_themes().centroids(self.searcher.embedder)
        except Exception as exc:  # reported by /readyz; the worker keeps serving lexical
            log.error("index failed to load: %s", exc, exc_info=exc)
            self.ready_error = str(exc)
        else:
            self.ready = True
            self.ready_error = None

    def close(self) -> None:
        with self._lock:
            if self._open is not None:
                self._open.store.close()
                self._open = None
