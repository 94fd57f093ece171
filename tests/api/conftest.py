"""One real knowledge base for the API tests, built once per session.

The four fictional reports in ``corpus.py`` go through the real pipeline (extract,
structure, passages, MiniLM embeddings, theme tagger, store, FAISS), so the API is
tested against what ``scrkb ingest`` really produces. Building takes ~20 s (model and
spaCy load), so the home is shared; tests that write to the index (ingest, crawl) work
on a copy (``fresh_home``), and pack tests only touch pack tables.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from scrkb.api.app import create_app
from scrkb.config import Settings
from tests.api.corpus import write_reports

ADMIN_TOKEN = "test-admin-token-8f3a"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every API test uses the real embedding model through the built home.
    for item in items:
        if "tests/api/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def kb_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scrkb.services.ingest import ingest_paths

    root = tmp_path_factory.mktemp("kb")
    sources = write_reports(root / "sources")
    home = root / "home"
    summary = ingest_paths(sources, Settings(home=home))
    assert not summary.failures, [f.message for f in summary.failures]
    assert summary.documents == len(sources)
    return home


@pytest.fixture(scope="session")
def settings(kb_home: Path) -> Settings:
    return Settings(home=kb_home, admin_token=ADMIN_TOKEN)


def wait_ready(client: TestClient, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/readyz").status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError(f"/readyz never turned 200: {client.get('/readyz').json()}")


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        wait_ready(c)
        yield c


@pytest.fixture(scope="session")
def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="session")
def report_ids(client: TestClient) -> dict[str, str]:
    """Child code in the title ('Baby R', 'Child T'...) → report id."""
    data = client.get("/api/reports", params={"limit": 100}).json()["data"]
    return {r["title"].split(": ", 1)[1]: r["id"] for r in data}


@pytest.fixture()
def fresh_home(kb_home: Path, tmp_path: Path) -> Path:
    """A private copy of the built home, for tests that ingest or crawl into it."""
    home = tmp_path / "home"
    home.mkdir()
    src = sqlite3.connect(kb_home / "scrkb.sqlite")
    dst = sqlite3.connect(home / "scrkb.sqlite")
    with dst:
        src.backup(dst)  # consistent even while the session client holds the store open
    src.close()
    dst.close()
    for folder in ("vectors", "files"):
        if (kb_home / folder).is_dir():
            shutil.copytree(kb_home / folder, home / folder)
    return home
