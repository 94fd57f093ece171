"""Factories for realistic records: reports, passages and built data homes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from scrkb.config import Settings
from scrkb.models import Passage, Report, ReportMetadata, ThemeTag


def make_report(
    report_id: str = "r-test",
    *,
    title: str = "Serious Case Review: Child A (fictional)",
    year: int | None = 2016,
    review_type: str | None = "scr",
    nation: str | None = "England",
    partnership: str | None = "Northmoor Local Safeguarding Children Board",
    age_band: str | None = "under 1",
    sha256: str | None = None,
    source: str | None = None,
) -> Report:
    return Report(
        id=report_id,
        title=title,
        source=source or f"/fixtures/{report_id}.pdf",
        sha256=sha256 or hashlib.sha256(report_id.encode()).hexdigest(),
        format="pdf",
        size_bytes=1000,
        page_count=10,
        metadata=ReportMetadata(
            review_type=review_type,
            nation=nation,
            partnership=partnership,
            year=year,
            age_band=age_band,
        ),
    )


def make_passage(
    report_id: str,
    ordinal: int,
    text: str,
    *,
    themes: list[str] | None = None,
    heading_path: list[str] | None = None,
    page: int = 1,
) -> Passage:
    return Passage(
        id=f"{report_id}-{ordinal:04d}",
        report_id=report_id,
        ordinal=ordinal,
        text=text,
        heading_path=heading_path or ["4. Analysis"],
        page_start=page,
        page_end=page,
        char_start=0,
        char_end=len(text),
        themes=[
            ThemeTag(theme_id=t, confidence=0.9, evidence=text[:40], start=0, end=40)
            for t in themes or []
        ],
    )


def make_settings(home: Path) -> Settings:
    return Settings(home=home)


def embedding_form() -> str:
    """The form ``embed`` returns vectors in: the configured one."""
    from scrkb.config import get_settings

    return get_settings().embedding_form_for(None)


def embed(texts: list[str]) -> np.ndarray:
    from scrkb.config import get_settings
    from scrkb.nlp.embedding import get_embedder

    settings = get_settings()
    return get_embedder(settings.resolved_model_path(), settings.embed_batch_size).encode(texts)
