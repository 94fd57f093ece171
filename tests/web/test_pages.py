"""Every page in a real browser: axe-core clean, escaped, keyboard-usable, no console errors."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from tests.web.conftest import check_axe, screenshot
from tests.web.reports import DRAFT_DOCX_PARAGRAPHS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _dismiss_notice(page) -> None:
    page.get_by_role("button", name="I understand, hide this notice").click()
    page.wait_for_selector("[data-module='scrkb-notice']", state="hidden")


def _report_url(page, title: str) -> str:
    page.goto("/?q=" + title.replace(" ", "+"))
    return page.get_by_role("link", name=title).first.get_attribute("href")


def test_pages_home_shows_content_notice_and_examples(page) -> None:
    page.goto("/")
    assert page.get_by_role("region", name="Content notice").is_visible()
    assert page.get_by_role("link", name="Support if you are affected").first.is_visible()
    assert page.get_by_role("heading", level=1).inner_text() == "Search what case reviews say"
    assert page.get_by_label("Describe a situation or a theme, in your own words").is_visible()
    # GOV.UK Frontend's snippet ran from its file under the Content-Security-Policy
    classes = page.locator("body").get_attribute("class") or ""
    assert "js-enabled" in classes and "govuk-frontend-supported" in classes
    check_axe(page, "home")
    screenshot(page, "01-home-first-visit")
    _dismiss_notice(page)
    page.reload()
    assert page.locator("[data-module='scrkb-notice']").count() == 0
    screenshot(page, "02-home")


def test_pages_search_filter_report_pack_export(page, tmp_path: Path) -> None:
    page.goto("/")
    _dismiss_notice(page)
    page.get_by_label("Describe a situation or a theme, in your own words").fill(
        "bruise on a baby not referred"
    )
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"q=bruise"))
    results = page.locator(".scrkb-result")
    assert results.count() >= 1
    assert page.locator(".scrkb-result mark").count() >= 1
    assert "Baby R" in results.first.inner_text()
    check_axe(page, "search results")
    screenshot(page, "03-search-results")
    original = results.first.get_by_role("link", name=re.compile("^Original report"))
    assert page.request.get(original.get_attribute("href")).ok

    # Filter: tick a nation; the URL holds the whole query, so it can be shared.
    page.get_by_label(re.compile(r"^England")).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"nation=England"))
    assert "q=bruise" in page.url
    assert page.get_by_role("link", name=re.compile("Nation: England")).is_visible()
    for text in page.locator(".scrkb-result .scrkb-meta").all_inner_texts():
        assert "Cwm Teilo" not in text
    check_axe(page, "filtered results")
    screenshot(page, "04-search-filtered")
    shared = page.url

    # Add a passage to the pack from the results (JS: stays on the page).
    first_result = page.locator(".scrkb-result").first
    first_added = first_result.locator("input[name=passage_id]").first.get_attribute("value")
    first_result.get_by_role("button", name=re.compile("^Add to pack")).click()
    page.wait_for_function("() => document.querySelector('[data-pack-count]').textContent === '1'")
    assert page.url == shared

    # Open the report the passage came from.
    page.locator(".scrkb-result h3 a").first.click()
    page.wait_for_url(re.compile(r"/reports/"))
    assert "Baby R" in page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_role("heading", name="Recommendations", exact=True).is_visible()
    assert page.locator(".scrkb-rp--tagged").count() >= 1
    assert page.get_by_text("Harrowfield Local Safeguarding Children Board").first.is_visible()
    check_axe(page, "report")
    screenshot(page, "05-report")

    # Add a second passage from the report page: a tagged one not already in the pack.
    forms = page.locator(".scrkb-rp--tagged form.scrkb-add")
    other = next(
        i
        for i in range(forms.count())
        if forms.nth(i).locator("input[name=passage_id]").get_attribute("value") != first_added
    )
    forms.nth(other).locator("button").click()
    page.wait_for_function("() => document.querySelector('[data-pack-count]').textContent === '2'")

    # The pack: annotate, reorder, export.
    page.get_by_role("link", name=re.compile("Your pack")).first.click()
    page.wait_for_url(re.compile(r"/pack$"))
    items = page.locator(".scrkb-pack__item")
    assert items.count() == 2
    second_title = items.nth(1).locator("h3").inner_text()
    page.get_by_label("Pack title").fill("Bruising in babies: team briefing")
    page.get_by_label("Introduction").fill(
        "Three local babies were bruised this year & one was not referred."
    )
    page.get_by_label("Your notes on passage 1").fill("Ask: who else lives in the home?")
    page.get_by_role("button", name=re.compile("^Move up passage 2")).click()
    page.wait_for_url(re.compile(r"/pack"))
    assert (
        page.locator(".scrkb-pack__item")
        .first.locator("h3")
        .inner_text()
        .endswith(second_title.split(" ", 1)[1])
    )
    assert (
        page.get_by_label("Your notes on passage 2").input_value()
        == "Ask: who else lives in the home?"
    )
    assert page.get_by_label("Pack title").input_value() == "Bruising in babies: team briefing"
    check_axe(page, "pack")
    screenshot(page, "06-pack")

    for layout, fmt, check in [
        ("Passages with citations", "Markdown (.md)", "md"),
        ("7-minute briefing", "Word document (.docx)", "docx"),
        ("7-minute briefing", "PDF", "pdf"),
    ]:
        page.goto("/pack")
        page.get_by_label(layout).check()
        page.get_by_label(fmt).check()
        if layout == "7-minute briefing":  # the briefing is checked and edited first
            page.get_by_role("button", name="Save and download").click()
            page.wait_for_url(re.compile(r"/pack/briefing\?format="))
            page.get_by_label(fmt).check()
            button = page.get_by_role("button", name="Download the briefing")
        else:
            button = page.get_by_role("button", name="Save and download")
        with page.expect_download() as info:
            button.click()
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        assert target.suffix == f".{check}"
        _check_export(target, check)


def _check_export(path: Path, kind: str) -> None:
    data = path.read_bytes()
    if kind == "md":
        text = data.decode("utf-8")
        assert "Bruising in babies: team briefing" in text
        assert "Baby R" in text and re.search(r"\bpp?\. ?\d", text)
        assert "who else lives in the home?" in text
    elif kind == "docx":
        import docx

        document = docx.Document(str(path))
        text = "\n".join(p.text for p in document.paragraphs)
        text += "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
        assert "Harrowfield" in text
        assert "who else lives in the home?" in text
        assert zipfile.is_zipfile(path)
    else:
        assert data.startswith(b"%PDF")
        import pypdfium2

        pdf = pypdfium2.PdfDocument(str(path))
        text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        assert "Harrowfield" in text


def test_pages_escape_report_text_everywhere(page) -> None:
    """A passage quoting markup is shown as text: in results, the report and the pack."""
    page.goto("/?q=receptionist")
    hit = page.locator(".scrkb-result", has_text="URGENT").first
    assert "<b>URGENT</b> & 'not coping' <script>" in hit.inner_text()
    assert hit.locator("b").count() == 0 and hit.locator("script").count() == 0
    assert page.evaluate("window.__pwned") is None
    hit.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/reports/"))
    passage = page.locator(".scrkb-rp", has_text="URGENT").first
    assert "<script>window.__pwned=1</script>" in passage.inner_text()
    assert passage.locator("script, b").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_pages_themes_list_and_theme_page(page) -> None:
    page.goto("/themes")
    assert page.get_by_role("heading", level=1).inner_text() == "Themes"
    assert page.get_by_role("link", name="Unseen men").is_visible()
    check_axe(page, "themes")
    screenshot(page, "07-themes")
    page.get_by_role("link", name="Unseen men").click()
    page.wait_for_url(re.compile(r"/themes/unseen_men"))
    assert page.locator("svg[role='img'] title").count() == 1
    page.get_by_text("Show the figures as a table").click()
    assert page.locator("details table tbody tr").count() >= 1
    assert page.get_by_role("heading", name="Often found with").is_visible()
    assert page.get_by_role("heading", name="Recommendations made on this theme").is_visible()
    check_axe(page, "theme page")
    screenshot(page, "08-theme")


def test_pages_precedent_finder_with_uploaded_docx(page, tmp_path: Path) -> None:
    import docx

    draft = docx.Document()
    for kind, text in DRAFT_DOCX_PARAGRAPHS:
        if kind == "heading":
            draft.add_heading(text, level=1)
        else:
            draft.add_paragraph(text)
    path = tmp_path / "draft-baby-m.docx"
    draft.save(str(path))

    page.goto("/precedents")
    check_axe(page, "precedent form")
    page.get_by_label("Or upload it").set_input_files(str(path))
    page.get_by_role("button", name="Find similar reviews").click()
    page.wait_for_selector("#results")
    first = page.locator(".scrkb-precedents > li").first
    assert "Baby R" in first.locator("h3").inner_text()
    assert first.locator("[aria-label='Themes shared with your draft'] li").count() >= 1
    assert first.get_by_role("heading", name="What this review recommended").is_visible()
    assert "draft-baby-m.docx" in page.locator("main").inner_text()
    check_axe(page, "precedent results")
    screenshot(page, "09-precedents")


def test_pages_support_and_not_found(page) -> None:
    page.goto("/support")
    assert "Samaritans" in page.locator("main").inner_text()
    check_axe(page, "support")
    screenshot(page, "10-support")
    response = page.goto("/reports/no-such-report")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    page.errors.clear()  # the 404 itself is logged by the browser as a console error
    check_axe(page, "not found")


def test_pages_year_error_uses_error_summary(page) -> None:
    response = page.goto("/?q=neglect&from=twenty&to=2010")
    assert response is not None and response.status == 422
    page.errors.clear()  # the browser logs the 422 itself as a console error
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert page.title().startswith("Error:")
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "from"
    check_axe(page, "search error")


def test_pages_keyboard_only_search_and_add(page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    outline = page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle + getComputedStyle(document.activeElement).backgroundColor"
    )
    assert "none" not in outline or "rgb(255, 221, 0)" in outline  # GOV.UK yellow focus
    page.keyboard.press("Enter")
    page.locator("#q").focus()
    page.keyboard.type("older men missing from home")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=older"))
    # Tab to the first "Add to pack" button and press it without a mouse.
    for _ in range(200):
        page.keyboard.press("Tab")
        label = page.evaluate("document.activeElement.textContent.trim()")
        if label.startswith("Add to pack"):
            break
    else:
        pytest.fail("no Add to pack button reachable by keyboard")
    box = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + '|' + s.boxShadow + '|' + s.backgroundColor })()"
    )
    assert "rgb(255, 221, 0)" in box  # visible GOV.UK focus state
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('[data-live]').textContent.includes('pack')"
    )


def test_pages_work_without_javascript(nojs_page) -> None:
    page = nojs_page
    page.goto("/?q=school+attendance+older+men")
    assert page.locator(".scrkb-result").count() >= 1
    page.locator(".scrkb-result").first.get_by_role(
        "button", name=re.compile("^Add to pack")
    ).click()
    page.wait_for_load_state()
    assert "q=school" in page.url
    assert page.locator(".govuk-notification-banner--success").is_visible()
    assert page.locator("[data-pack-count]").inner_text() == "1"
    page.get_by_role("button", name="I understand, hide this notice").click()
    assert page.locator("[data-module='scrkb-notice']").count() == 0
    page.goto("/pack")
    page.get_by_label("Your notes on passage 1").fill("Typed and never saved by hand")
    with page.expect_download() as info:
        page.get_by_role("button", name="Save and download").click()
    assert info.value.suggested_filename.endswith(".docx")
    import io

    import docx

    body = info.value.path().read_bytes()
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(body)).paragraphs)
    assert "Typed and never saved by hand" in text  # notes kept without JavaScript


def test_pages_results_page_reports_its_server_time(base_url: str) -> None:
    """Every results page says what it cost on the server (``Server-Timing``), which is
    what the latency benchmark and a browser's developer tools read. How fast is measured
    in ``bench/search_latency.py`` beside a reference, never in a unit test."""
    import urllib.request

    for query in ["unseen men", "missed appointments was not brought", "neglect home conditions"]:
        with urllib.request.urlopen(f"{base_url}/?q={query.replace(' ', '+')}") as response:
            header = response.headers["Server-Timing"]
        duration = re.search(r"dur=([0-9.]+)", header or "")
        assert duration and float(duration.group(1)) > 0, header


def test_pages_paging_keeps_the_query(page) -> None:
    page.goto("/?q=child+agencies+review&type=scr&type=lcspr&type=cpr")
    page.get_by_role("link", name="Show every matching passage").click()
    page.wait_for_url(re.compile(r"per_report=0"))
    total = int(re.match(r"([0-9,]+)", page.locator("#results-heading").inner_text()).group(1))
    if total <= 10:
        pytest.skip("the test corpus gives one page for this query")
    nav = page.get_by_role("navigation", name="Results pages")
    nav.get_by_role("link", name="Next page").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert "q=child" in page.url and page.url.count("type=") == 3
    assert "per_report=0" in page.url
    assert nav.locator("[aria-current='page']").inner_text().strip() == "2"
    assert page.locator(".scrkb-results").get_attribute("start") == "11"
    check_axe(page, "results page 2")


def test_pages_results_explain_fold_sort_and_group(page) -> None:
    page.goto("/?q=bruise+on+a+baby+not+referred")
    results = page.locator("li.scrkb-result")
    assert results.count() >= 2
    why = results.first.locator(".scrkb-why")
    assert why.inner_text().startswith("Why this matched:")
    # a child's code name ("Baby R") is never marked as a match
    marked = page.evaluate(
        "() => [...document.querySelectorAll('.scrkb-result mark')].map("
        "m => m.textContent + (m.nextSibling ? m.nextSibling.textContent : '').slice(0, 3))"
    )
    assert marked and not [m for m in marked if re.match(r"(?i)baby [A-Z]\b", m)]
    titles = results.locator("h3").all_inner_texts()
    assert max(titles.count(t) for t in titles) <= 2
    check_axe(page, "results with reasons")
    screenshot(page, "10-results-why")

    more = page.locator("a.scrkb-more").first
    count = int(re.search(r"All ([0-9]+)", more.inner_text()).group(1))
    more.click()
    page.wait_for_url(re.compile(r"report="))
    assert page.locator("li.scrkb-result").count() == min(count, 10)
    assert len(set(page.locator("li.scrkb-result h3").all_inner_texts())) == 1
    assert page.get_by_role("link", name="Back to results from all reports").is_visible()
    check_axe(page, "one report's matches")

    # a query two of the test reports answer (the relevance floor leaves out the others)
    page.goto("/?q=referral")
    page.get_by_label("Sort by").select_option("newest")
    page.get_by_label("Show").select_option("reports")
    page.get_by_role("button", name="Update results").click()
    page.wait_for_url(re.compile(r"view=reports"))
    assert "sort=newest" in page.url and "q=referral" in page.url
    groups = page.locator("li.scrkb-group")
    assert groups.count() >= 2
    years = [
        int(y)
        for y in re.findall(
            r", ((?:19|20)[0-9]{2}) ·", " ".join(groups.locator(".scrkb-meta").all_inner_texts())
        )
    ]
    assert years == sorted(years, reverse=True) and len(years) == groups.count()
    assert page.get_by_label("Sort by").input_value() == "newest"
    check_axe(page, "results grouped by report")
    screenshot(page, "11-results-by-report")


def test_pages_no_results_spelling_and_past_the_end(page) -> None:
    page.goto("/?q=domestic+abuse&from=1971&to=1972")
    assert page.locator("#results-heading").inner_text() == "There are no matching passages"
    themes = page.get_by_role("list", name="Themes your search may be about")
    assert themes.get_by_role("link", name="Domestic abuse").is_visible()
    check_axe(page, "no results")
    screenshot(page, "12-no-results")
    themes.get_by_role("link", name="Domestic abuse").click()
    page.wait_for_url(re.compile(r"theme=domestic_abuse"))
    assert page.locator("li.scrkb-result").count() >= 1

    page.goto("/?q=neglekt")
    page.get_by_role("link", name="neglect", exact=True).click()
    page.wait_for_url(re.compile(r"q=neglect$"))
    assert page.locator("#spelling").count() == 0 and page.locator("li.scrkb-result").count()

    page.goto("/?q=neglect&page=99")
    assert page.locator("li.scrkb-result").count() == 0
    notice = page.locator("#past-last-page")
    assert notice.inner_text().startswith("There is no page 99")
    notice.get_by_role("link", name="Go to the last page").click()
    page.wait_for_url(re.compile(r"page=|q=neglect$"))
    assert page.locator("li.scrkb-result").count() >= 1
    check_axe(page, "last page")
