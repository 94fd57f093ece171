"""HTML extraction: main content only, structure, charsets."""

from __future__ import annotations

from pathlib import Path

from scrkb.ingest.extract import extract

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Child K overview report | Northbridge Safeguarding Partnership</title>
<style>body {{ color: red }}</style></head>
<body>
<a class="skip-link" href="#content">Skip to main content</a>
<div id="cookie-banner"><p>We use cookies on this website.</p></div>
<header><nav><a href="/">Home</a></nav></header>
<div class="breadcrumbs"><ol><li>Home</li><li>Learning</li></ol></div>
{main}
<aside><h2>Related documents</h2><p>Annual report</p></aside>
<footer><p>Copyright Northbridge</p></footer>
<script>var tracking = "should not appear";</script>
</body></html>"""

MAIN = """<main id="content">
<div class="page-nav"><a href="#">Previous</a></div>
<article>
<header><h1>Child K overview report</h1></header>
<p>1.1 This review   concerns <strong>Child K</strong>,
aged two.</p>
<h2>2. Findings</h2>
<p><strong>Finding 1</strong></p>
<ul><li>missed appointments<ul><li>health visiting</li></ul></li><li>housing</li></ul>
<table><tr><th>Agency</th><th>Contacts</th></tr><tr><td>Police</td><td>3</td></tr></table>
<p>First part.<br><br>Second part.</p>
</article>
<div class="social-share"><a href="#">Share on X</a></div>
<form class="search-form"><p>Search this site</p></form>
</main>"""


def _lines(path: Path) -> list[tuple[str, int | None, bool, bool]]:
    doc = extract(path)
    assert doc.page_count == 1
    return [(ln.text, ln.style_level, ln.list_item, ln.bold) for ln in doc.pages[0].lines]


def test_extract_html_keeps_main_content_and_drops_site_chrome(tmp_path: Path) -> None:
    path = tmp_path / "child-k.html"
    path.write_text(PAGE.format(main=MAIN), encoding="utf-8")
    assert _lines(path) == [
        ("Child K overview report", 1, False, False),
        ("1.1 This review concerns Child K, aged two.", None, False, False),
        ("2. Findings", 2, False, False),
        ("Finding 1", None, False, True),
        ("missed appointments", None, True, False),
        ("health visiting", None, True, False),
        ("housing", None, True, False),
        ("Agency | Contacts", None, False, False),
        ("Police | 3", None, False, False),
        ("First part.", None, False, False),
        ("Second part.", None, False, False),
    ]
    doc = extract(path)
    assert doc.format == "html"
    assert doc.title == "Child K overview report"
    assert doc.pages[0].lines and all(ln.new_block for ln in doc.pages[0].lines)


def test_extract_html_without_landmarks_uses_densest_block(tmp_path: Path) -> None:
    body = """<div class="menu"><p>Home</p><p>About</p></div>
<div class="content"><h2>Learning</h2><p>The first paragraph of the briefing is here.</p>
<p>The second paragraph says more about neglect.</p></div>"""
    path = tmp_path / "page.htm"
    path.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
    assert _lines(path) == [
        ("Learning", 2, False, False),
        ("The first paragraph of the briefing is here.", None, False, False),
        ("The second paragraph says more about neglect.", None, False, False),
    ]
    assert extract(path).title is None  # no <title> and no <h1>


def test_extract_html_page_wrapped_in_a_form_keeps_content(tmp_path: Path) -> None:
    """ASP.NET sites wrap the whole page in one <form>."""
    text = "The child was not seen by any professional for eleven months. " * 5
    path = tmp_path / "aspx.html"
    path.write_text(
        f'<html><body><form id="aspnetForm"><div id="body"><p>{text}</p></div></form></body></html>',
        encoding="utf-8",
    )
    assert [t for t, *_ in _lines(path)] == [text.strip()]


def test_extract_html_decodes_declared_latin1_as_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "old.html"
    path.write_bytes(
        b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
        b"</head><body><main><p>Mother\x92s partner \x96 not known; caf\xe9</p></main></body></html>"
    )
    assert _lines(path) == [
        ("Mother\u2019s partner \u2013 not known; caf\u00e9", None, False, False)
    ]


def test_extract_html_honours_utf8_bom_over_meta(tmp_path: Path) -> None:
    path = tmp_path / "bom.html"
    path.write_bytes(
        b'\xef\xbb\xbf<html><head><meta charset="windows-1252"></head>'
        + "<body><main><p>Child\u2019s plan</p></main></body></html>".encode()
    )
    assert _lines(path) == [("Child\u2019s plan", None, False, False)]
