"""Admin routes: token checks, ingest upload, crawl job, job status."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from scrkb.api.app import create_app
from scrkb.config import Settings
from tests.api.conftest import ADMIN_TOKEN, wait_ready
from tests.api.corpus import EXTRA_REPORT


@pytest.fixture()
def own_client(fresh_home: Path) -> Iterator[TestClient]:
    """A client over a private copy of the home: these tests write to the index."""
    with TestClient(create_app(Settings(home=fresh_home, admin_token=ADMIN_TOKEN))) as c:
        wait_ready(c)
        yield c


def wait_job(client: TestClient, url: str, admin: dict, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(url, headers=admin).json()
        if job["status"] in ("succeeded", "partial", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job did not finish: {job}")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/ingest"),
        ("post", "/api/crawl"),
        ("get", "/api/jobs"),
        ("get", "/api/jobs/jx"),
    ],
)
def test_admin_routes_need_the_token(client: TestClient, method: str, path: str) -> None:
    r = client.request(method, path)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"
    r = client.request(method, path, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and "not valid" in r.json()["error"]["message"]
    r = client.request(method, path, headers={"X-Admin-Token": "test-admin-token-8f3"})
    assert r.status_code == 401


def test_admin_routes_are_off_without_a_configured_token(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"admin_token": None}), warm=False)) as c:
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer anything"}):
            r = c.get("/api/jobs", headers=headers)
            assert r.status_code == 403 and "SCRKB_ADMIN_TOKEN" in r.json()["error"]["message"]


def test_admin_ingest_upload_runs_in_background(own_client: TestClient, admin: dict) -> None:
    name, text = EXTRA_REPORT
    r = own_client.post(
        "/api/ingest", headers=admin, files=[("files", (name, text.encode(), "text/plain"))]
    )
    assert r.status_code == 202
    job = r.json()
    assert job["kind"] == "ingest" and job["params"] == {"files": [name]}
    assert job["status"] in ("queued", "running", "succeeded")
    done = wait_job(own_client, job["url"], admin)
    assert done["status"] == "succeeded", done
    assert done["result"]["added"] == 1 and done["result"]["files"][0]["path"] == name
    hits = own_client.get("/api/search", params={"q": "co-sleeping sofa father drinking"}).json()
    assert hits["hits"][0]["title"] == "Rapid Review: Baby K"
    listed = own_client.get("/api/jobs", headers=admin).json()
    assert listed["data"][0]["id"] == job["id"]


def test_admin_ingest_refusals(own_client: TestClient, admin: dict) -> None:
    r = own_client.post("/api/ingest", headers=admin, files=[("files", ("a.exe", b"MZ", "x/y"))])
    assert r.status_code == 415
    r = own_client.post("/api/ingest", headers=admin)
    assert r.status_code == 422
    small = own_client.app.state.services.settings  # type: ignore[attr-defined]
    small.max_file_mb = 1
    try:
        big = b"word " * 250_000
        r = own_client.post(
            "/api/ingest", headers=admin, files=[("files", ("big.txt", big, "text/plain"))]
        )
        assert r.status_code == 413
    finally:
        small.max_file_mb = 100


BAD_PDF = ("login.pdf", b"<!DOCTYPE html><html><body><p>Please sign in</p></body></html>")


def test_admin_ingest_job_is_partial_when_some_files_fail(
    own_client: TestClient, admin: dict
) -> None:
    name, text = EXTRA_REPORT
    files = [
        ("files", (name, text.encode(), "text/plain")),
        ("files", (BAD_PDF[0], BAD_PDF[1], "application/pdf")),
    ]
    job = own_client.post("/api/ingest", headers=admin, files=files).json()
    done = wait_job(own_client, job["url"], admin)
    assert done["status"] == "partial", done
    assert done["result"]["added"] == 1 and done["result"]["failed"] == 1
    assert "1 failed" in done["message"]
    failed = [f for f in done["result"]["files"] if f["status"] == "failed"]
    assert failed[0]["path"] == "login.pdf" and failed[0]["reason"] == "wrong_type"


def test_admin_ingest_job_fails_when_every_file_fails(own_client: TestClient, admin: dict) -> None:
    files = [("files", (BAD_PDF[0], BAD_PDF[1], "application/pdf"))]
    job = own_client.post("/api/ingest", headers=admin, files=files).json()
    done = wait_job(own_client, job["url"], admin)
    assert done["status"] == "failed", done
    assert done["result"]["failed"] == 1 and "login.pdf" in done["message"]


def test_admin_crawl_job_records_exit_status_and_output(
    own_client: TestClient, admin: dict
) -> None:
    r = own_client.post("/api/crawl", headers=admin, json={"source": "no-such-source"})
    assert r.status_code == 202
    job = r.json()
    assert job["kind"] == "crawl" and job["params"] == {"source": "no-such-source"}
    done = wait_job(own_client, job["url"], admin)
    # There is no such source (and maybe no crawler yet): the job fails cleanly.
    assert done["status"] == "failed"
    assert done["result"]["exit_code"] != 0 and done["output_tail"]
    assert "exited with status" in done["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"source": "--home=/etc"},
        {"source": "a b"},
        {"source": "nspcc", "limit": 0},
        {"source": "x", "extra": 1},
    ],
)
def test_admin_crawl_refuses_bad_requests(client: TestClient, admin: dict, body: dict) -> None:
    r = client.post("/api/crawl", headers=admin, json=body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_admin_unknown_job_is_404(client: TestClient, admin: dict) -> None:
    r = client.get("/api/jobs/jnope", headers=admin)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
