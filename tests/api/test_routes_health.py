"""Health, readiness, stats, and what every response carries: headers, errors, logs."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from scrkb.api.app import create_app
from scrkb.config import Settings


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_the_loaded_index(client: TestClient) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "ready" and body["vectors"] == body["passages"] > 0


def test_readyz_is_503_until_loaded(settings: Settings) -> None:
    app = create_app(settings, warm=False)
    c = TestClient(app)  # no lifespan: nothing loaded yet
    r = c.get("/readyz")
    assert r.status_code == 503 and r.json()["error"]["code"] == "index_not_ready"


def test_stats(client: TestClient) -> None:
    body = client.get("/api/stats").json()
    assert body["reports"] == 4 and body["passages"] > 0
    assert body["years"] == [2015, 2019, 2021, 2023]
    assert body["nations"]["Wales"] == 1 and body["themes"] >= 30


def test_openapi_and_docs(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/search" in schema["paths"] and "/api/packs/{pack_id}/export" in schema["paths"]
    assert client.get("/docs").status_code == 200


def test_security_headers(client: TestClient) -> None:
    r = client.get("/api/themes")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert len(r.headers["x-request-id"]) == 16


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/nothing-here", 404, "not_found"),
        ("delete", "/api/themes", 405, "method_not_allowed"),
        ("get", "/api/packs/" + "x" * 65, 422, "invalid_request"),
    ],
)
def test_one_error_shape(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    r = client.request(method, path)
    assert r.status_code == status
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "status", "details"}
    assert body["error"]["code"] == code and body["error"]["status"] == status


def test_unexpected_errors_are_500_without_a_trace(settings: Settings) -> None:
    app = create_app(settings, warm=False)

    @app.get("/api/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals at /srv/scrkb")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/boom")
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal_error"
    assert "secret" not in r.text and "Traceback" not in r.text


def test_request_log_leaves_out_query_text(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="scrkb.api.access"):
        client.get("/api/search", params={"q": "private words"})
    lines = [r.getMessage() for r in caplog.records if r.name == "scrkb.api.access"]
    assert any(line.startswith("GET /api/search 200") for line in lines)
    assert not any("private" in line for line in lines)


def test_request_log_includes_query_when_enabled(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings.model_copy(update={"log_queries": True}), warm=False)
    with TestClient(app) as c, caplog.at_level(logging.INFO, logger="scrkb.api.access"):
        c.get("/api/themes", params={"q": "visible"})
    assert any("q=visible" in r.getMessage() for r in caplog.records)


def test_cors_is_off_by_default_and_configurable(client: TestClient, settings: Settings) -> None:
    origin = {"Origin": "https://intranet.example.org"}
    assert "access-control-allow-origin" not in client.get("/api/themes", headers=origin).headers
    app = create_app(settings.model_copy(update={"cors_origins": [origin["Origin"]]}), warm=False)
    with TestClient(app) as c:
        r = c.get("/api/themes", headers=origin)
        assert r.headers["access-control-allow-origin"] == origin["Origin"]
        pre = c.options(
            "/api/packs",
            headers={**origin, "Access-Control-Request-Method": "POST"},
        )
        assert pre.status_code == 200
