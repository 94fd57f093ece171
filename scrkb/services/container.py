"""What one server process shares between requests: store, searcher, catalog, packs, jobs.

The API and the web pages are served by the same app and read through one ``Services``
(``app.state.services``): each uvicorn worker opens the store and loads the index once.
Built lazily on first use (or by the app's startup), so importing the app costs nothing
and a test client without a lifespan still works.
"""

from __future__ import annotations

import logging
import threading

from scrkb.config import Settings
from scrkb.index.catalog import Catalog
from scrkb.index.store import Store
from scrkb.services.jobs import Jobs, ServingSearcher
from scrkb.services.packs import Packs

log = logging.getLogger("scrkb.services")


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._searcher: ServingSearcher | None = None
        self._catalog: Catalog | None = None
        self._packs: Packs | None = None
        self._jobs: Jobs | None = None
        self.ready = False
        self.ready_error: str | None = None

    def _open(self) -> None:
        with self._lock:
            if self._store is None:
                # Writable: packs and jobs are written through it (WAL: readers never wait).
                store = Store(self.settings.db_path)
                self._searcher = ServingSearcher(self.settings, store=store)
                self._catalog = Catalog(store)  # one per process: it caches centroids
                self._packs = Packs(store)
                self._jobs = Jobs(store, self.settings)
                self._store = store

    @property
    def store(self) -> Store:
        if self._store is None:
            self._open()
        assert self._store is not None
        return self._store

    @property
    def searcher(self) -> ServingSearcher:
        if self._searcher is None:
            self._open()
        assert self._searcher is not None
        return self._searcher

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._open()
        assert self._catalog is not None
        return self._catalog

    @property
    def packs(self) -> Packs:
        if self._packs is None:
            self._open()
        assert self._packs is not None
        return self._packs

    @property
    def jobs(self) -> Jobs:
        if self._jobs is None:
            self._open()
        assert self._jobs is not None
        return self._jobs

    def warm(self) -> None:
        """Load the embedding model and the vector index now: /readyz turns 200 after this."""
        try:
            self.searcher.warm()
        except Exception as exc:  # reported by /readyz; the worker keeps serving lexical
            log.error("index failed to load: %s", exc, exc_info=exc)
            self.ready_error = str(exc)
        else:
            self.ready = True
            self.ready_error = None

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
                self._searcher = None
                self._catalog = None
                self._packs = None
                self._jobs = None
