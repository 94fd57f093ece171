"""``scrkb crawl`` from the command line, on an unseen partnership-like site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scrkb.cli import app
from scrkb.config import Settings
from tests.crawl.world import World

runner = CliRunner()


def _env(settings: Settings) -> dict[str, str]:
    return {
        "SCRKB_CRAWL_DELAY": "0",
        "SCRKB_CRAWL_TIMEOUT": "2",
        "SCRKB_CRAWL_RETRIES": "1",
        "SCRKB_CRAWL_MAX_DOWNLOAD_MB": "1",
        "SCRKB_CRAWL_SOURCES_FILE": str(settings.crawl_sources_file),
    }


def test_cli_crawl_site_finds_the_reviews_and_nothing_else(
    world: World, crawl_settings: Settings, tmp_path: Path
) -> None:
    d = world["delta"]
    result = runner.invoke(
        app,
        [
            "crawl",
            "site",
            "--start-url",
            d.url("/learning/reviews"),
            "--no-ingest",
            "--home",
            str(tmp_path / "h"),
            "--json",
        ],
        env=_env(crawl_settings),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout[result.stdout.index("{") :])
    crawl = data["crawls"][0]
    assert crawl["new"] == 3 and crawl["failed"] == {}, crawl  # PDF, DOCX and a legacy .doc
    assert crawl["skipped"] == {"not_review": 3, "robots": 1}
    assert data["ingest"] is None
    assert not [p for p in d.paths() if p.startswith("/drafts/")]


def test_cli_crawl_rejects_site_without_start_url(tmp_path: Path) -> None:
    result = runner.invoke(app, ["crawl", "site", "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "--start-url" in result.output


@pytest.mark.slow
def test_cli_crawl_site_ingests_and_reports_are_searchable_immediately(
    world: World, crawl_settings: Settings, tmp_path: Path
) -> None:
    from scrkb.index.search import Searcher
    from scrkb.index.store import Store
    from scrkb.models import SearchQuery

    d, home = world["delta"], tmp_path / "h"
    args = ["crawl", "site", "--start-url", d.url("/learning/reviews"), "--home", str(home)]
    result = runner.invoke(app, args, env=_env(crawl_settings))
    assert result.exit_code == 0, result.output
    settings = Settings(home=home)
    hits = Searcher(settings).search(SearchQuery(text="zebrafinch lodger", k=3)).hits
    assert hits and hits[0].source_url == d.url(
        "/wp-content/uploads/2024/05/CSPR-Child-W-Final.pdf"
    )
    store = Store(settings.db_path)
    report = store.get_report(hits[0].report_id)
    assert report.provenance["document_kind"] == "review_report"
    assert report.provenance["crawl_source"] == "site"
    assert report.provenance["sha256"] == report.sha256
    # the review, the DOCX executive summary and the legacy .doc overview report
    assert len(store.report_ids()) == 3
    from scrkb.services.jobs import Jobs

    (job,) = Jobs(store, settings).recent()  # recorded: a server on the home holds its indexes
    assert (job.kind, job.status, job.params["source"]) == ("crawl", "succeeded", "site")
    # downloads named from the home's crawl folder down, not by the server's path to it
    files = job.result["ingest"]["files"]
    assert len(files) == 3 and all(f["path"].startswith("crawl/") for f in files), files
    assert str(tmp_path) not in job.model_dump_json()
    old_word = Searcher(settings).search(SearchQuery(text="quokka-loving boy", k=3)).hits
    assert old_word and old_word[0].source_url.endswith("scr-child-v-overview.doc")

    # The review disappears from the site: it stays, marked "no longer online since".
    page = d.folder / "learning/reviews.html"
    original = page.read_text()
    try:
        d.files["/learning/reviews"] = (
            original.replace("/wp-content/uploads/2024/05/CSPR-Child-W-Final.pdf", "#w").encode(),
            "text/html",
        )
        result = runner.invoke(app, args, env=_env(crawl_settings))
        assert result.exit_code == 0, result.output
    finally:
        d.files.pop("/learning/reviews")
    again = Store(settings.db_path).get_report(hits[0].report_id)
    assert again.provenance["no_longer_online_since"]
    store.close()
