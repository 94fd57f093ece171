"""Spider parsing on saved fixture pages, no network: entries, records, traps, registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from scrkb.errors import ConfigError
from scrkb.ingest.crawl.items import PageProblem, ReportLink
from scrkb.ingest.crawl.registry import BUNDLED, load_registry
from scrkb.ingest.crawl.spiders.nspcc import NspccUpdatesSpider, entries_on, split_list
from scrkb.ingest.crawl.spiders.partnership import PartnershipSpider, is_trap, registrable
from tests.crawl.server import SITES_DIR


def _response(url: str, file: Path, **meta: object) -> HtmlResponse:
    request = Request(url, meta=dict(meta))
    return HtmlResponse(url=url, body=file.read_bytes(), encoding="utf-8", request=request)


def test_spider_nspcc_entries_and_unparsed_headings() -> None:
    page = SITES_DIR / "nspcc/case-reviews/recently-published-case-reviews.html"
    entries, unparsed = entries_on(_response("https://learning.nspcc.org.uk/x", page))
    assert [(e["year"], e["partnership"], e["child_code"]) for e in entries] == [
        (2025, "Birmingham", "Baby A"),
        (2025, "Leeds", "Child Q"),
        (2024, "Kent", "Sibling group"),
    ]
    assert entries[1]["learning_themes"] == ["criminal exploitation", "transitions between schools"]
    assert unparsed == ["2024 – Surrey"]


def test_spider_nspcc_layout_change_is_reported() -> None:
    spider = NspccUpdatesSpider(start_urls=["https://learning.nspcc.org.uk/x"])
    response = HtmlResponse(
        url="https://learning.nspcc.org.uk/x",
        body=b"<html><body><h2>Our new look</h2><p>Nothing here</p></body></html>",
        request=Request("https://learning.nspcc.org.uk/x", meta={"scope": "s"}),
    )
    out = list(spider.parse_updates(response))
    assert [(type(o), o.reason) for o in out] == [(PageProblem, "layout")]


def test_spider_nspcc_split_list() -> None:
    assert split_list("neglect; domestic abuse; and mental health.") == [
        "neglect",
        "domestic abuse",
        "mental health",
    ]
    assert split_list("neglect, general practitioners") == ["neglect", "general practitioners"]


def test_spider_partnership_table_links_carry_context() -> None:
    url = "https://alpha.example.gov.uk/safeguarding/case-reviews"
    spider = PartnershipSpider(
        sites=[{"id": "alpha", "name": "Alpha SCP", "url": url}], source="partnerships"
    )
    response = _response(url, SITES_DIR / "alpha/safeguarding/case-reviews.html", scope="x")
    out = list(spider.parse_page(response, site_id="alpha", start=url))
    links = {o.url.rsplit("/", 1)[1]: o for o in out if isinstance(o, ReportLink)}
    assert links["baby-v-scr.pdf"].listing == {
        "partnership": "Alpha SCP",
        "title": "Baby V SCR (published 18 February 2015)",
        "year": 2015,
        "child_code": "Baby V",
        "review_type": "scr",
    }
    assert links["child-k-exec-summary.pdf"].listing["child_code"] == "Child K"
    followed = {o.url for o in out if isinstance(o, Request)}
    assert followed == {
        "https://alpha.example.gov.uk/learning/loop",
        "https://alpha.example.gov.uk/private/old-reviews",
    }


@pytest.mark.parametrize(
    ("url", "trap"),
    [
        ("https://x.org.uk/events/calendar?month=2024-01", True),
        ("https://x.org.uk/whats-on/", True),
        ("https://x.org.uk/news?d=2024-05-01", True),
        ("https://x.org.uk/search?q=review", True),
        ("https://x.org.uk/case-reviews/?page=2", False),
        ("https://x.org.uk/learning/child-k/", False),
    ],
)
def test_spider_partnership_traps(url: str, trap: bool) -> None:
    assert is_trap(url) is trap


def test_spider_partnership_registrable_domain() -> None:
    assert registrable("docs.leeds.gov.uk") == registrable("www.leeds.gov.uk") == "leeds.gov.uk"
    assert registrable("www.lscp.org.uk") == "lscp.org.uk"
    assert registrable("127.0.0.1:8000") == "127.0.0.1"


def test_registry_bundled_is_valid_one_line_per_partnership() -> None:
    partnerships = load_registry()
    assert len(partnerships) >= 170
    from scrkb.ingest.crawl.registry import load_collections

    entries = [line for line in BUNDLED.read_text().splitlines() if line.startswith("  - {")]
    assert len(entries) == len(partnerships) + len(load_collections())


def test_registry_rejects_a_bad_entry(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text("partnerships:\n  - {id: Bad Id, name: X, url: ftp://x}\n")
    with pytest.raises(ConfigError, match="partnership #1"):
        load_registry(bad)


def test_registry_has_one_entry_per_gazetteer_publisher() -> None:
    from scrkb.ingest.crawl.registry import load_collections
    from scrkb.reference import publishers

    entries = load_registry()
    assert [p.id for p in entries] == [p.id for p in publishers()]
    by_id = {p.id: p for p in publishers()}
    for entry in entries:
        assert (entry.name, entry.nation) == (by_id[entry.id].name, by_id[entry.id].nation)
        assert entry.url is None or entry.found_via  # every listing page says where it was found
    with_pages = {p.nation for p in entries if p.url}
    assert with_pages == {"England", "Wales", "Scotland", "Northern Ireland"}
    collections = {c.id for c in load_collections()}
    assert {"nspcc-library", "nspcc-updates", "govuk-panel", "care-inspectorate"} <= collections
    assert by_id["panel"] and by_id["sbni"]
