"""Real layouts, end to end: every body paragraph recovered whole, no dirty passage, and
the stated metadata right, for each fixture in ``tests/layouts.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrkb.ingest.extract import extract
from scrkb.ingest.ocr import OcrOptions, tesseract_version
from scrkb.models import Passage, ReportMetadata
from scrkb.nlp.metadata import extract_metadata
from scrkb.nlp.passages import split_passages
from scrkb.nlp.structure import structure
from tests.layouts import Expected, catalogue, dirty_reasons, squash

Result = tuple[Expected, list[Passage], ReportMetadata]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    out: dict[str, Result] = {}
    for name, path, expected in catalogue(tmp_path_factory.mktemp("layouts")):
        if name == "scanned" and tesseract_version() is None:
            continue
        doc = extract(path, ocr=OcrOptions(dpi=200))
        structured = structure(doc)
        out[name] = (
            expected,
            split_passages(structured, "r"),
            extract_metadata(doc, structured),
        )
    return out


def _result(results: dict[str, Result], name: str) -> Result:
    if name not in results:
        pytest.skip("Tesseract not installed")
    return results[name]


NAMES = [
    "two-column",
    "contents-bare",
    "contents-leaders",
    "hyphens-table",
    "scanned",
    "partnership-page",
    "sharing-site",
]


@pytest.mark.parametrize("name", NAMES)
def test_layouts_recover_every_body_paragraph(results: dict[str, Result], name: str) -> None:
    expected, passages, _ = _result(results, name)
    texts = [squash(p.text) for p in passages]
    missing = [para for para in expected.paragraphs if not any(squash(para) in t for t in texts)]
    assert missing == []


@pytest.mark.parametrize("name", NAMES)
def test_layouts_passages_are_clean(results: dict[str, Result], name: str) -> None:
    expected, passages, _ = _result(results, name)
    sections = [tuple(p.heading_path) for p in passages]
    dirty = {
        p.text[:60]: reasons
        for p in passages
        if (reasons := dirty_reasons(p.text, expected.furniture,
                                     alone=sections.count(tuple(p.heading_path)) == 1))
    }  # fmt: skip
    assert dirty == {}


@pytest.mark.parametrize("name", NAMES)
def test_layouts_metadata_stated_fields(results: dict[str, Result], name: str) -> None:
    expected, _, meta = _result(results, name)
    got = {field: getattr(meta, field) for field in expected.metadata}
    assert got == expected.metadata
    for field in expected.metadata:  # every field keeps its evidence
        key = "age" if field == "age_band" else field
        assert meta.evidence[key].evidence, field


def test_layouts_two_columns_are_not_interleaved(results: dict[str, Result]) -> None:
    _, passages, _ = results["two-column"]
    text = " ".join(p.text for p in passages)
    assert "1.1 Child D was aged five months when she was taken to hospital" in text


def test_layouts_chronology_rows_stay_whole(results: dict[str, Result]) -> None:
    _, passages, _ = results["hyphens-table"]
    text = "\n".join(p.text for p in passages)
    assert (
        "03/02/2017 | Booking appointment with the midwife; mother reports no concerns. "
        "| Midwifery" in text
    )


def test_layouts_hyphenated_words_rejoined(results: dict[str, Result]) -> None:
    _, passages, _ = results["hyphens-table"]
    text = " ".join(p.text for p in passages)
    assert "safeguarding children board" in text and "safe-" not in text
    assert "antenatal and postnatal" in text and "ante natal" not in text


def test_layouts_ocr_text_is_marked(tmp_path: Path) -> None:
    if tesseract_version() is None:
        pytest.skip("Tesseract not installed")
    [(_, path, _)] = [c for c in catalogue(tmp_path) if c[0] == "scanned"]
    doc = extract(path, ocr=OcrOptions(dpi=200))
    assert doc.ocr_pages == [1, 2]
    assert all(p.ocr_confidence and p.ocr_confidence > 80 for p in doc.pages)


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("two-column", "Local Child Safeguarding Practice Review: Child D"),
        ("contents-bare", "Extended Child Practice Review: Child W"),
        ("contents-leaders", "Significant Case Review: Child S"),
        ("hyphens-table", "Serious Case Review: Baby K"),
        ("partnership-page", "Learning review: Child R (published 2 March 2022)"),
        ("sharing-site", "Serious Case Review Child A - Overview Report"),
    ],
)
def test_layouts_title_names_the_review_not_the_publisher(
    tmp_path_factory: pytest.TempPathFactory, name: str, title: str
) -> None:
    from scrkb.nlp.annotate import detect_title

    folder = tmp_path_factory.getbasetemp() / "titles"
    if not folder.exists():
        catalogue(folder)
    path = next(folder.glob(f"{name}.*"))
    assert detect_title(extract(path)) == title
