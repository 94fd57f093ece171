"""Is a linked document a case review, and which kind? Rules, not a model.

Partnership pages mix reviews with annual reports, threshold documents, procedures and
newsletters, so every document is classified twice: first from its link (link text, the
nearest heading, the URL) to avoid downloading obvious non-reviews, then from its first
page, which beats the link because a file's name can mislead ("scr-child-t.pdf" that is an
annual report). Each decision carries a reason so a skipped file can be explained.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

from scrkb.reference import KEPT_DOCUMENT_KINDS, review_type_in_link

Kind = Literal["review_report", "executive_summary", "learning_brief", "not_review", "unknown"]
KEPT_KINDS: frozenset[str] = KEPT_DOCUMENT_KINDS

DOCUMENT_SUFFIXES = (".pdf", ".docx", ".doc", ".odt", ".rtf")

_I = re.IGNORECASE
OUT_OF_SCOPE = re.compile(
    r"\bsafeguarding adults? reviews?\b|\bSARs?\b|\bdomestic (homicide|abuse related death) reviews?\b"
    r"|\bDHRs?\b|\bDARDR\b",
    _I,
)
NOT_REVIEW: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"\bannual\s+(report|review)\b|\byearly report\b|\bimpact report\b", _I),
        "annual report",
    ),
    (
        re.compile(r"\bthresholds?\b|\bcontinuum of need\b|\blevels? of need\b", _I),
        "threshold document",
    ),
    (
        re.compile(r"\bprocedures?\b|\bprotocols?\b|\bpolicy\b|\bguidance\b|\btoolkit\b", _I),
        "procedure or guidance",
    ),
    (re.compile(r"\bnewsletters?\b|\bbulletins?\b", _I), "newsletter"),
    (
        re.compile(r"\bbusiness plan\b|\bstrateg(y|ic plan)\b|\bpriorities\b", _I),
        "plan or strategy",
    ),
    (
        re.compile(r"\bsafeguarding arrangements\b|\bmulti-agency arrangements\b", _I),
        "safeguarding arrangements",
    ),
    (
        re.compile(
            r"\bminutes\b|\bagenda\b|\bleaflet\b|\bflyer\b|\bapplication form\b|\breferral form\b",
            _I,
        ),
        "other partnership document",
    ),
    (re.compile(r"\btraining (programme|calendar|brochure)\b|\bcourse\b", _I), "training material"),
]
BRIEF = re.compile(
    r"\b(7|seven)[\s-]*minute[\s-]*briefing\b|\blearning\s+(brief|briefing|summary|sheet|poster)\b"
    r"|\bpractice\s+(brief|briefing|learning summary)\b|\bbriefing\b",
    _I,
)
EXEC_SUMMARY = re.compile(r"\bexec(utive|\.)?\s+summary\b", _I)
REVIEW = re.compile(
    r"\bserious case reviews?\b|\bSCRs?\b|\bL?CSPRs?\b|\bchild safeguarding practice reviews?\b"
    r"|\bpractice reviews?\b|\bcase reviews?\b|\blearning reviews?\b|\bsignificant case reviews?\b"
    r"|\bcase management reviews?\b|\bCMRs?\b|\bCPRs?\b|\boverview report\b|\bSUSRs?\b"
    r"|\bsingle unified safeguarding reviews?\b|\bnational (child safeguarding practice )?reviews?\b"
    r"|\brapid reviews?\b|\bthematic reviews?\b|\bmulti-agency reviews?\b",
    _I,
)
# "Child K", "Baby V", "Family A", "Children X and Y", "Child D1": case-sensitive letters
# so that "Child Protection" and "Child Sexual Exploitation" do not match.
NAME_CODE = re.compile(
    r"\b(?P<code>(?:[Cc]hild(?:ren)?|[Bb]aby|[Ff]amily|[Ss]iblings?|[Yy]oung [Pp]erson|[Ii]nfant)"
    r"\s+[A-Z]{1,2}\d{0,2})(?![\w'’])"
)
YEAR = re.compile(r"\b(19[89]\d|20[0-4]\d)\b")


@dataclass(frozen=True)
class Classification:
    kind: Kind
    reason: str
    by: str  # link, first_page, publisher

    @property
    def kept(self) -> bool:
        return self.kind in KEPT_KINDS


def url_words(url: str) -> str:
    """The words of a URL's path ("/docs/Child-K_overview-report.pdf" -> "docs Child K overview report pdf")."""
    path = unquote(urlsplit(url).path)
    return re.sub(r"[/_\-.+%]+", " ", path).strip()


def is_document_url(url: str) -> bool:
    """A link to a file a review could be (PDF, Word, ODT, RTF), judged from the URL."""
    path = urlsplit(url).path.lower()
    return path.endswith(DOCUMENT_SUFFIXES)


def name_code(text: str) -> str | None:
    """The child's name-code ("Child K", "Baby V") in a title or link text, if any."""
    m = NAME_CODE.search(text)
    return re.sub(r"\s+", " ", m.group("code")).strip() if m else None


def review_type(text: str) -> str | None:
    """The review type a link, listing or URL names: the same codes metadata extraction
    gives (``scrkb.reference.REVIEW_TYPE_NAMES``), abbreviations in any case."""
    return review_type_in_link(text)


def year_of(text: str) -> int | None:
    m = YEAR.search(text)
    return int(m.group(1)) if m else None


def classify_text(
    text: str, *, by: str, allow_not_review: bool = True, earliest: bool = False
) -> Classification:
    """Classify one piece of text (a link's words or a title page).

    By default the categories are tried in a fixed order (out of scope, not a review,
    briefing, summary, review). With ``earliest`` the category named first in the text wins,
    which suits a title page: "Annual report ... learning from serious case reviews".
    """
    text = " ".join(text.split())
    if not text:
        return Classification("unknown", "no text", by)
    if OUT_OF_SCOPE.search(text):
        return Classification("not_review", "adult or domestic homicide review (out of scope)", by)
    code = name_code(text)
    found: list[tuple[int, Classification]] = []
    if allow_not_review and not code:
        for pattern, label in NOT_REVIEW:
            m = pattern.search(text)
            if m:
                found.append(
                    (
                        m.start(),
                        Classification("not_review", f"{label} ({m.group(0).strip()!r})", by),
                    )
                )
                break
    for pattern, kind, label in (
        (BRIEF, "learning_brief", "learning brief"),
        (EXEC_SUMMARY, "executive_summary", "executive summary"),
        (REVIEW, "review_report", "review"),
    ):
        m = pattern.search(text)
        if m:
            found.append((m.start(), Classification(kind, f"{label} ({m.group(0)!r})", by)))  # type: ignore[arg-type]
    if found:
        if earliest:
            # "Serious Case Review Family D: Executive Summary" is a summary: a summary or
            # briefing word beats a review word; otherwise the first category named wins.
            specific = [f for f in found if f[1].kind in ("learning_brief", "executive_summary")]
            return min(specific or found, key=lambda pair: pair[0])[1]
        return found[0][1]
    if code:
        return Classification("review_report", f"names a child ({code!r})", by)
    return Classification("unknown", "no review, summary or briefing words", by)


def classify_link(link_text: str, url: str, heading: str = "") -> Classification:
    """From the link alone: link text and URL first, the nearest heading as weaker evidence.

    A heading ("Serious case reviews 2019") covers every link under it, including the odd
    newsletter, so it only decides when the link itself says nothing.
    """
    own = classify_text(f"{link_text} {url_words(url)}", by="link")
    if own.kind != "unknown":
        return own
    near = classify_text(heading, by="link", allow_not_review=False)
    if near.kind != "unknown":
        return Classification(near.kind, f"{near.reason} in the heading above the link", "link")
    return own


def classify_first_page(text: str) -> Classification:
    """From the document's first page: its title lines decide, then the rest of the page.

    An annual report's first page may mention "serious case reviews" in passing, so a
    non-review word in the title beats a review word further down.
    """
    text = text.strip()
    if not text:
        return Classification("unknown", "first page has no text", "first_page")
    title = " ".join(text[:300].split())
    first = classify_text(title, by="first_page", earliest=True)
    if first.kind != "unknown":
        return first
    return classify_text(text[:3000], by="first_page")


def decide(link: Classification, page: Classification | None) -> Classification:
    """The document's class: a decisive first page wins, else the link's class stands."""
    if page is not None and page.kind != "unknown":
        return page
    return link
