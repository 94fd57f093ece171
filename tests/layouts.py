"""Fixtures in the layouts real reviews are published in, with fictional text.

Each builder draws a file the way published reports are set (a title page with the
partnership's name over two lines, a contents page with or without dot leaders, running
headers and footers such as "Page 3 of 24" or "P a g e 2 | 25", protective markings, two
columns, numbered paragraphs, headings that wrap, a chronology table, footnotes, words
hyphenated at line ends, scanned pages, partnership-site and document-sharing-site HTML)
and returns the file with what a reader would take from it: the body paragraphs (which
must all be found, whole, in the passages) and the stated metadata. Nothing here is
copied from a real report: places, partnerships and children are invented, or named
only as a publisher is named on its own title page.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

WIDTH, HEIGHT = A4
MARGIN = 72.0


@dataclass
class Expected:
    """What a reader takes from a fixture."""

    paragraphs: list[str] = field(default_factory=list)  # body text that must be recovered
    metadata: dict[str, object] = field(default_factory=dict)  # stated fields only
    furniture: list[str] = field(default_factory=list)  # strings no passage may contain


# --------------------------------------------------------------------------- text
# Fictional paragraphs in the register of a review; {child} is the child's name-code.
BODY = [
    "The family moved to the area in the spring, when {child} was a baby. The mother "
    "registered with a local GP practice and told the receptionist that she had left a "
    "violent relationship, but this was not passed on to the health visiting service.",
    "The health visitor completed the new birth visit at home and noted that the flat was "
    "sparsely furnished. She recorded that the mother seemed tired and withdrawn, and "
    "planned a further contact, which did not take place because the family had moved.",
    "Over the following months the antenatal and postnatal records held by the hospital "
    "were not shared with the community midwife. Each agency held part of the picture, "
    "and no single practitioner was able to see how the risks were building up.",
    "Children's social care received a referral from the nursery about unexplained "
    "bruising to the child's forearm. The duty social worker spoke to the mother by "
    "telephone and accepted her account that the injury had happened during play.",
    "The police attended two incidents of domestic abuse at the address, and on both "
    "occasions the officers completed a risk assessment that graded the risk as standard. "
    "Neither assessment recorded that a young child lived in the household.",
    "Practitioners described feeling reassured by the mother's engagement with services, "
    "which the review considers an example of disguised compliance. Appointments were "
    "kept, but the advice given was not followed and the home conditions did not improve.",
    "The review found that the stepfather was not known to most agencies, although he "
    "spent much of his time at the home. He was never asked about his own history, and "
    "his previous convictions for violence were not discovered until after the incident.",
    "The school nurse raised concerns about weight loss at a routine health check, and "
    "the paediatrician who saw the child later recorded faltering growth. The outcome of "
    "that appointment was sent to the GP but was not copied to the allocated social worker.",
    "A strategy discussion was held but the decision was to continue with a child in need "
    "plan rather than to start child protection enquiries. The reasons for that decision "
    "were not written down, and the plan had no clear outcomes or timescales.",
    "Learning from this review shows how important it is for professionals to be curious "
    "about the adults who care for a baby, and to check what they are told against what "
    "other agencies know, rather than relying on a single account given at a home visit.",
    "The partnership has already taken action on several of the findings, including new "
    "guidance on sharing information between midwifery and health visiting, and training "
    "on the assessment of risk from men who are new to a household.",
    "The review panel met six times and held a learning event with practitioners from all "
    "of the agencies involved. Their openness about the difficulties they faced helped the "
    "reviewer to understand why decisions made sense at the time they were taken.",
]
CHRONOLOGY = [
    (
        "03/02/2017",
        "Booking appointment with the midwife; mother reports no concerns.",
        "Midwifery",
    ),
    (
        "14.06.17",
        "Child born at term; discharged home the following day with the mother.",
        "Hospital",
    ),
    (
        "26 June 2017",
        "New birth visit by the health visitor; the home is sparsely furnished.",
        "Health visiting",
    ),
    (
        "9 Sept 2017",
        "Police called to the address after neighbours heard shouting late at night.",
        "Police",
    ),
]


def body(i: int, child: str) -> str:
    return BODY[i % len(BODY)].format(child=child)


# --------------------------------------------------------------------------- drawing
def wrap(
    text: str, width: float, font: str, size: float, hyphenate: dict[str, int] | None = None
) -> list[str]:
    """Lines of at most ``width`` points; words in ``hyphenate`` are broken at the given
    index with a hyphen when they would not fit, as typesetters do."""
    words = text.split()
    lines: list[str] = []
    line = ""
    i = 0
    while i < len(words):
        word = words[i]
        trial = f"{line} {word}".strip()
        if stringWidth(trial, font, size) <= width:
            line = trial
            i += 1
            continue
        cut = (hyphenate or {}).get(word.strip(".,;:").lower())
        if cut and line:
            head = f"{line} {word[:cut]}-"
            if stringWidth(head, font, size) <= width:
                lines.append(head)
                line = ""
                words[i] = word[cut:]
                continue
        if line:
            lines.append(line)
            line = ""
        else:
            lines.append(word)
            i += 1
    if line:
        lines.append(line)
    return lines


class Page:
    """One page being drawn: a cursor that moves down as text is placed."""

    def __init__(self, canvas: Canvas, number: int) -> None:
        self.canvas = canvas
        self.number = number
        self.y = HEIGHT - MARGIN - 20

    def text(self, s: str, *, x: float = MARGIN, font: str = "Helvetica", size: float = 11) -> None:
        self.canvas.setFont(font, size)
        self.canvas.drawString(x, self.y, s)

    def right(
        self, s: str, *, font: str = "Helvetica", size: float = 11, x: float = WIDTH - MARGIN
    ) -> None:
        self.canvas.setFont(font, size)
        self.canvas.drawRightString(x, self.y, s)

    def centre(self, s: str, *, font: str = "Helvetica", size: float = 11) -> None:
        self.canvas.setFont(font, size)
        self.canvas.drawCentredString(WIDTH / 2, self.y, s)

    def down(self, points: float) -> None:
        self.y -= points

    def paragraph(
        self,
        text: str,
        *,
        x: float = MARGIN,
        width: float = WIDTH - 2 * MARGIN,
        size: float = 11,
        font: str = "Helvetica",
        hyphenate: dict[str, int] | None = None,
        after: float = 8,
    ) -> None:
        for line in wrap(text, width, font, size, hyphenate):
            self.text(line, x=x, font=font, size=size)
            self.down(size * 1.3)
        self.down(after)

    def heading(self, text: str, *, size: float = 14, width: float = WIDTH - 2 * MARGIN) -> None:
        self.down(4)
        for line in wrap(text, width, "Helvetica-Bold", size):
            self.text(line, font="Helvetica-Bold", size=size)
            self.down(size * 1.25)
        self.down(6)

    def fits(self, text: str, width: float = WIDTH - 2 * MARGIN, size: float = 11) -> bool:
        lines = len(wrap(text, width, "Helvetica", size))
        return self.y - lines * size * 1.3 > MARGIN + 30


@dataclass
class Furniture:
    """What is drawn on every page but the title page."""

    header: str | None = None
    footer: str | None = None  # may hold {n} and {total}
    marking: str | None = None  # a protective marking at the top and foot of every page


def draw_furniture(page: Page, furniture: Furniture, total: int) -> None:
    c = page.canvas
    if furniture.marking:
        c.setFont("Helvetica-Bold", 9)
        c.drawCentredString(WIDTH / 2, HEIGHT - 30, furniture.marking)
        c.drawCentredString(WIDTH / 2, 18, furniture.marking)
    if furniture.header:
        c.setFont("Helvetica", 9)
        c.drawRightString(WIDTH - MARGIN, HEIGHT - 48, furniture.header)
    if furniture.footer:
        c.setFont("Helvetica", 9)
        c.drawRightString(WIDTH - MARGIN, 36, furniture.footer.format(n=page.number, total=total))


def title_page(page: Page, lines: list[tuple[str, float, bool]]) -> None:
    """Centred lines (text, size, bold) down the page, as report covers are set."""
    page.down(120)
    for text, size, bold in lines:
        if not text:
            page.down(size * 2)
            continue
        page.centre(text, font="Helvetica-Bold" if bold else "Helvetica", size=size)
        page.down(size * 1.6)


# --------------------------------------------------------------------------- documents
@dataclass
class Section:
    heading: str
    paragraphs: list[str]
    numbered: str | None = None  # "3" numbers paragraphs 3.1, 3.2 ...


def report_pdf(
    path: Path,
    *,
    cover: list[tuple[str, float, bool]],
    sections: list[Section],
    furniture: Furniture | None = None,
    contents: str | None = None,  # "leaders", "bare" (numbers on their own lines), "right"
    columns: int = 1,
    hyphenate: dict[str, int] | None = None,
    chronology: bool | list[tuple[str, str, str]] = False,
    footnotes: bool = False,
) -> Expected:
    """A report laid out as published PDFs are; returns the body paragraphs it holds."""
    furniture = furniture or Furniture()
    expected = Expected()
    # lay the body out first (to know the pages), then draw it with contents and furniture
    canvas = Canvas(str(path), pagesize=A4)
    canvas.setTitle("")
    pages_before = 1 + (1 if contents else 0)
    plan = _plan_body(sections, columns)
    total = pages_before + max(1, plan)
    n = 1
    cover_page = Page(canvas, n)
    title_page(cover_page, cover)
    canvas.showPage()
    if contents:
        n += 1
        page = Page(canvas, n)
        draw_furniture(page, furniture, total)
        _contents(page, sections, contents, first_page=pages_before + 1)
        canvas.showPage()
    n += 1
    page = Page(canvas, n)
    draw_furniture(page, furniture, total)
    col_width = (WIDTH - 2 * MARGIN - 24) / 2 if columns == 2 else WIDTH - 2 * MARGIN
    col = 0
    top = page.y
    note_no = 0

    def new_page() -> Page:
        nonlocal n, page, col
        if columns == 2 and col == 0:
            col = 1
            page.y = top
            return page
        canvas.showPage()
        n += 1
        col = 0
        fresh = Page(canvas, n)
        draw_furniture(fresh, furniture, total)
        return fresh

    for s_i, section in enumerate(sections):
        x = MARGIN + col * (col_width + 24)
        if not page.fits("x " * 30, col_width):
            page = new_page()
            x = MARGIN + col * (col_width + 24)
        page.down(4)
        for line in wrap(section.heading, col_width, "Helvetica-Bold", 13):
            page.text(line, x=x, font="Helvetica-Bold", size=13)
            page.down(13 * 1.25)
        page.down(6)
        for p_i, text in enumerate(section.paragraphs):
            label = f"{section.numbered}.{p_i + 1} " if section.numbered else ""
            shown = label + text
            if footnotes and p_i == 0:
                note_no += 1
                shown = shown.rstrip(".") + f".{note_no}"
            expected.paragraphs.append(label + text)
            lines = wrap(shown, col_width, "Helvetica", 11, hyphenate)
            for line in lines:
                if page.y < MARGIN + 40:
                    if footnotes and note_no:
                        _footnote(page, note_no, x)
                    page = new_page()
                    x = MARGIN + col * (col_width + 24)
                page.text(line, x=x)
                page.down(11 * 1.3)
            page.down(8)
        if chronology and s_i == 1:
            page = _chronology(page, expected, CHRONOLOGY if chronology is True else chronology)
    if footnotes and note_no:
        _footnote(page, note_no, MARGIN)
    canvas.showPage()
    canvas.save()
    expected.furniture = [
        s
        for s in (
            furniture.header,
            furniture.marking,
            (furniture.footer or "").split("{")[0].strip(),
        )
        if s
    ]
    return expected


def _plan_body(sections: list[Section], columns: int) -> int:
    words = sum(len(p.split()) for s in sections for p in s.paragraphs)
    per_page = 420 if columns == 1 else 440
    return max(1, -(-words // per_page) + 1)


def _contents(page: Page, sections: list[Section], form: str, first_page: int) -> None:
    page.heading("Contents")
    for i, section in enumerate(sections):
        number = str(first_page + i // 2)
        if form == "leaders":
            title = section.heading
            dots = " " + "." * max(
                4, int((WIDTH - 2 * MARGIN - stringWidth(title, "Helvetica", 11) - 30) / 3)
            )
            page.text(title + dots)
            page.right(number)
            page.down(18)
        elif form == "right":
            page.text(section.heading)
            page.right(number)
            page.down(18)
        else:  # "bare": the page number on a line of its own, under its entry
            page.text(section.heading)
            page.down(13)
            page.right(number)
            page.down(16)


def _footnote(page: Page, number: int, x: float) -> None:
    c = page.canvas
    c.setFont("Helvetica", 8)
    c.drawString(
        x,
        MARGIN + 8,
        f"{number} Working Together to Safeguard Children (fictional edition), chapter 4.",
    )


def _chronology(page: Page, expected: Expected, rows: list[tuple[str, str, str]]) -> Page:
    """A table: date | event | agency, rows separated by rules."""
    page.down(6)
    x_date, x_event, x_agency = MARGIN, MARGIN + 90, MARGIN + 340
    page.text("Date", x=x_date, font="Helvetica-Bold")
    page.text("Event", x=x_event, font="Helvetica-Bold")
    page.text("Agency", x=x_agency, font="Helvetica-Bold")
    page.down(16)
    for date, event, agency in rows:
        lines = wrap(event, 240, "Helvetica", 10)
        page.text(date, x=x_date, size=10)
        page.text(agency, x=x_agency, size=10)
        for line in lines:
            page.text(line, x=x_event, size=10)
            page.down(13)
        page.canvas.line(MARGIN, page.y + 8, WIDTH - MARGIN, page.y + 8)
        page.down(6)
        expected.paragraphs.append(event)
    page.down(8)
    return page


def scanned_pdf(path: Path, pages: list[list[tuple[str, float, bool]]], dpi: int = 200) -> Path:
    """Image-only pages: text drawn, rendered to a bitmap, and only the bitmap kept."""

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    for lines in pages:
        y = HEIGHT - MARGIN - 10
        for text, size, bold in lines:
            canvas.setFont("Helvetica-Bold" if bold else "Helvetica", size)
            canvas.drawString(MARGIN, y, text)
            y -= size * 1.4 + (6 if bold else 0)
        canvas.showPage()
    canvas.save()
    return image_only(buffer.getvalue(), path, dpi=dpi)


def image_only(pdf_bytes: bytes, path: Path, *, dpi: int = 200) -> Path:
    """The same pages as pictures, as a scanner gives them: no text layer left."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_bytes)
    out = Canvas(str(path), pagesize=A4)
    try:
        for i in range(len(pdf)):
            image = pdf[i].render(scale=dpi / 72, grayscale=True).to_pil()
            out.drawImage(ImageReader(image), 0, 0, width=WIDTH, height=HEIGHT)
            out.showPage()
    finally:
        pdf.close()
    out.save()
    return path


# --------------------------------------------------------------------------- HTML
SITE_CHROME_TOP = """
<a class="skip-link" href="#main">Skip to content</a>
<div class="cookie-banner"><p>We use cookies to make this site work. <button>Accept</button></p></div>
<header class="site-header"><a href="/">{site}</a>
<nav><ul><li><a href="/">Home</a></li><li><a href="/learning">Learning from reviews</a></li>
<li><a href="/training">Training</a></li><li><a href="/contact">Contact us</a></li></ul></nav></header>
<div class="breadcrumbs"><a href="/">Home</a> &gt; <a href="/learning">Learning</a> &gt; {title}</div>
"""
SITE_CHROME_BOTTOM = """
<aside class="related"><h2>Related documents</h2><ul><li><a href="/a.pdf">Annual report</a></li>
<li><a href="/b.pdf">Threshold document</a></li></ul></aside>
<div class="share">Share this page: <a href="#">Facebook</a> <a href="#">X</a></div>
<footer class="site-footer"><p>&copy; {site} 2024. All rights reserved.</p>
<p><a href="/privacy">Privacy notice</a> | <a href="/accessibility">Accessibility statement</a></p></footer>
"""


def partnership_page(
    path: Path, *, site: str, title: str, intro: list[str], sections: list[Section]
) -> Expected:
    """A review published as a web page on a partnership site, in the site's chrome."""
    parts = [f"<html><head><title>{title} | {site}</title></head><body>"]
    parts.append(SITE_CHROME_TOP.format(site=site, title=title))
    parts.append(f'<main id="main"><h1>{title}</h1>')
    expected = Expected(
        furniture=["Skip to content", "We use cookies", "Related documents", "All rights reserved"]
    )
    for text in intro:
        parts.append(f"<p>{text}</p>")
    for section in sections:
        parts.append(f"<h2>{section.heading}</h2>")
        for text in section.paragraphs:
            parts.append(f"<p>{text}</p>")
            expected.paragraphs.append(text)
    parts.append("</main>")
    parts.append(SITE_CHROME_BOTTOM.format(site=site))
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return expected


def sharing_site_page(path: Path, *, title: str, posted: str, pages: list[list[str]]) -> Expected:
    """A report as a document-sharing site shows it: the site's chrome, an upload date,
    view counts, then the report's text page by page with "Page N of M" markers and the
    report's own lines hard-wrapped as the PDF had them."""
    total = len(pages)
    parts = [
        f"<html><head><title>{title} - DocShelf</title></head><body>",
        '<div class="topbar"><a href="#content">Skip to content</a> <a href="/">DocShelf</a>'
        ' <a href="/upload">Upload</a> <a href="/login">Log in</a></div>',
        f"<h1>{title}</h1>",
        f'<div class="doc-meta"><span>Post on {posted}</span> <span>1,204 views</span>'
        ' <span>Category: Documents</span> <a href="/download">Download</a>'
        ' <a href="/report">Report this document</a></div>',
        '<div id="content" class="transcript">',
    ]
    expected = Expected(
        furniture=["Post on", "views", "Report this document", "Page 1 of", "Download"]
    )
    for n, lines in enumerate(pages, 1):
        parts.append(f"<p>Page {n} of {total}</p>")
        parts.append("<p>" + "<br>\n".join(lines) + "</p>")
    parts.append("</div>")
    parts.append(
        '<div class="related-docs"><h3>Recommended</h3><ul><li><a href="/x">Annual '
        "report 2019</a></li></ul></div><footer>DocShelf &copy; 2020 | Terms | Privacy</footer>"
    )
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return expected


# --------------------------------------------------------------------------- checks
_SPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    """Text compared without case, spacing, quotes or hyphen variants."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-")
    return _SPACE.sub(" ", text).strip().lower()


# --------------------------------------------------------------------------- the catalogue
def _sections(
    child: str, start: int, numbered: bool, count: int = 4, per: int = 3
) -> list[Section]:
    names = [
        "Introduction",
        "Background and family history",
        "Analysis of the involvement of agencies with the family and with the child",
        "Findings and learning for the partnership",
        "Recommendations",
    ]
    out = []
    k = start
    for i in range(count):
        paras = []
        for _ in range(per):
            paras.append(body(k, child))
            k += 1
        out.append(Section(names[i % len(names)], paras, numbered=str(i + 1) if numbered else None))
    return out


def _cover(*lines: str) -> list[tuple[str, float, bool]]:
    """A cover: the first two lines large and bold (a name over two lines), then smaller
    lines; "" leaves a gap."""
    return [
        (t, 10 if not t else (20 if i < 2 else 14), i < 2 and bool(t)) for i, t in enumerate(lines)
    ]


# The PDF fixtures: (name, child, first paragraph, cover, furniture, layout options, metadata).
PDF_FIXTURES: list[tuple[str, str, str, list[str], Furniture, dict, dict]] = [
    (  # two columns, the partnership's name over two lines, "Page N of M", dd/mm/yyyy
        "two-column", "Child D",
        "Child D was aged five months when she was taken to hospital with head injuries "
        "from which she died. Her brother, aged seven, was at school at the time.",
        ["Barnsley Safeguarding", "Children Partnership", "",
         "Local Child Safeguarding Practice Review", "Child D", "", "13/03/2021"],
        Furniture(header="LCSPR Child D", footer="Page {n} of {total}"),
        {"columns": 2, "start": 0},
        {"review_type": "lcspr", "nation": "England", "year": 2021, "age_band": "under 1",
         "partnership": "Barnsley Safeguarding Children Partnership", "outcome": "died"},
    ),
    (  # contents without leaders (numbers on their own lines), "P a g e 2 | 25", Wales
        "contents-bare", "Child W",
        "This extended child practice review concerns Child W, who was 14 years old when "
        "she was seriously injured in a fall from a bridge. She survived her injuries.",
        ["Mid and West Wales", "Safeguarding Board", "", "Extended Child Practice Review",
         "Child W", "", "October 2016"],
        Furniture(header="CPR Child W", footer="P a g e {n} | {total}"),
        {"contents": "bare", "start": 3},
        {"review_type": "cpr", "nation": "Wales", "year": 2016, "age_band": "10-14",
         "partnership": "Mid and West Wales Safeguarding Board", "outcome": "serious harm"},
    ),
    (  # contents with leaders, a protective marking, "Page N: title" footers, Scotland
        "contents-leaders", "Child S",
        "Child S was three years old when he was admitted to hospital. He was injured "
        "(not fatally) and is now living with his grandparents.",
        ["Fife Child Protection Committee", "", "Significant Case Review", "Child S", "",
         "Published 4th May 2018"],
        Furniture(footer="Page {n}: Significant Case Review - Child S",
                  marking="OFFICIAL - SENSITIVE"),
        {"contents": "leaders", "start": 6, "numbered": False},
        {"review_type": "scr", "nation": "Scotland", "year": 2018, "age_band": "1-4",
         "partnership": "Fife Child Protection Committee", "outcome": "serious harm"},
    ),
    (  # right-aligned contents numbers, hyphenation, footnotes, a chronology table
        "hyphens-table", "Baby K",
        "Baby K died at the age of 12 weeks. The review was held because the local "
        "safeguarding children board believed agencies could have worked better together.",
        ["Wiltshire", "Safeguarding Children Board", "", "Serious Case Review", "Baby K", "",
         "26.11.14"],
        Furniture(header="Serious Case Review: Baby K", footer="{n}"),
        {"contents": "right", "start": 1, "chronology": True, "footnotes": True,
         "hyphenate": {"antenatal": 4, "postnatal": 4, "assessment": 6, "paediatrician": 5,
                       "practitioner": 8, "information": 6, "safeguarding": 4,
                       "household": 5}},
        {"review_type": "scr", "nation": "England", "year": 2014, "age_band": "under 1",
         "partnership": "Wiltshire Safeguarding Children Board", "outcome": "died"},
    ),
]  # fmt: skip


def catalogue(folder: Path) -> list[tuple[str, Path, Expected]]:
    """Every layout fixture, written into ``folder``: (name, file, expected)."""
    folder.mkdir(parents=True, exist_ok=True)
    out: list[tuple[str, Path, Expected]] = []

    def add(name: str, path: Path, exp: Expected, **meta: object) -> None:
        exp.metadata.update(meta)
        out.append((name, path, exp))

    for name, child, first, cover, furniture, options, meta in PDF_FIXTURES:
        options = dict(options)
        secs = _sections(child, options.pop("start"), numbered=options.pop("numbered", True))
        secs[0].paragraphs[0] = first
        path = folder / f"{name}.pdf"
        exp = report_pdf(path, cover=_cover(*cover), sections=secs, furniture=furniture, **options)
        add(name, path, exp, child_code=child, **meta)

    # 5. a scanned report (image-only pages), Northern Ireland
    scan_lines = [
        [
            ("Safeguarding Board for Northern Ireland", 16, True),
            ("Case Management Review", 14, False),
            ("Executive Summary", 14, False),
            ("June 2019", 12, False),
        ],
        [("1. Introduction", 13, True)]
        + [(ln, 11, False) for ln in wrap(body(4, "Child N"), 450, "Helvetica", 11)]
        + [("2. Findings", 13, True)]
        + [(ln, 11, False) for ln in wrap(body(9, "Child N"), 450, "Helvetica", 11)],
    ]
    path = scanned_pdf(folder / "scanned.pdf", scan_lines)
    add(
        "scanned",
        path,
        Expected(paragraphs=[body(4, "Child N"), body(9, "Child N")]),
        review_type="cmr",
        nation="Northern Ireland",
        partnership="Safeguarding Board for Northern Ireland",
        year=2019,
    )

    # 6. a partnership web page with its site's chrome
    path = folder / "partnership-page.html"
    exp = partnership_page(
        path,
        site="Leeds Safeguarding Children Partnership",
        title="Learning review: Child R (published 2 March 2022)",
        intro=[
            "This page sets out the learning from a review about Child R, who was "
            "aged 16 when he was seriously harmed in a stabbing."
        ],
        sections=_sections("Child R", 5, numbered=False, count=3, per=2),
    )
    add(
        "partnership-page",
        path,
        exp,
        nation="England",
        partnership="Leeds Safeguarding Children Partnership",
        year=2022,
        child_code="Child R",
        age_band="15-17",
        outcome="serious harm",
    )

    # 7. a document-sharing site's copy of an old Welsh serious case review
    paras = [body(2, "Child A"), body(7, "Child A"), body(10, "Child A")]
    pages = [
        [
            "Powys Local Safeguarding",
            "Children Board",
            "Serious Case Review",
            "Child A",
            "Overview Report",
            "March 2011",
        ],
        ["1. Introduction"] + wrap(paras[0], 430, "Helvetica", 11),
        wrap(paras[1], 430, "Helvetica", 11)
        + ["2. Learning"]
        + wrap(paras[2], 430, "Helvetica", 11),
    ]
    path = folder / "sharing-site.html"
    exp = sharing_site_page(
        path,
        title="Serious Case Review Child A - Overview Report",
        posted="29-Sep-2020",
        pages=pages,
    )
    exp.paragraphs = paras
    add(
        "sharing-site",
        path,
        exp,
        review_type="scr",
        nation="Wales",
        partnership="Powys Local Safeguarding Children Board",
        year=2011,
        child_code="Child A",
    )
    return out


_LEADER_DOTS = re.compile(r"(?:\.\s*){4,}\d")
_CONTENTS_ENTRY = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?\s+)?[A-Z][^.!?]{2,80}\s+\d{1,3}\s*$", re.M)
_MARKER = re.compile(
    r"\bPage \d+ of \d+\b|\bP a g e\b|\bPage \d+:|\bOFFICIAL\b|PROTECTIVELY MARKED", re.I
)


def dirty_reasons(text: str, furniture: list[str], *, alone: bool = False) -> list[str]:
    """Why a passage is dirty: page furniture or a page marker in it, a contents entry,
    or fewer than 8 words (unless it is alone in its section)."""
    reasons = []
    if len(text.split()) < 8 and not alone:
        reasons.append("under 8 words")
    flat = " ".join(text.split())
    for item in furniture:  # as printed: "National review" is not "this national review"
        if item and " ".join(item.split()) in flat:
            reasons.append(f"furniture {item!r}")
    if _MARKER.search(text):
        reasons.append("page marker or marking")
    if _LEADER_DOTS.search(text) or any(
        len(m.group(0).split()) <= 12 for m in _CONTENTS_ENTRY.finditer(text)
    ):
        reasons.append("contents entry")
    return reasons
