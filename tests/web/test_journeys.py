"""The three users' journeys end to end in a real browser, and the files they take away.

A practitioner searches, filters, browses the reports and opens one at the cited page; a
review author finds precedent for a draft, keeps only strong matches and copies the
references; a trainer builds two named packs (passages and a recommendation), shares one
read-only, edits a 7-minute briefing and downloads it as PDF, Word, CSV and Markdown.
Every page is checked with axe-core and photographed, the downloaded files are opened
(page size, pages, page numbers, sections, words, links), and the first page of each
PDF is rendered as a PNG beside the screenshots in ``test-artifacts/web/``.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests.web.conftest import ARTIFACTS, PUBLIC_BASE_URL, check_axe, screenshot
from tests.web.reports import DRAFT_DOCX_PARAGRAPHS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

A4_POINTS = (595.28, 841.89)
BRIEFING_SECTIONS = [
    "Background",
    "Why it matters",
    "What the reviews found",
    "What to do",
    "Questions for reflection",
    "Further information",
]
LOCAL = re.compile(r"127\.0\.0\.1|localhost|0\.0\.0\.0|/api/")


def _hide_notice(page) -> None:
    page.goto("/")
    page.get_by_role("button", name="I understand, hide this notice").click()
    page.wait_for_selector("[data-module='scrkb-notice']", state="hidden")


def _no_sideways_scroll(page, width: int = 375) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{page.url} is {overflow}px wide at {width}px"
    page.set_viewport_size({"width": 1280, "height": 800})


# --------------------------------------------------------------------------- practitioner
def test_journey_practitioner_search_reports_and_original(page) -> None:
    _hide_notice(page)
    page.goto("/?q=bruise+on+a+baby+not+referred")
    # Filters come before the results: a few Tab presses from the search box reach them.
    page.locator("#q").focus()
    presses = 0
    while not page.evaluate("document.activeElement.closest('.scrkb-filters') !== null"):
        presses += 1
        assert presses <= 12, "the filters are more than 12 Tab presses from the search box"
        page.keyboard.press("Tab")
    # One tab stop per tag group: the arrow keys move within it.
    groups = page.locator(".scrkb-result ul.scrkb-tags")
    assert groups.count() >= 1
    for i in range(groups.count()):
        tabbable = groups.nth(i).locator("a:not([tabindex='-1'])")
        assert tabbable.count() == 1
    first_group = groups.first.locator("a")
    if first_group.count() > 1:
        first_group.first.focus()
        page.keyboard.press("ArrowRight")
        assert (
            page.evaluate("document.activeElement.textContent") == first_group.nth(1).inner_text()
        )
    check_axe(page, "practitioner search")
    screenshot(page, "20-practitioner-search")

    # Past the last page: a way to the last page, not "page 100 of 1".
    page.goto("/?q=bruise+on+a+baby+not+referred&page=999")
    assert "of 100" not in page.locator("main").inner_text()
    page.locator("#past-last-page").get_by_role("link", name="Go to the last page").click()
    assert page.locator("li.scrkb-result").count() >= 1

    # The reports view: summaries, types, years, themes; sorted and filtered.
    page.get_by_role("link", name="Reports", exact=True).first.click()
    page.wait_for_url(re.compile(r"/reports$"))
    items = page.locator(".scrkb-report-item")
    assert items.count() == 3
    years = [int(re.search(r"\b(20\d\d)\b", t).group(1)) for t in items.all_inner_texts()]
    assert years == sorted(years, reverse=True)
    assert "head injury" in items.filter(has_text="Baby R").inner_text()  # its own summary
    check_axe(page, "reports list")
    screenshot(page, "21-reports")
    page.get_by_label("Sort by").select_option("year")
    page.get_by_role("button", name="Sort", exact=True).click()
    page.wait_for_url(re.compile(r"sort=year"))
    assert "Baby R" in page.locator(".scrkb-report-item").first.inner_text()
    page.get_by_label(re.compile(r"^Wales")).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"nation=Wales"))
    assert "sort=year" in page.url
    assert page.locator(".scrkb-report-item").count() == 1
    assert "Child T" in page.locator(".scrkb-report-item").inner_text()
    check_axe(page, "reports filtered")
    screenshot(page, "22-reports-wales")
    _no_sideways_scroll(page)

    # A web-page report cites paragraphs; a paged one links the original at the page.
    page.locator(".scrkb-report-item h3 a").first.click()
    page.wait_for_url(re.compile(r"/reports/r"))
    meta = page.locator(".scrkb-rp .scrkb-meta").first.inner_text()
    assert meta.startswith("Paragraph ")
    page.goto("/reports")
    page.get_by_role("link", name="Serious Case Review: Baby R", exact=True).click()
    passage = page.locator(".scrkb-rp", has_text="swollen arm")
    assert passage.locator(".scrkb-meta").last.inner_text().startswith("Page 2 · Original report")
    href = passage.get_by_role("link", name=re.compile(r"^Original report")).get_attribute("href")
    # a text file opens at its start; a PDF would open at the page (#page=2)
    assert re.fullmatch(r"/api/reports/[^/]+/original", href)
    assert page.request.get(href).ok
    check_axe(page, "report with citations")
    screenshot(page, "23-report")
    _no_sideways_scroll(page)

    # A search hit from the web-page report is cited by paragraph too, and its original
    # link opens the page itself (no #page fragment a browser would ignore).
    page.goto("/?q=electively+home+educated")
    hit = page.locator(".scrkb-result", has_text="Child T").first
    assert re.search(r"Cwm Teilo[^·]*, 20\d\d, paragraph \d+", hit.inner_text())
    href = hit.get_by_role("link", name=re.compile(r"^Original report")).get_attribute("href")
    assert re.fullmatch(r"/api/reports/[^/#]+/original", href)
    page.goto("/?q=electively+home+educated&view=reports")
    heading = page.locator(".scrkb-group", has_text="Child T").locator("h4").first
    assert heading.inner_text().startswith("Paragraph ")

    page.goto("/themes")
    _no_sideways_scroll(page)
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot(page, "24-themes-375")
    check_axe(page, "themes at 375px")
    page.set_viewport_size({"width": 1280, "height": 800})

    # An unknown address is a GOV.UK page, not JSON.
    response = page.goto("/about")
    assert response.status == 404
    assert "text/html" in response.headers["content-type"]
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    page.errors.clear()  # the browser logs the 404 itself
    check_axe(page, "not found")


# --------------------------------------------------------------------------- review author
def test_journey_review_author_precedent_strength_and_references(page) -> None:
    _hide_notice(page)
    draft = "\n\n".join(text for _, text in DRAFT_DOCX_PARAGRAPHS)
    page.goto("/precedents")
    page.get_by_label("Paste your draft").fill(draft)
    page.get_by_role("button", name="Find similar reviews").click()
    page.wait_for_selector("#results")
    matches = page.locator(".scrkb-precedents > li")
    n_all = matches.count()
    assert n_all >= 2
    strengths = [m.locator(".govuk-tag").first.inner_text() for m in matches.all()]
    assert all(re.fullmatch(r"(Strong|Moderate|Weak) match", s) for s in strengths)
    assert "Baby R" in matches.first.locator("h3").inner_text()
    # Passages are cited, with the original at their page.
    assert matches.first.get_by_role("link", name=re.compile("^Original report")).count() >= 1
    references = page.get_by_label("References, one a line").input_value().splitlines()
    assert len(references) == n_all
    assert any("Harrowfield Local Safeguarding Children Board (2014)" in r for r in references)
    check_axe(page, "precedent results")
    screenshot(page, "30-precedents")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the references (.txt)").click()
    assert info.value.path().read_text(encoding="utf-8").splitlines() == references

    # Strong matches only: weaker ones are left out, and the page says so.
    page.get_by_label("Strong matches only", exact=True).check()
    page.get_by_role("button", name="Find similar reviews").click()
    page.wait_for_selector("#results")
    strong = page.locator(".scrkb-precedents > li")
    assert strong.count() < n_all
    for m in strong.all():
        assert m.locator(".govuk-tag").first.inner_text() == "Strong match"
    assert "left out by the match strength you chose" in page.locator("main").inner_text()
    check_axe(page, "precedent strong only")
    screenshot(page, "31-precedents-strong")

    # Filters, several values at once (the search page's fields): Welsh or Scottish
    # reviews; the corpus has only a Welsh one. The choices stay ticked on the results.
    page.get_by_label("Show all matches, marked strong, moderate or weak").check()
    page.get_by_text("Only some reviews: type, nation, age, years").click()
    page.get_by_label(re.compile(r"^Wales")).check()
    page.get_by_label(re.compile(r"^Scotland")).check()
    page.get_by_role("button", name="Find similar reviews").click()
    page.wait_for_selector("#results")
    titles = page.locator(".scrkb-precedents > li h3").all_inner_texts()
    assert titles and all("Child T" in t for t in titles)
    assert page.get_by_label(re.compile(r"^Wales")).is_checked()
    assert page.get_by_label(re.compile(r"^Scotland")).is_checked()
    # A web page is cited by paragraph in the closest passages.
    assert re.search(
        r", paragraph \d+ · Original report", page.locator(".scrkb-match").first.inner_text()
    )
    check_axe(page, "precedent filtered")

    # A year that is not one is an error on its field, not ignored.
    page.get_by_label("From", exact=True).fill("20l5")
    page.get_by_role("button", name="Find similar reviews").click()
    summary = page.locator(".govuk-error-summary")
    assert "From year must be a year" in summary.inner_text()
    assert page.title().startswith("Error: Precedent finder")  # once, not "Error: Error:"
    page.errors.clear()  # the browser logs the 422 itself as a console error
    assert page.locator("#results").count() == 0
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "from"
    check_axe(page, "precedent year error")


# --------------------------------------------------------------------------- trainer
def test_journey_trainer_packs_share_and_briefing(page, browser, base_url, tmp_path) -> None:
    _hide_notice(page)
    page.goto("/?q=bruise+on+a+baby+not+referred")
    page.locator(".scrkb-result").first.get_by_role(
        "button", name=re.compile("^Add to pack")
    ).click()
    page.wait_for_function("() => document.querySelector('[data-pack-count]').textContent === '1'")
    page.goto("/reports")
    page.get_by_role("link", name="Serious Case Review: Baby R", exact=True).click()
    page.get_by_role("button", name=re.compile(r"^Add to pack\W+recommendation 1\b")).click()
    page.wait_for_function("() => document.querySelector('[data-pack-count]').textContent === '2'")
    page.goto("/?q=older+men+missing+from+home+school")
    page.locator(".scrkb-result").first.get_by_role(
        "button", name=re.compile("^Add to pack")
    ).click()
    page.wait_for_function("() => document.querySelector('[data-pack-count]').textContent === '3'")

    page.goto("/pack")
    items = page.locator(".scrkb-pack__item")
    assert items.count() == 3
    assert "Recommendation 1:" in items.nth(1).locator("h3").inner_text()
    for i in range(3):
        assert items.nth(i).get_by_role("link", name=re.compile("^Original report")).count() == 1
    page.get_by_label("Pack title").fill("Bruising in non-mobile babies")
    page.get_by_label("Your notes on passage 1").fill(
        "Who else lived in the home, and did anyone ask?"
    )
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(r"/pack"))
    check_axe(page, "trainer pack")
    screenshot(page, "40-pack")

    # A read-only share link, opened by someone without the pack.
    page.get_by_role("button", name="Create a share link").click()
    share = page.locator(".scrkb-share a").get_attribute("href")
    token = share.rsplit("/", 1)[1]
    assert len(token) >= 20
    other = browser.new_context(base_url=base_url)
    reader = other.new_page()
    reader.goto(share)
    assert reader.get_by_role("heading", level=1).inner_text() == "Bruising in non-mobile babies"
    assert reader.locator("textarea").count() == 0
    assert reader.get_by_role("button", name=re.compile("Remove|Empty|Save")).count() == 0
    check_axe(reader, "shared pack")
    screenshot(reader, "41-pack-shared")
    page.get_by_role("button", name="Stop sharing").click()
    page.wait_for_url(re.compile(r"/pack"))
    assert reader.goto(share).status == 404
    other.close()

    # A second named pack; the first stays listed and can be picked up again.
    page.get_by_label("Title of the new pack").fill("Neglect and home education")
    page.get_by_role("button", name="Start a new pack").click()
    page.wait_for_url(re.compile(r"/pack$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Neglect and home education"
    assert "Bruising in non-mobile babies" in page.locator("#other-packs + ul").inner_text()
    check_axe(page, "second pack")
    page.get_by_role(
        "button", name=re.compile(r"^Work on this pack\W+Bruising in non-mobile babies")
    ).click()
    page.wait_for_url(re.compile(r"/pack$"))
    assert page.locator(".scrkb-pack__item").count() == 3

    # The 7-minute briefing: checked and edited before it is downloaded.
    page.get_by_label("7-minute briefing").check()
    page.get_by_label("PDF").check()
    page.get_by_role("button", name="Save and download").click()
    page.wait_for_url(re.compile(r"/pack/briefing\?format=pdf$"))
    for section in [
        "Title",
        *BRIEFING_SECTIONS[:2],
        "What to do",
        "Questions for reflection",
        "Further information",
    ]:
        assert page.get_by_label(section, exact=True).count() == 1, section
    assert page.get_by_label("PDF").is_checked()  # the file type chosen on the pack page
    words = int(re.search(r"(\d+) words", page.locator("#word-count").inner_text()).group(1))
    assert 150 < words < 900
    assert "head injury" in page.get_by_label("Background").input_value()
    check_axe(page, "briefing editor")
    screenshot(page, "42-briefing-editor")
    page.get_by_label("Title", exact=True).fill("Bruising in babies who cannot crawl")
    actions = page.get_by_label("What to do")
    actions.fill(actions.input_value() + "\nRefer every bruise on a non-mobile baby (team rule)")
    page.get_by_role("button", name="Update the word count").click()
    page.wait_for_selector("#word-count")
    assert page.get_by_label("Title", exact=True).input_value() == (
        "Bruising in babies who cannot crawl"
    )
    files = {}
    for fmt, label in [
        ("pdf", "PDF"),
        ("docx", "Word document (.docx)"),
        ("csv", "Spreadsheet (.csv)"),
        ("md", "Markdown (.md)"),
    ]:
        page.get_by_label(label).check()
        with page.expect_download() as info:
            page.get_by_role("button", name="Download the briefing").click()
        files[fmt] = tmp_path / info.value.suggested_filename
        info.value.save_as(files[fmt])
    check_briefing_pdf(files["pdf"], "Bruising in babies who cannot crawl")
    check_briefing_docx(files["docx"])
    rows = list(csv.DictReader(io.StringIO(files["csv"].read_text(encoding="utf-8-sig"))))
    assert [r["section"] for r in rows][0] == "Title"
    assert {r["section"] for r in rows} >= set(BRIEFING_SECTIONS) - {"Background"} | {"Title"}
    assert any("team rule" in r["text"] for r in rows if r["section"] == "What to do")
    assert not any(LOCAL.search(r["url"]) for r in rows)
    md = files["md"].read_text(encoding="utf-8")
    for section in BRIEFING_SECTIONS:
        assert f"## {section}" in md
    assert not LOCAL.search(md)

    # The standard layout as PDF: numbered A4 pages, no near-empty last page.
    page.goto("/pack")
    page.get_by_label("Passages with citations").check()
    page.get_by_label("PDF").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Save and download").click()
    standard = tmp_path / "standard.pdf"
    info.value.save_as(standard)
    check_pdf_pages(standard, "50-export-pack-pdf")
    # ... and as Word: A4 in a word processor too, its first page kept.
    page.get_by_label("Word document (.docx)").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Save and download").click()
    standard_docx = tmp_path / "standard.docx"
    info.value.save_as(standard_docx)
    render_docx(standard_docx, "53-export-pack-docx", max_pages=4)

    # Emptying asks first; "No" keeps everything.
    page.get_by_role("button", name="Empty this pack").click()
    assert (
        page.get_by_role("heading", level=1)
        .inner_text()
        .startswith("Are you sure you want to empty")
    )
    check_axe(page, "empty confirmation")
    screenshot(page, "43-pack-empty-confirm")
    page.get_by_role("link", name="No, go back to the pack").click()
    assert page.locator(".scrkb-pack__item").count() == 3
    page.get_by_role("button", name="Empty this pack").click()
    page.get_by_role("button", name="Yes, empty this pack").click()
    page.wait_for_url(re.compile(r"/pack$"))
    assert page.locator(".scrkb-pack__item").count() == 0


# --------------------------------------------------------------------------- the files
def _pdf_links(reader) -> list[str]:
    uris = []
    for pg in reader.pages:
        for annot in pg.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action and action.get("/URI"):
                uris.append(str(action["/URI"]))
    return uris


def check_pdf_pages(path: Path, artifact: str) -> list[str]:
    """A4, 'Page N of M' on every page, a last page that is more than a line or two,
    no local links; the first page rendered as a PNG. Returns each page's text."""
    import pypdf
    import pypdfium2

    reader = pypdf.PdfReader(str(path))
    n = len(reader.pages)
    texts = [pg.extract_text() for pg in reader.pages]
    for i, pg in enumerate(reader.pages, start=1):
        box = pg.mediabox
        assert (round(float(box.width), 1), round(float(box.height), 1)) == (595.3, 841.9)
        assert f"Page {i} of {n}" in texts[i - 1]
    if n > 1:
        body_lines = [ln for ln in texts[-1].splitlines() if ln.strip() and "Page " not in ln]
        assert len(body_lines) >= 5, f"near-empty last page: {body_lines}"
    links = _pdf_links(reader)
    assert links and not [u for u in links if LOCAL.search(u)]
    assert all(u.startswith(("https://", "http://")) for u in links)
    assert not LOCAL.search("\n".join(texts))
    pdf = pypdfium2.PdfDocument(str(path))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf[0].render(scale=1.5).to_pil().save(ARTIFACTS / f"{artifact}.png")
    return texts


def check_briefing_pdf(path: Path, title: str) -> None:
    texts = check_pdf_pages(path, "51-export-briefing-pdf")
    assert 1 <= len(texts) <= 2, f"{len(texts)} pages"
    text = "\n".join(texts)
    assert text.lstrip().startswith(title)
    at = [text.find(f"\n{s}\n") for s in BRIEFING_SECTIONS]
    assert all(a >= 0 for a in at) and at == sorted(at), at
    body = re.sub(r"Page \d+ of \d+", "", text)
    assert len(body.split()) < 900, len(body.split())
    assert re.search(r"\[\d\] .+, (p\.|para\.) \d+", text)  # cited extracts
    assert "team rule" in text
    assert PUBLIC_BASE_URL in "\n".join(_pdf_links(__import__("pypdf").PdfReader(str(path))))


def check_briefing_docx(path: Path) -> None:
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.shared import Mm

    document = docx.Document(str(path))
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == BRIEFING_SECTIONS
    quotes = [p for p in document.paragraphs if p.style.name == "Quote"]
    assert quotes and document.styles["Quote"].font.italic is False
    assert not any(r.italic for q in quotes for r in q.runs)
    links = [
        rel.target_ref
        for rel in document.part.rels.values()
        if rel.reltype == RELATIONSHIP_TYPE.HYPERLINK
    ]
    assert links and not [u for u in links if LOCAL.search(u)]
    footer = section.footer._element.xml  # noqa: SLF001 - the page-number field
    assert 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer
    words = sum(len(p.text.split()) for p in document.paragraphs)
    assert words < 900, words
    render_docx(path, "52-export-briefing-docx")


def render_docx(path: Path, artifact: str, max_pages: int = 2) -> None:
    """How a word processor lays the file out: LibreOffice (``.ci/run`` installs it;
    ``make test`` on a machine without it checks the file's structure only) prints it to
    PDF, which must be A4 pages (at most ``max_pages``) with their page numbers; the first
    page is kept as a PNG beside the screenshots."""
    import shutil
    import subprocess
    import tempfile

    import pypdf
    import pypdfium2

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{out}/profile",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                out,
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        printed = Path(out) / (path.stem + ".pdf")
        reader = pypdf.PdfReader(str(printed))
        n = len(reader.pages)
        assert 1 <= n <= max_pages, f"the Word file prints on {n} pages"
        for i, pg in enumerate(reader.pages, start=1):
            box = pg.mediabox
            assert (round(float(box.width)), round(float(box.height))) == (595, 842)
            assert f"Page {i} of {n}" in pg.extract_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pypdfium2.PdfDocument(str(printed))[0].render(scale=1.5).to_pil().save(
            ARTIFACTS / f"{artifact}.png"
        )
