"""Each view in JSON and in HTML, side by side: the API and the web page show the same data.

Both are served by the app ``scrkb serve`` runs, over the sample corpus; the page is
asked for what the API is asked for (the same query, filters and page size), and what
the page shows (passage ids, counts, names, order) must be what the API returns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow

DRAFT = (
    "The health visitor saw a bruise on the baby's ear at the new birth visit and accepted "
    "the mother's explanation. The mother's new partner lived in the home but was never "
    "assessed, and no agency asked who else cared for the baby. The GP was not told."
)


@pytest.fixture(scope="module")
def client(sample_home) -> Iterator[TestClient]:
    import time

    from scrkb.app import create_app

    with TestClient(create_app(sample_home), follow_redirects=False) as c:
        deadline = time.monotonic() + 300
        while c.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        yield c


def page(client: TestClient, url: str, **kwargs) -> BeautifulSoup:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.text[:500]
    return BeautifulSoup(response.text, "lxml")


def ids(soup: BeautifulSoup, selector: str, prefix: str) -> list[str]:
    return [el["id"].removeprefix(prefix) for el in soup.select(selector)]


def words(text: str) -> str:
    return " ".join(text.split())


def test_views_search_json_and_html(client: TestClient) -> None:
    params = {"q": "baby bruised and nobody referred it", "nation": "England"}
    api = client.get("/api/search", params={**params, "k": 10}).json()
    html = page(client, "/", params=params)
    assert api["hits"]
    assert ids(html, "li.scrkb-result", "result-") == [h["passage_id"] for h in api["hits"]]
    heading = html.select_one("#results-heading").get_text()
    assert words(heading).startswith(f"{api['total']:,} passage")
    first = html.select_one("li.scrkb-result")
    assert [a.get_text() for a in first.select(".scrkb-tags a")] == [
        t["name"] for t in api["hits"][0]["themes"]
    ]
    shown = {words(label.get_text()) for label in html.select("label")}
    for nation, count in api["facets"]["nation"].items():
        assert f"{nation} ({count})" in shown


def test_views_search_folded_and_explained_json_and_html(client: TestClient) -> None:
    params = {"q": "bruise on a baby not referred"}
    api = client.get("/api/search", params={**params, "k": 10}).json()
    html = page(client, "/", params=params)
    assert ids(html, "li.scrkb-result", "result-") == [h["passage_id"] for h in api["hits"]]
    heading = words(html.select_one("#results-heading").get_text())
    assert heading.startswith(f"{api['total']:,} passages found in {api['reports']:,} reports")
    for hit, item in zip(api["hits"], html.select("li.scrkb-result"), strict=True):
        why = words(item.select_one(".scrkb-why").get_text())
        assert all(f"“{term}”" in why for term in hit["why"]["terms"][:6])
        assert all(t["name"] in why for t in hit["why"]["themes"])
        assert ("close in meaning" in why.lower()) == hit["why"]["meaning"]
        more = item.select_one("a.scrkb-more")
        assert (more is not None) == (hit["more_url"] is not None)
        if more is not None:
            assert words(more.get_text()).startswith(
                f"All {hit['report_matches']} matching passages"
            )
    # "more from this report" on the page is the API's more_url
    more = html.select_one("a.scrkb-more")
    hit = next(h for h in api["hits"] if h["more_url"])
    narrowed = client.get(hit["more_url"]).json()  # k=10 as asked above
    shown = page(client, more["href"])
    assert ids(shown, "li.scrkb-result", "result-") == [h["passage_id"] for h in narrowed["hits"]]
    assert shown.select_one("#results-report strong").get_text() == hit["title"]


def test_views_search_grouped_and_by_date_json_and_html(client: TestClient) -> None:
    params = {"q": "neglect of a young child", "sort": "newest"}
    api = client.get("/api/search", params={**params, "view": "reports", "k": 5}).json()
    html = page(client, "/", params={**params, "view": "reports"})
    assert ids(html, "li.scrkb-group", "report-") == [g["report_id"] for g in api["groups"]]
    assert ids(html, "li.scrkb-result", "result-") == [h["passage_id"] for h in api["hits"]]
    for group, block in zip(api["groups"], html.select("li.scrkb-group"), strict=True):
        assert words(block.select_one("h3").get_text()) == group["title"]
        assert f"{group['matches']} matching passage" in words(block.get_text())
        assert (block.select_one("a.scrkb-more") is not None) == (group["more_url"] is not None)
    assert html.select_one("#sort option[selected]")["value"] == "newest"
    assert html.select_one("#view option[selected]")["value"] == "reports"
    pages = [a.get_text() for a in html.select(".govuk-pagination__item a")]
    assert pages[-1] == str(-(-api["page_total"] // 5))


def test_views_search_nothing_found_json_and_html(client: TestClient) -> None:
    api = client.get(
        "/api/search", params={"q": "domestic abuse", "year_from": 1971, "year_to": 1972}
    ).json()
    html = page(client, "/", params={"q": "domestic abuse", "from": "1971", "to": "1972"})
    assert api["total"] == 0 and not html.select("li.scrkb-result")
    assert html.select_one("#results-heading").get_text() == "There are no matching passages"
    assert "removing filters" in words(html.select_one(".scrkb-results-col").get_text())
    suggested = [a.get_text() for a in html.select("[aria-labelledby=suggested-themes] a")]
    assert suggested and suggested == [t["name"] for t in api["suggestions"]["themes"]]


def test_views_search_spelling_and_past_the_last_page_json_and_html(client: TestClient) -> None:
    api = client.get("/api/search", params={"q": "neglekt", "k": 10}).json()
    html = page(client, "/", params={"q": "neglekt"})
    link = html.select_one("#spelling a")
    assert link.get_text() == api["suggestions"]["spelling"] == "neglect"
    assert link["href"] == "/?q=neglect"
    beyond = page(client, "/", params={"q": "neglect", "page": "99"})
    api = client.get("/api/search", params={"q": "neglect", "k": 10, "offset": 980}).json()
    assert not beyond.select("li.scrkb-result") and api["hits"] == []
    assert words(beyond.select_one("#results-heading").get_text()).startswith(
        f"{api['total']:,} passages"
    )
    last = -(-api["page_total"] // 10)
    assert f"There is no page 99: these results fill {last} pages" in words(
        beyond.select_one("#past-last-page").get_text()
    )


def test_views_themes_json_and_html(client: TestClient) -> None:
    api = client.get("/api/themes").json()
    html = page(client, "/themes")
    rows = {
        a.get_text(): [td.get_text() for td in a.find_parent("tr").select("td")[1:]]
        for a in html.select("table.scrkb-themes-table a")
    }
    assert api["count"] == len(api["data"]) == len(rows) > 30
    for theme in api["data"]:
        assert rows[theme["name"]] == [f"{theme['passages']:,}", f"{theme['reports']:,}"]


def test_views_theme_detail_json_and_html(client: TestClient) -> None:
    api = client.get("/api/themes/unseen_men", params={"passages": 6, "recommendations": 10}).json()
    html = page(client, "/themes/unseen_men")
    assert html.select_one("h1").get_text() == api["name"]
    assert api["strongest_passages"]
    assert ids(html, "li.scrkb-result", "result-") == [
        h["passage_id"] for h in api["strongest_passages"]
    ]
    table = [[c.get_text() for c in tr.select("th, td")] for tr in html.select("details tbody tr")]
    assert table and table == [
        [str(p["year"]), str(p["reports"]), str(p["all_reports"])] for p in api["trend"]
    ]
    co = [a.get_text() for a in html.select("aside a")]
    assert co and co == [c["name"] for c in api["co_occurring"][:8]]
    recs = [words(p.get_text()) for p in html.select("li.scrkb-rec > p:first-child")]
    assert recs and recs == [words(r["text"]) for r in api["recommendations"]]


def test_views_report_json_and_html(client: TestClient) -> None:
    report_id = client.get("/api/reports", params={"sort": "title", "limit": 1}).json()["data"][0][
        "id"
    ]
    api = client.get(f"/api/reports/{report_id}").json()
    similar = client.get(f"/api/reports/{report_id}/similar", params={"k": 5}).json()
    html = page(client, f"/reports/{report_id}")
    assert html.select_one("h1").get_text() == api["title"]
    passages = [p["id"] for s in api["sections"] for p in s["passages"]]
    assert passages and ids(html, "div.scrkb-rp", "passage-") == passages
    profile = [a.get_text() for a in html.select("table.scrkb-profile a")]
    assert profile and profile == [t["name"] for t in api["theme_profile"]]
    assert len(html.select("ol.scrkb-recs > li")) == len(api["recommendations"])
    assert [a.get_text() for a in html.select("aside a")] == [
        s["report"]["title"] for s in similar["data"]
    ]
    original = html.find("a", string=re.compile("^Open the original report"))
    assert original["href"] == f"/api/reports/{report_id}/original"  # the one original route
    assert api["source"]["original_url"] in (original["href"], api["source"]["source_url"])


def test_views_precedent_json_and_html(client: TestClient) -> None:
    api = client.post("/api/precedent", json={"text": DRAFT}).json()
    form = page(client, "/precedents")
    assert form.select_one("textarea#draft") is not None
    token = form.select_one("input[name=csrf_token]")["value"]
    response = client.post("/precedents", data={"draft": DRAFT, "csrf_token": token})
    assert response.status_code == 200
    html = BeautifulSoup(response.text, "lxml")
    titles = [a.get_text() for a in html.select(".scrkb-precedents > li > h3 a")]
    assert titles and titles == [r["report"]["title"] for r in api["reports"]]
    themes = [a.get_text() for a in html.select("[aria-label='Themes found in your draft'] a")]
    assert themes == [t["name"] for t in api["themes"]]


def test_views_pack_json_and_html(client: TestClient) -> None:
    hits = client.get("/api/search", params={"q": "missed health appointments", "k": 3}).json()
    passage_ids = [h["passage_id"] for h in hits["hits"]]
    assert len(passage_ids) == 3
    own = TestClient(client.app, follow_redirects=False)
    token = page(own, "/pack").select_one("input[name=csrf_token]")["value"]
    for pid in passage_ids:
        data = {"passage_id": pid, "next": "/pack", "csrf_token": token}
        response = own.post("/pack/items", data=data)
        assert response.status_code == 303
        own.cookies.update(response.cookies)
    pack_id = own.cookies["scrkb_pack"]
    api = own.get(f"/api/packs/{pack_id}").json()
    html = page(own, "/pack")
    assert [i["passage_id"] for i in api["items"]] == passage_ids
    assert ids(html, "li.scrkb-pack__item", "item-") == passage_ids
    assert [words(h.get_text()) for h in html.select("li.scrkb-pack__item h3 a")] == [
        i["citation"]["title"] for i in api["items"]
    ]
    assert html.select_one("#title")["value"] == api["title"]
    export = own.get(f"/api/packs/{pack_id}/export", params={"format": "md"})
    download = own.get("/pack/export", params={"format": "md", "layout": "standard"})
    assert export.status_code == download.status_code == 200
    assert export.content == download.content  # one exporter


def test_views_search_shorthand_read_out_json_and_html(client: TestClient) -> None:
    # a health visitor's shorthand: the page says how it was read, as the API does
    api = client.get("/api/search", params={"q": "hv missed new birth visit", "k": 10}).json()
    html = page(client, "/", params={"q": "hv missed new birth visit"})
    assert api["query_expansions"] == {"hv": ["health visitor"]}
    said = words(html.select_one("#results-expansions").get_text())
    assert said == "Also searched for health visitor (HV)."
    assert ids(html, "li.scrkb-result", "result-") == [h["passage_id"] for h in api["hits"]]
    spelt = [h for h in api["hits"] if "health" in h["matched_terms"]]
    assert spelt and all("visitor" in h["matched_terms"] for h in spelt)  # whole or not at all
    plain = client.get("/api/search", params={"q": "missed new birth visit", "k": 10}).json()
    assert plain["query_expansions"] == {} and not page(
        client, "/", params={"q": "missed new birth visit"}
    ).select("#results-expansions")
