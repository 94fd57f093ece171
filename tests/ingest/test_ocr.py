"""Scanned pages: read with Tesseract, marked with their confidence, bounded in time."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrkb.ingest.extract import extract
from scrkb.ingest.ocr import OcrOptions, tesseract_version
from tests.layouts import scanned_pdf

needs_tesseract = pytest.mark.skipif(tesseract_version() is None, reason="no Tesseract")

LINES = [
    ("2. Background", 14, True),
    ("Child M lived with her mother and two older brothers in a rented flat. The", 11, False),
    ("health visitor saw the family at home four times during the first year and", 11, False),
    ("recorded that the home was warm and the baby was well cared for.", 11, False),
]


@needs_tesseract
def test_ocr_scanned_page_is_read_with_geometry_and_confidence(tmp_path: Path) -> None:
    path = scanned_pdf(tmp_path / "scan.pdf", [LINES])
    doc = extract(path, ocr=OcrOptions(dpi=200))
    [page] = doc.pages
    assert page.ocr_confidence is not None and page.ocr_confidence > 80
    texts = [ln.text for ln in page.lines]
    assert texts[0] == "2. Background"
    assert "health visitor saw the family at home" in " ".join(texts)
    heading, body = page.lines[0], page.lines[1]
    assert heading.size > body.size  # type sizes survive the scan
    assert abs(body.left - 72) < 3 and body.top > heading.top
    assert doc.ocr_pages == [1]
    assert any(w.startswith("OCR: 1 scanned page(s) read with tesseract") for w in doc.warnings)


def test_ocr_turned_off_leaves_the_scan_unread(tmp_path: Path) -> None:
    path = scanned_pdf(tmp_path / "scan.pdf", [LINES])
    doc = extract(path, ocr=OcrOptions(enabled=False))
    assert not doc.has_text and doc.ocr_pages == []
    assert "OCR is turned off" in doc.warnings[0]


@needs_tesseract
def test_ocr_page_time_is_bounded(tmp_path: Path) -> None:
    path = scanned_pdf(tmp_path / "scan.pdf", [LINES])
    doc = extract(path, ocr=OcrOptions(page_timeout=0.01, dpi=300))
    assert not doc.has_text
    assert any("OCR gave up after 0.01 s" in w for w in doc.warnings)
