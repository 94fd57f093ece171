"""Legacy Word (.doc) files: read with antiword, one line per paragraph."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrkb.ingest.extract import extract
from scrkb.ingest.extract_doc import antiword_path
from tests.legacy_doc import write_doc

pytestmark = pytest.mark.skipif(antiword_path() is None, reason="antiword not installed")


def test_extract_doc_paragraphs_become_lines(tmp_path: Path) -> None:
    path = write_doc(
        tmp_path / "review.doc",
        [
            "Ashdown Local Safeguarding Children Board",
            "Serious Case Review: Child P",
            "1. Introduction",
            "1.1 This review looks at the help given to Child P, aged four, and his family "
            "by the health visitor, the school and the police between 2014 and 2016.",
            "Written in a café by the panel’s chair.",
        ],
    )
    doc = extract(path)
    assert doc.format == "doc" and doc.page_count == 1 and doc.has_text
    texts = [ln.text for ln in doc.pages[0].lines]
    assert texts[:3] == [
        "Ashdown Local Safeguarding Children Board",
        "Serious Case Review: Child P",
        "1. Introduction",
    ]
    assert texts[3].startswith("1.1 This review looks at the help given to Child P, aged four")
    assert texts[4] == "Written in a café by the panel’s chair."
    assert all(ln.new_block for ln in doc.pages[0].lines)


def test_extract_doc_without_extension_is_sniffed(tmp_path: Path) -> None:
    path = write_doc(tmp_path / "download", ["Child practice review", "Some text here."])
    assert extract(path).format == "doc"
