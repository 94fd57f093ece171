"""GET /api/reports, /api/reports/{id}, /similar and /original."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_reports_list_newest_first_with_summaries(client: TestClient) -> None:
    body = client.get("/api/reports").json()
    assert body["count"] == 4 and body["limit"] == 20 and body["offset"] == 0
    years = [r["year"] for r in body["data"]]
    assert years == sorted(years, reverse=True)
    first = body["data"][0]
    assert first["title"].endswith("Child D") and first["url"] == f"/api/reports/{first['id']}"
    assert first["passages"] > 0 and first["top_themes"]
    assert first["nation"] == "England" and first["review_type"] == "lcspr"


def test_reports_sort_and_paging(client: TestClient) -> None:
    titles = [
        r["title"] for r in client.get("/api/reports", params={"sort": "title"}).json()["data"]
    ]
    assert titles == sorted(titles, key=str.lower)
    desc = client.get("/api/reports", params={"sort": "-title"}).json()["data"]
    assert [r["title"] for r in desc] == titles[::-1]
    by_year = [
        r["year"] for r in client.get("/api/reports", params={"sort": "year"}).json()["data"]
    ]
    assert by_year == sorted(by_year)
    page = client.get("/api/reports", params={"sort": "title", "limit": 2, "offset": 2}).json()
    assert [r["title"] for r in page["data"]] == titles[2:4] and page["count"] == 4


def test_reports_filters(client: TestClient) -> None:
    def titles(**params: object) -> list[str]:
        return [r["title"] for r in client.get("/api/reports", params=params).json()["data"]]

    assert titles(nation="Scotland") == ["Learning Review: Child N"]
    assert titles(year_from=2019, year_to=2021, sort="year") == [
        "Child Practice Review: Child T",
        "Learning Review: Child N",
    ]
    assert titles(theme="missing_episodes") == ["Child Practice Review: Child T"]
    assert titles(age_band="under 1") == ["Serious Case Review: Baby R"]
    assert titles(review_type="SCR") == ["Serious Case Review: Baby R"]
    assert titles(title="practice review") == [
        "Local Child Safeguarding Practice Review: Child D",
        "Child Practice Review: Child T",
    ]
    assert titles(title="%") == []  # LIKE wildcards are literal


def test_reports_bad_filters(client: TestClient) -> None:
    r = client.get("/api/reports", params={"theme": "nope"})
    assert r.status_code == 422 and "valid" in r.json()["error"]["details"]
    assert client.get("/api/reports", params={"sort": "colour"}).status_code == 422
    assert client.get("/api/reports", params={"limit": 101}).status_code == 422


def test_report_detail(client: TestClient, report_ids: dict[str, str]) -> None:
    rid = report_ids["Baby R"]
    body = client.get(f"/api/reports/{rid}").json()
    assert body["title"] == "Serious Case Review: Baby R" and body["status"] == "ok"
    meta = body["metadata"]
    assert meta["year"] == 2015 and meta["nation"] == "England" and meta["age_band"] == "under 1"
    assert meta["evidence"], "each metadata value carries where it was found"
    assert body["theme_profile"][0]["passages"] >= body["theme_profile"][-1]["passages"]
    assert any(t["id"] == "non_mobile_injury" for t in body["theme_profile"])
    assert [r["number"] for r in body["recommendations"]] == ["1", "2"]
    headings = [s["heading"] for s in body["sections"]]
    assert "2. Key practice episodes" in headings
    passages = [p for s in body["sections"] for p in s["passages"]]
    assert len(passages) == body["passages"]
    assert [p["ordinal"] for p in passages] == sorted(p["ordinal"] for p in passages)
    assert body["source"]["format"] == "text" and len(body["source"]["sha256"]) == 64
    assert body["source"]["file_name"] == "ambleside-baby-r-2015.txt"
    assert body["source"]["original_url"] == f"/api/reports/{rid}/original"
    assert "ingested_from" not in body["provenance"]  # no server paths in responses
    assert "/tmp" not in str(body["provenance"])


def test_report_unknown_is_404(client: TestClient) -> None:
    for path in ("/api/reports/rnope", "/api/reports/rnope/similar", "/api/reports/rnope/original"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"


def test_similar_reports(client: TestClient, report_ids: dict[str, str]) -> None:
    rid = report_ids["Child D"]
    body = client.get(f"/api/reports/{rid}/similar", params={"k": 2}).json()
    assert body["report_id"] == rid and len(body["data"]) == 2
    assert all(s["report"]["id"] != rid for s in body["data"])
    scores = [s["score"] for s in body["data"]]
    assert scores == sorted(scores, reverse=True)
    assert any(s["shared_themes"] for s in body["data"])


def test_report_original_is_the_ingested_file(
    client: TestClient, report_ids: dict[str, str]
) -> None:
    r = client.get(f"/api/reports/{report_ids['Child T']}/original")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert "Child Practice Review: Child T" in r.text
    assert "cwm-tawel-child-t-2019.txt" in r.headers["content-disposition"]
