"""GET /api/search: ranking, rendering, facets, browse by theme, and every refusal."""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.testclient import TestClient


def test_search_returns_rendered_hits(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "bruise on a baby accepted explanation", "k": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "bruise on a baby accepted explanation"
    assert body["k"] == 5 and body["offset"] == 0
    top = body["hits"][0]
    assert top["title"] == "Serious Case Review: Baby R"
    assert top["partnership"] == "Ambleside Vale Local Safeguarding Children Board"
    assert top["year"] == 2015 and top["page"] >= 1
    assert "<mark>" in top["snippet_html"] and "\x02" not in top["snippet"]
    assert top["report_url"] == f"/api/reports/{top['report_id']}"
    assert top["original_url"].endswith(f"/api/reports/{top['report_id']}/original")
    assert {"id", "name", "confidence"} <= set(top["themes"][0])
    assert top["score_parts"]["fused"] > 0


def test_search_snippet_html_is_escaped(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "<script>bruise</script>"})
    assert r.status_code == 200
    for hit in r.json()["hits"]:
        assert "<script>" not in hit["snippet_html"]


def test_search_facets_count_the_whole_result_set(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "children's social care", "k": 1}).json()
    assert len(body["hits"]) == 1
    facets = body["facets"]
    assert set(facets) == {"theme", "year", "review_type", "nation", "age_band"}
    assert sum(facets["nation"].values()) >= 2  # more reports than the one hit shown
    assert body["total"] > 1


def test_search_filters_narrow_results(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "school exclusion", "nation": "Wales"}).json()
    assert body["hits"] and all(h["nation"] == "Wales" for h in body["hits"])
    body = client.get(
        "/api/search", params={"q": "neglect", "year_from": 2020, "year_to": 2021}
    ).json()
    assert body["hits"] and all(h["year"] == 2021 for h in body["hits"])
    body = client.get("/api/search", params={"q": "neglect", "review_type": "LR"}).json()
    assert body["hits"] and all(h["review_type"] == "lr" for h in body["hits"])


def test_search_empty_query_browses_strongest_passages_for_theme(client: TestClient) -> None:
    body = client.get("/api/search", params={"theme": "neglect", "k": 3}).json()
    assert body["query"] == ""
    assert body["hits"]
    assert all(any(t["id"] == "neglect" for t in h["themes"]) for h in body["hits"])
    scores = [h["score"] for h in body["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert body["facets"]["theme"]["neglect"] == body["total"]


def test_search_paging_with_offset(client: TestClient) -> None:
    first = client.get("/api/search", params={"q": "social care", "k": 2}).json()
    second = client.get("/api/search", params={"q": "social care", "k": 2, "offset": 2}).json()
    assert [h["rank"] for h in second["hits"]] == [3, 4][: len(second["hits"])]
    assert not {h["passage_id"] for h in first["hits"]} & {h["passage_id"] for h in second["hits"]}


def test_search_folds_each_report_to_a_few_hits_with_a_link_to_the_rest(
    client: TestClient,
) -> None:
    params = {"q": "bruise on a baby accepted explanation", "k": 20}
    everything = client.get("/api/search", params={**params, "per_report": 0}).json()
    body = client.get("/api/search", params=params).json()
    assert body["per_report"] == 2 and everything["per_report"] == 0
    assert body["total"] == everything["total"] and body["reports"] == everything["reports"]
    per_report = Counter(h["report_id"] for h in body["hits"])
    assert (
        max(per_report.values())
        <= 2
        < max(Counter(h["report_id"] for h in everything["hits"]).values())
    )
    folded = [h for h in body["hits"] if h["more_url"]]
    assert folded and all(h["report_matches"] > 2 for h in folded)
    assert all(h["more_url"] is None for h in body["hits"] if h["report_matches"] <= 2)
    more = client.get(folded[0]["more_url"]).json()
    assert more["total"] == len(more["hits"]) == folded[0]["report_matches"]
    assert {h["report_id"] for h in more["hits"]} == {folded[0]["report_id"]}
    assert more["per_report"] == 0 and not any(h["more_url"] for h in more["hits"])


def test_search_reports_view_and_sort_by_date(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "social care", "view": "reports", "k": 2}).json()
    assert body["view"] == "reports" and len(body["groups"]) == 2
    assert body["page_total"] == body["reports"]
    for group in body["groups"]:
        assert group["report_url"] == f"/api/reports/{group['report_id']}"
        assert {h["report_id"] for h in group["hits"]} == {group["report_id"]}
        assert (group["more_url"] is not None) == (group["matches"] > len(group["hits"]))
    newest = client.get(
        "/api/search", params={"q": "social care", "sort": "newest", "k": 20}
    ).json()
    years = [h["year"] for h in newest["hits"]]
    assert years == sorted(years, reverse=True) and newest["sort"] == "newest"


def test_search_says_why_and_what_facets_count(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "unseen men new partner", "k": 5}).json()
    assert body["facet_units"] == {
        "theme": "passages",
        "year": "reports",
        "review_type": "reports",
        "nation": "reports",
        "age_band": "reports",
    }
    why = body["hits"][0]["why"]
    assert set(why) == {"terms", "themes", "meaning"}
    assert any(t["id"] == "unseen_men" for h in body["hits"] for t in h["why"]["themes"])
    assert {"partner", "unseen", "men"} & {t for h in body["hits"] for t in h["why"]["terms"]}
    assert body["suggestions"]["themes"][0]["id"] == "unseen_men"


def test_search_suggests_a_spelling_from_the_corpus(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "brusing on a baby"}).json()
    assert body["suggestions"]["spelling"] == "bruising on a baby"
    assert (
        client.get("/api/search", params={"q": "bruising"}).json()["suggestions"]["spelling"]
        is None
    )


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_search_modes(client: TestClient, mode: str) -> None:
    r = client.get("/api/search", params={"q": "missing from home", "mode": mode})
    assert r.status_code == 200 and r.json()["hits"]


def test_search_unknown_theme_is_422_listing_valid_ids(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "x", "theme": "neglekt"})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_query"
    assert "neglekt" in err["message"] and "neglect" in err["message"]
    assert "neglect" in err["details"]["valid"]


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"k": 101}, "query k"),
        ({"k": 0}, "query k"),
        ({"offset": -1}, "query offset"),
        ({"q": "x" * 1001}, "query q"),
        ({"year_from": "soon"}, "query year_from"),
        ({"mode": "fuzzy"}, "query mode"),
        ({"sort": "alphabetical"}, "query sort"),
        ({"view": "table"}, "query view"),
        ({"per_report": 101}, "query per_report"),
    ],
)
def test_search_bad_parameters_are_422(client: TestClient, params: dict, where: str) -> None:
    r = client.get("/api/search", params=params)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_request" and err["status"] == 422
    assert err["message"].startswith(where)
    assert "Traceback" not in r.text


def test_search_punctuation_only_query_is_not_an_error(client: TestClient) -> None:
    for q in ['"', "*", "AND OR NOT", "((", "'; DROP TABLE passages; --"]:
        assert client.get("/api/search", params={"q": q}).status_code == 200
