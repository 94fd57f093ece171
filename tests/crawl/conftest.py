"""Crawl test fixtures: a world of local fixture sites and settings that crawl it fast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scrkb.config import Settings
from tests.crawl.world import World


@pytest.fixture
def world() -> Iterator[World]:
    """Fresh servers per test: request logs and the flaky 500 start from zero."""
    w = World().start()
    try:
        yield w
    finally:
        w.stop()


@pytest.fixture
def crawl_settings(tmp_path: Path, world: World) -> Settings:
    """Polite defaults turned down for speed: no delay, short timeout, one retry, 1 MB cap."""
    return Settings(
        home=tmp_path / "home",
        crawl_delay=0.0,
        crawl_max_delay=1.0,
        crawl_timeout=1.0,
        crawl_retries=1,
        crawl_max_download_mb=1,
        crawl_max_depth=3,
        crawl_sources_file=world.registry(tmp_path / "sources.yaml"),
        crawl_nspcc_updates_url=world["nspcc"].url("/case-reviews/recently-published-case-reviews"),
        crawl_nspcc_library_url=world["library"].url("/HeritageScripts/Hapi.dll/search2?Offset=0"),
        crawl_govuk_url=world["govuk"].base,
    )
