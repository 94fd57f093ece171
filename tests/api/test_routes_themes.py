"""GET /api/themes and /api/themes/{theme_id}."""

from __future__ import annotations

from fastapi.testclient import TestClient

from scrkb.nlp.taxonomy import default_taxonomy


def test_themes_list_every_taxonomy_theme_with_counts(client: TestClient) -> None:
    body = client.get("/api/themes").json()
    ids = [t["id"] for t in body["data"]]
    assert ids == default_taxonomy().ids and body["count"] == len(ids)
    neglect = next(t for t in body["data"] if t["id"] == "neglect")
    assert neglect["name"] and neglect["definition"]
    assert neglect["reports"] >= 1 and neglect["passages"] >= neglect["reports"]


def test_theme_detail_has_trend_cooccurrence_passages_and_recommendations(
    client: TestClient,
) -> None:
    body = client.get("/api/themes/was_not_brought").json()
    assert body["id"] == "was_not_brought" and body["definition"]
    years = {p["year"]: p for p in body["trend"]}
    assert set(years) == {2015, 2019, 2021, 2023}
    assert years[2021]["reports"] == 1 and years[2015]["reports"] == 0
    assert all(p["all_reports"] >= p["reports"] for p in body["trend"])
    co = {c["id"]: c for c in body["co_occurring"]}
    assert "neglect" in co and co["neglect"]["name"] == "Neglect"
    assert body["strongest_passages"]
    assert all(
        any(t["id"] == "was_not_brought" for t in h["themes"]) for h in body["strongest_passages"]
    )
    assert body["recommendations_total"] >= 1
    rec = body["recommendations"][0]
    assert "was_not_brought" in rec["themes"] and rec["title"] == "Learning Review: Child N"


def test_theme_detail_limits(client: TestClient) -> None:
    body = client.get("/api/themes/neglect", params={"passages": 0, "recommendations": 0}).json()
    assert body["strongest_passages"] == [] and body["recommendations"] == []
    assert client.get("/api/themes/neglect", params={"passages": 51}).status_code == 422


def test_theme_unknown_is_404_listing_valid_ids(client: TestClient) -> None:
    r = client.get("/api/themes/no_such_theme")
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["code"] == "not_found" and "neglect" in err["details"]["valid"]
