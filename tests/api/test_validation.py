"""Every input is checked into a 4xx; pages answer errors as pages, the API as JSON."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from scrkb.app import create_app
from scrkb.config import Settings

DRAFT = "The health visitor did not see the baby, and nobody asked who lived in the home."


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("validation") / "home"
    app = create_app(Settings(home=home), warm=False)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as c:
        yield c


BAD_NUMBERS = ["--1", "²", "¹⁰", "1e3", "0x10", " 5 5", "٣", "9" * 5000, "-0", "1.5"]


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize("field", ["k", "passages_per_report"])
def test_validation_precedent_form_numbers(client: TestClient, field: str, value: str) -> None:
    r = client.post("/api/precedent", data={"text": DRAFT, field: value})
    assert r.status_code == 422, (value, r.status_code, r.text[:200])
    assert r.json()["error"]["code"] == "invalid_request"
    assert field in r.json()["error"]["message"]


@pytest.mark.parametrize("value", ["²", "٢٠١٥", "9" * 5000, "20 15", "-2015", "2015.0"])
@pytest.mark.parametrize("field", ["from", "to"])
def test_validation_web_search_years_are_a_page_error(
    client: TestClient, field: str, value: str
) -> None:
    r = client.get("/", params={"q": "x", field: value})
    assert r.status_code == 422, (value, r.status_code, r.text[:200])
    assert r.headers["content-type"].startswith("text/html")
    assert "must be a year" in r.text


@pytest.mark.parametrize("value", ["²", "9" * 5000, "-1", "x"])
def test_validation_web_search_page_number(client: TestClient, value: str) -> None:
    r = client.get("/", params={"q": "x", "page": value})
    assert r.status_code in (200, 422)
    assert r.headers["content-type"].startswith("text/html")


def test_validation_unknown_page_is_an_html_404(client: TestClient) -> None:
    r = client.get("/no-such-page", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "Page not found" in r.text
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_validation_wrong_method_on_a_page_is_an_html_405(client: TestClient) -> None:
    r = client.put("/precedents", headers={"accept": "text/html"})
    assert r.status_code == 405
    assert r.headers["content-type"].startswith("text/html")


def test_validation_web_form_errors_are_html(client: TestClient) -> None:
    r = client.post("/pack/items", data={})  # no passage id, no token
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"].startswith("text/html")
