"""Searching never fails while an ingest job writes to the same home."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from scrkb.api.app import create_app
from scrkb.config import Settings
from tests.api.conftest import ADMIN_TOKEN, wait_ready
from tests.api.corpus import EXTRA_REPORT, REPORTS


def test_search_keeps_working_during_ingest(fresh_home: Path) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    # Re-uploading the corpus under new names plus a new report: several commits, each
    # bumping the store generation, while searches run.
    files = [("files", (EXTRA_REPORT[0], EXTRA_REPORT[1].encode(), "text/plain"))]
    for name, text in REPORTS.items():
        edited = text.replace("Published", "Republished")
        files.append(("files", (f"copy-{name}", edited.encode(), "text/plain")))
    with TestClient(create_app(Settings(home=fresh_home, admin_token=ADMIN_TOKEN))) as c:
        wait_ready(c)
        failures: list[str] = []
        counts = {"searches": 0}
        stop = threading.Event()

        def search_loop() -> None:
            queries = [
                "bruise baby",
                "older men missing",
                "neglect dental",
                "escalation policy",
                "",
            ]
            i = 0
            while not stop.is_set():
                params = (
                    {"q": queries[i % len(queries)], "theme": "neglect"}
                    if i % 5 == 4
                    else {"q": queries[i % len(queries)]}
                )
                r = c.get("/api/search", params=params)
                counts["searches"] += 1
                if r.status_code != 200 or ("hits" not in r.json()):
                    failures.append(f"{r.status_code} {r.text[:200]}")
                i += 1

        threads = [threading.Thread(target=search_loop) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            job = c.post("/api/ingest", headers=admin, files=files).json()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                state = c.get(job["url"], headers=admin).json()
                if state["status"] in ("succeeded", "partial", "failed"):
                    break
                time.sleep(0.05)
            time.sleep(0.3)  # and a few searches after the swap
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert state["status"] == "succeeded", state
        assert state["result"]["added"] == 5
        assert not failures, failures[:3]
        assert counts["searches"] > 10
        top = c.get("/api/search", params={"q": "co-sleeping on a sofa after drinking"}).json()
        assert top["hits"][0]["title"] == "Rapid Review: Baby K"
        assert c.get("/readyz").json()["vectors"] == c.get("/api/stats").json()["passages"]
