"""The fixture world: the sites, the documents they serve, and their awkward behaviours.

Documents are generated here (reportlab PDFs, one python-docx file) rather than stored, so
the tree holds no binaries and each document says in code what its first page says.
"""

from __future__ import annotations

import io
import time
from functools import lru_cache
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from tests.crawl.server import FixtureSite

BODY = [
    "1. Introduction",
    "1.1 This review considers how agencies worked together to safeguard the child.",
    "1.2 Practitioners showed limited professional curiosity about the adults in the household.",
    "2. Findings",
    "2.1 Information about the father was not shared between health visiting and children's social care.",
    "2.2 The family's disguised compliance was not recognised by the core group.",
]


def make_pdf(title: list[str], body: list[str] | None = None, pages: int = 2) -> bytes:
    """A small real PDF: the title lines large on page one, numbered paragraphs after."""
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4)
    canvas.setTitle(title[0] if title else "")
    y = 760
    for line in title:
        canvas.setFont("Helvetica-Bold", 18)
        canvas.drawString(72, y, line)
        y -= 30
    canvas.showPage()
    for page in range(1, pages):
        y = 760
        canvas.setFont("Helvetica", 11)
        for line in body if body is not None else BODY:
            canvas.drawString(72, y, f"{line}" if page == 1 else f"{line} (continued)")
            y -= 18
        canvas.showPage()
    canvas.save()
    return buf.getvalue()


def make_doc(paragraphs: list[str]) -> bytes:
    """A legacy Word 97 (.doc) file, as older reviews were published."""
    import tempfile

    from tests.legacy_doc import write_doc

    with tempfile.TemporaryDirectory() as folder:
        return write_doc(Path(folder) / "x.doc", paragraphs).read_bytes()


def make_docx(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for i, text in enumerate(paragraphs):
        if i == 0:
            document.add_heading(text, level=1)
        else:
            document.add_paragraph(text)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def review(partnership: str, kind: str, code: str, date: str) -> bytes:
    return make_pdf([partnership, kind, code, "Overview report", f"Published {date}"])


@lru_cache(maxsize=1)
def documents() -> dict[str, dict[str, bytes]]:
    """site -> path -> PDF/DOCX bytes (content type from the suffix unless overridden)."""
    alpha = "Alpha Safeguarding Children Partnership"
    k = review(alpha, "Local Child Safeguarding Practice Review", "Child K", "March 2023")
    return {
        "alpha": {
            "/docs/child-k-overview-report.pdf": k,
            "/docs/old/child-k-overview.pdf": k,  # same bytes: duplicate content
            "/docs/child-k-exec-summary.pdf": make_pdf(
                [alpha, "Child K", "Executive Summary", "2023"]
            ),
            "/docs/child-l-overview-report.pdf": review(
                alpha, "Child Safeguarding Practice Review", "Child L", "2022"
            ),
            "/docs/child-p-lcspr.pdf": review(
                alpha, "Local Child Safeguarding Practice Review", "Child P", "2022"
            ),
            "/docs/lcspr-child-r-final.pdf": review(
                alpha, "Local Child Safeguarding Practice Review", "Child R", "2021"
            ),
            "/docs/child-s-report.pdf": review(alpha, "Serious Case Review", "Child S", "2021"),
            "/private/family-a-report.pdf": review(
                alpha, "Serious Case Review", "Family A", "2020"
            ),
            "/docs/scr-child-t.pdf": make_pdf(
                [alpha, "Annual Report 2021-22", "Includes learning from serious case reviews"]
            ),
            "/docs/baby-v-scr.pdf": review(
                alpha, "Serious Case Review", "Baby V", "18 February 2015"
            ),
            "/docs/annual-report-2022-23.pdf": make_pdf([alpha, "Annual Report 2022-23"]),
            "/docs/thresholds.pdf": make_pdf([alpha, "Continuum of need: thresholds"]),
        },
        "beta-docs": {
            "/files/lcspr-child-b.pdf": review(
                "Beta Children's Safeguarding Partnership",
                "Local Child Safeguarding Practice Review",
                "Child B",
                "2022",
            ),
            "/files/7-minute-briefing-child-b.pdf": make_pdf(
                ["7 minute briefing", "Child B", "Learning for practitioners"], pages=1
            ),
            "/files/family-d-executive-summary.pdf": make_pdf(
                ["Beta LSCB", "Serious Case Review Family D", "Executive summary"]
            ),
            "/files/newsletter-spring-2019.pdf": make_pdf(
                ["Partnership newsletter", "Spring 2019"], pages=1
            ),
        },
        "beta": {
            "/uploads/child-e.pdf": review("Beta LSCB", "Serious Case Review", "Child E", "2017"),
        },
        "gamma": {
            "/media/1234/download.pdf": review(
                "Gamma Safeguarding Partnership",
                "Local Child Safeguarding Practice Review",
                "Child G",
                "June 2022",
            ),
            "/media/1235/download.pdf": make_pdf(
                ["Gamma Safeguarding Partnership", "Learning brief: Child G"], pages=1
            ),
            "/media/2001/baby-h.pdf": review("Gamma LSCB", "Serious Case Review", "Baby H", "2018"),
            "/media/2002/baby-h-exec.pdf": make_pdf(
                ["Gamma LSCB", "Serious Case Review: Baby H", "Executive Summary"]
            ),
            "/media/3001/file.pdf": review(
                "Gamma Safeguarding Partnership",
                "Child Safeguarding Practice Review",
                "Child J",
                "2023",
            ),
        },
        "delta": {
            "/wp-content/uploads/2024/05/CSPR-Child-W-Final.pdf": make_pdf(
                [
                    "Delta Safeguarding Children Partnership",
                    "Child Safeguarding Practice Review",
                    "Child W",
                    "May 2024",
                ],
                body=[
                    "1. Why this review was carried out",
                    "1.1 Child W was seriously harmed by a lodger who had a history of violence.",
                    "2. Findings",
                    "2.1 Nobody checked who the zebrafinch lodger was before he moved in with the family.",
                    "2.2 Practitioners did not think about the men living in the household.",
                ],
            ),
            "/wp-content/uploads/2023/02/Child-X-exec-summary.docx": make_docx(
                [
                    "Child X: executive summary",
                    "Delta Safeguarding Children Partnership",
                    "Child X was a teenager exploited by an organised network.",
                ]
            ),
            "/drafts/child-y-draft.pdf": review("Delta", "Serious Case Review", "Child Y", "2024"),
            "/wp-content/uploads/2011/03/scr-child-v-overview.doc": make_doc(
                [
                    "Delta Local Safeguarding Children Board",
                    "Serious Case Review",
                    "Child V",
                    "Overview Report",
                    "March 2011",
                    "1. Introduction",
                    "1.1 Child V was a quokka-loving boy of six who was seriously harmed at home. "
                    "The school had noticed bruises on his arms twice in one term.",
                ]
            ),
            "/wp-content/uploads/2024/01/Annual-Report-2023.pdf": make_pdf(["Annual Report 2023"]),
            "/wp-content/uploads/2022/scr-procedure.pdf": make_pdf(
                ["Procedure for serious case reviews"]
            ),
            "/wp-content/uploads/2023/learning-review.pdf": make_pdf(
                ["Delta Safeguarding Children Partnership", "Newsletter", "Issue 4, spring 2023"],
                pages=1,
            ),
        },
        "nspcc": {
            "/reports/birmingham-baby-a.pdf": review(
                "Birmingham Safeguarding Children Partnership",
                "Local Child Safeguarding Practice Review",
                "Baby A",
                "2025",
            ),
            "/reports/devon-child-d.pdf": review(
                "Devon Safeguarding Children Board", "Serious Case Review", "Child D", "2016"
            ),
            "/partner/leeds/child-q-lcspr.pdf": review(
                "Leeds Safeguarding Children Partnership", "LCSPR", "Child Q", "2025"
            ),
            "/partner/leeds/annual-report.pdf": make_pdf(["Leeds Annual Report 2023"]),
        },
        "library": {
            "/pdfs/1001.pdf": review("Anytown LSCB", "Serious Case Review", "Child N", "2019"),
            "/pdfs/1004.pdf": make_pdf(
                ["Eastshire LSCB", "Serious Case Review Family F", "Executive Summary"]
            ),
        },
        "assets": {
            "/media/a1/Child_protection_in_England.pdf": make_pdf(
                [
                    "Child protection in England",
                    "National review into the murders of Arthur Labinjo-Hughes and Star Hobson",
                ]
            ),
            "/media/b1/The_myth_of_invisible_men.pdf": make_pdf(
                [
                    "The myth of invisible men",
                    "Safeguarding children under 1 from non-accidental injury caused by male carers",
                ]
            ),
            "/media/c1/CSPRP_annual_report_2022-23.pdf": make_pdf(
                ["Child Safeguarding Practice Review Panel", "Annual report 2022 to 2023"]
            ),
            "/media/d1/guidance.pdf": make_pdf(["Guidance for safeguarding partners"]),
        },
    }


# ------------------------------------------------------------------------- awkward routes
def flaky(site: FixtureSite, path: str, query: dict, headers: dict) -> tuple[int, dict, bytes]:
    """500 on the first request, then the document."""
    site.counters[path] = site.counters.get(path, 0) + 1
    if site.counters[path] == 1:
        return 500, {"Content-Type": "text/html"}, b"<h1>Internal Server Error</h1>"
    return conditional(site.files[path][0], "application/pdf", headers)


def slow(site: FixtureSite, path: str, query: dict, headers: dict) -> tuple[int, dict, bytes]:
    time.sleep(2.0)
    return 200, {"Content-Type": "application/pdf"}, site.files[path][0]


def redirect_to(target: str):
    def route(site: FixtureSite, path: str, query: dict, headers: dict) -> tuple[int, dict, bytes]:
        code = 301 if path.startswith("/old/") else 302
        return code, {"Location": site.base + target, "Content-Type": "text/html"}, b""

    return route


def oversized(site: FixtureSite, path: str, query: dict, headers: dict) -> tuple[int, dict, bytes]:
    return 200, {"Content-Type": "application/pdf"}, b"%PDF-1.4\n" + b"%" * (3 * 2**20 // 2)


def pdf_as_html(
    site: FixtureSite, path: str, query: dict, headers: dict
) -> tuple[int, dict, bytes]:
    return conditional(site.files[path][0], "text/html; charset=utf-8", headers)


def calendar(site: FixtureSite, path: str, query: dict, headers: dict) -> tuple[int, dict, bytes]:
    """An events calendar: every month links to the next one, for ever."""
    month = query.get("month", ["2024-01"])[0]
    year, mon = (int(x) for x in month.split("-"))
    nxt = f"{year + mon // 12}-{mon % 12 + 1:02d}"
    html = f'<html><body><h1>Events {month}</h1><a href="/events/calendar?month={nxt}">Next month</a></body></html>'
    return 200, {"Content-Type": "text/html"}, html.encode()


def conditional(body: bytes, content_type: str, headers: dict) -> tuple[int, dict, bytes]:
    import hashlib

    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    reply = {"Content-Type": content_type, "ETag": etag}
    if headers.get("if-none-match") == etag:
        return 304, reply, b""
    return 200, reply, body


def govuk_search(
    site: FixtureSite, path: str, query: dict, headers: dict
) -> tuple[int, dict, bytes]:
    """The Search API: 422 for any parameter it does not know; pages of at most 2 results."""
    import json

    allowed = {"filter_organisations", "count", "start", "order", "fields", "filter_format"}
    unknown = set(query) - allowed
    if unknown or query.get("filter_organisations") != ["child-safeguarding-practice-review-panel"]:
        return (
            422,
            {"Content-Type": "application/json"},
            json.dumps({"error": sorted(unknown)}).encode(),
        )
    results = json.loads((site.folder / "api" / "search-results.json").read_text())
    start = int(query.get("start", ["0"])[0])
    count = min(int(query.get("count", ["10"])[0]), 2)
    page = {"results": results[start : start + count], "total": len(results), "start": start}
    return 200, {"Content-Type": "application/json"}, json.dumps(page).encode()


class World:
    """All fixture sites, started; ``world["alpha"]`` is one ``FixtureSite``."""

    NAMES = ("alpha", "beta", "beta-docs", "gamma", "delta", "nspcc", "library", "govuk", "assets")

    def __init__(self) -> None:
        self.sites = {name: FixtureSite(name) for name in self.NAMES}
        bases = {name: site.base for name, site in self.sites.items()}
        docs = documents()
        for name, site in self.sites.items():
            site.bases = bases
            for path, body in docs.get(name, {}).items():
                suffix = Path(path).suffix
                ctype = {
                    ".pdf": "application/pdf",
                    ".doc": "application/msword",
                }.get(
                    suffix,
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                )
                site.files[path] = (body, ctype)
        alpha = self.sites["alpha"]
        alpha.routes["/docs/child-p-lcspr.pdf"] = flaky
        alpha.routes["/docs/child-s-report.pdf"] = slow
        alpha.routes["/docs/child-z-full-report.pdf"] = oversized
        alpha.routes["/docs/child-l-overview-report.pdf"] = pdf_as_html
        alpha.routes["/old/lcspr-child-r.pdf"] = redirect_to("/moved/lcspr-child-r.pdf")
        alpha.routes["/moved/lcspr-child-r.pdf"] = redirect_to("/docs/lcspr-child-r-final.pdf")
        alpha.routes["/events/calendar"] = calendar
        self.sites["govuk"].routes["/api/search.json"] = govuk_search

    def __getitem__(self, name: str) -> FixtureSite:
        return self.sites[name]

    def start(self) -> World:
        for site in self.sites.values():
            site.start()
        return self

    def stop(self) -> None:
        for site in self.sites.values():
            site.stop()

    def registry(self, path: Path, names: tuple[str, ...] = ("alpha", "beta", "gamma")) -> Path:
        """A sources.yaml naming fixture partnerships, one line each as in the real one."""
        start = {
            "alpha": ("Alpha Safeguarding Children Partnership", "/safeguarding/case-reviews", []),
            "beta": (
                "Beta Children's Safeguarding Partnership",
                "/learning-from-reviews",
                [self.sites["beta-docs"].base.split("//")[1]],
            ),
            "gamma": ("Gamma Safeguarding Partnership", "/case-reviews/", []),
        }
        lines = ["partnerships:"]
        for name in names:
            title, page, hosts = start[name]
            extra = f", hosts: {hosts}" if hosts else ""
            lines.append(
                f'  - {{id: {name}, name: "{title}", url: "{self.sites[name].base}{page}"{extra}}}'
            )
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
