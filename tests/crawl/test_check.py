"""`scrkb crawl --check`: every source's listing page fetched once, answered and parsed."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from scrkb.cli import app
from scrkb.config import Settings
from scrkb.services.crawl import check_registry
from tests.crawl.world import World


def test_check_every_source_answers_and_parses(crawl_settings: Settings, world: World) -> None:
    results = {r.id: r for r in check_registry(crawl_settings)}
    assert {"alpha", "beta", "gamma", "nspcc-updates", "nspcc-library", "govuk-panel"} <= set(
        results
    )
    for source in ("alpha", "beta", "gamma", "nspcc-updates", "nspcc-library", "govuk-panel"):
        assert results[source].status == "ok", (source, results[source])
        assert results[source].http_status == 200 and results[source].documents > 0
    assert results["alpha"].reviews > 0
    # one request per listing page (and one robots.txt per site), nothing followed
    assert world["alpha"].paths() == ["/robots.txt", "/safeguarding/case-reviews"]


def test_check_reports_a_moved_page_and_a_missing_url(
    crawl_settings: Settings, world: World, tmp_path: Path
) -> None:
    registry = tmp_path / "sources.yaml"
    registry.write_text(
        "partnerships:\n"
        f'  - {{id: alpha, url: "{world["alpha"].base}/gone-in-the-migration"}}\n'
        f'  - {{id: beta, url: "{world["alpha"].base}/about.html"}}\n'
        "  - {id: barnsley}\n",
        encoding="utf-8",
    )
    settings = crawl_settings.model_copy(update={"crawl_sources_file": registry})
    results = {r.id: r for r in check_registry(settings, "partnerships")}
    assert results["alpha"].status == "http_error" and results["alpha"].http_status == 404
    assert results["beta"].status == "no_documents"
    assert results["barnsley"].status == "no_url"
    assert results["barnsley"].name == "Barnsley Safeguarding Children Partnership"


def test_check_cli_json_and_exit_code(crawl_settings: Settings, monkeypatch) -> None:
    monkeypatch.setattr("scrkb.cli._settings", lambda home: crawl_settings)
    result = CliRunner().invoke(app, ["crawl", "--check", "alpha", "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["id"] == "alpha" and row["status"] == "ok"
