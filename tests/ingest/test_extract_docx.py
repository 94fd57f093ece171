"""DOCX extraction: styles to heading levels, lists, tables, page breaks, parts."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement

from scrkb.ingest.extract import extract


def _report(path: Path) -> Path:
    doc = Document()
    doc.core_properties.title = "Child Practice Review: Child D"
    doc.add_paragraph("Child Practice Review: Child D", style="Title")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph("1. Introduction", style="Heading 1")
    doc.add_paragraph("1.1 The review was commissioned by the regional board.")
    doc.add_paragraph("1.2 Terms of reference", style="Heading 2")
    doc.add_paragraph("the response to missed appointments;", style="List Bullet")
    doc.add_paragraph("information sharing.", style="List Number")
    bold = doc.add_paragraph()
    bold.add_run("Key finding").bold = True
    mixed = doc.add_paragraph()
    mixed.add_run("Partly ")
    mixed.add_run("bold").bold = True
    table = doc.add_table(rows=2, cols=3)
    for r, row in enumerate([["Agency", "Contacts", "Seen"], ["Health visiting", "4", "no"]]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    doc.add_paragraph("After the table.")
    section = doc.sections[0]
    section.header.paragraphs[0].text = "Regional Safeguarding Board - CONFIDENTIAL"
    section.footer.paragraphs[0].text = "Page footer text"
    doc.save(str(path))
    return path


def test_extract_docx_styles_lists_tables_and_pages(tmp_path: Path) -> None:
    doc = extract(_report(tmp_path / "child-d.docx"))
    assert doc.format == "docx"
    assert doc.page_count == 2
    assert doc.title == "Child Practice Review: Child D"
    got = [
        [(ln.text, ln.style_level, ln.list_item, ln.bold, ln.new_block) for ln in page.lines]
        for page in doc.pages
    ]
    assert got == [
        [("Child Practice Review: Child D", 1, False, False, True)],
        [
            ("1. Introduction", 1, False, False, True),
            ("1.1 The review was commissioned by the regional board.", None, False, False, True),
            ("1.2 Terms of reference", 2, False, False, True),
            ("the response to missed appointments;", None, True, False, True),
            ("information sharing.", None, True, False, True),
            ("Key finding", None, False, True, True),
            ("Partly bold", None, False, False, True),
            ("Agency | Contacts | Seen", None, False, False, True),
            ("Health visiting | 4 | no", None, False, False, True),
            ("After the table.", None, False, False, True),
        ],
    ]


def test_extract_docx_ignores_header_and_footer(tmp_path: Path) -> None:
    doc = extract(_report(tmp_path / "child-d.docx"))
    texts = [ln.text for page in doc.pages for ln in page.lines]
    assert not [t for t in texts if "CONFIDENTIAL" in t or "footer" in t]


def test_extract_docx_splits_mid_paragraph_at_rendered_page_break(tmp_path: Path) -> None:
    doc = Document()
    doc.add_paragraph("First page paragraph.")
    para = doc.add_paragraph()
    para.add_run("The paragraph starts here and ")
    second = para.add_run("continues on page two.")
    second._r.insert(0, OxmlElement("w:lastRenderedPageBreak"))
    # Word also records the hard break it rendered: only the rendered breaks count.
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    third = doc.add_paragraph()
    third.add_run()._r.append(OxmlElement("w:lastRenderedPageBreak"))
    third.add_run("Third page.")
    doc.save(str(tmp_path / "r.docx"))
    pages = extract(tmp_path / "r.docx").pages
    got = [[(ln.text, ln.new_block) for ln in p.lines] for p in pages]
    assert got == [
        [("First page paragraph.", True), ("The paragraph starts here and", True)],
        [("continues on page two.", False)],
        [("Third page.", True)],
    ]


def test_extract_docx_without_breaks_is_one_page(tmp_path: Path) -> None:
    doc = Document()
    doc.add_paragraph("Only paragraph.")
    doc.save(str(tmp_path / "r.docx"))
    result = extract(tmp_path / "r.docx")
    assert result.page_count == 1
    assert result.title is None
    assert [ln.text for ln in result.pages[0].lines] == ["Only paragraph."]


def test_extract_docx_custom_style_based_on_heading(tmp_path: Path) -> None:
    doc = Document()
    style = doc.styles.add_style("Report Section", 1)  # 1 = paragraph style
    style.base_style = doc.styles["Heading 2"]
    doc.add_paragraph("3.1 Analysis", style="Report Section")
    doc.save(str(tmp_path / "r.docx"))
    [line] = extract(tmp_path / "r.docx").pages[0].lines
    assert (line.text, line.style_level) == ("3.1 Analysis", 2)
