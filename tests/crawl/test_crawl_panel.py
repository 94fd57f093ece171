"""GOV.UK Child Safeguarding Practice Review Panel: Search API paging, Content API attachments."""

from __future__ import annotations

import json

from scrkb.config import Settings
from scrkb.ingest.crawl.runner import crawl
from scrkb.ingest.crawl.settings import state_path
from scrkb.ingest.crawl.spiders.panel import search_url
from scrkb.ingest.crawl.state import CrawlState
from tests.crawl.world import World


def test_panel_search_url_uses_only_documented_parameters() -> None:
    url = search_url("https://www.gov.uk", 100, 50)
    assert url.startswith(
        "https://www.gov.uk/api/search.json?filter_organisations=child-safeguarding-practice-review-panel"
    )
    assert "&count=50&start=100&order=-public_timestamp" in url
    assert url.count("fields=") == 5


def test_crawl_govuk_panel_national_reviews(world: World, crawl_settings: Settings) -> None:
    summary = crawl("govuk-panel", crawl_settings)
    assets, gov = world["assets"], world["govuk"]
    assert summary.urls("new") == {
        assets.url("/media/a1/Child_protection_in_England.pdf"),
        assets.url("/media/b1/The_myth_of_invisible_men.pdf"),
        assets.url("/media/c1/CSPRP_annual_report_2022-23.pdf"),  # cross-cutting themes: kept
    }
    assert summary.urls("skipped", "not_review") == {assets.url("/media/d1/guidance.pdf")}
    assert summary.urls("failed", "http_404") == {
        gov.url("/api/content/government/publications/missing")
    }
    searches = [h for h in gov.hits if h.path.startswith("/api/search.json")]
    assert [h.status for h in searches] == [200, 200, 200]  # never a 422
    assert [p.split("start=")[1].split("&")[0] for p in (h.path for h in searches)] == [
        "0",
        "2",
        "4",
    ]
    state = CrawlState(state_path(crawl_settings))
    listing = json.loads(
        state.document(assets.url("/media/a1/Child_protection_in_England.pdf"))["listing_json"]
    )
    assert listing["year"] == 2022 and listing["review_type"] == "national"
    assert listing["partnership"] == "Child Safeguarding Practice Review Panel"
    state.close()
