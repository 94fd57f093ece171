"""Reference data: the vocabularies every layer shares, defined once.

Review types (codes, labels, the words reports and publishers use for them, the nation
each implies and the period it was used), nations, age bands, document formats and
kinds, upload limits and the example queries. Crawl classification, metadata extraction,
the API, the web pages and the exports all read them from here, so a review type cannot
be coded one way by the crawler and another by the metadata, or labelled differently on
a page and in an export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

# --------------------------------------------------------------------------- nations
NATIONS: tuple[str, ...] = ("England", "Wales", "Scotland", "Northern Ireland")


# --------------------------------------------------------------------------- review types
@dataclass(frozen=True)
class ReviewType:
    """One kind of case review, as stored in ``reports.review_type``."""

    code: str
    label: str
    nations: tuple[str, ...]
    period: str  # when it was (or is) the statutory review of its nations


REVIEW_TYPES: dict[str, ReviewType] = {
    t.code: t
    for t in (
        ReviewType(
            "scr",
            "Serious case review",
            ("England", "Scotland"),
            "England until 2019 (replaced by local child safeguarding practice reviews); "
            "Scotland's significant case reviews until 2021",
        ),
        ReviewType(
            "lcspr",
            "Local child safeguarding practice review",
            ("England",),
            "England from 2018",
        ),
        ReviewType(
            "national",
            "National child safeguarding practice review",
            ("England",),
            "England from 2018 (the Child Safeguarding Practice Review Panel)",
        ),
        ReviewType("rapid", "Rapid review", ("England",), "England from 2018"),
        ReviewType("cpr", "Child practice review", ("Wales",), "Wales 2013 to 2024"),
        ReviewType("susr", "Single unified safeguarding review", ("Wales",), "Wales from 2024"),
        ReviewType("lr", "Learning review", ("Scotland",), "Scotland from 2021"),
        ReviewType("cmr", "Case management review", ("Northern Ireland",), "Northern Ireland"),
        ReviewType("other", "Other review", NATIONS, "any"),
    )
}


def review_type_label(code: str | None) -> str:
    """The label people see for a review type code (an unknown code is shown in capitals)."""
    if not code:
        return "Review type not known"
    known = REVIEW_TYPES.get(code)
    return known.label if known else code.upper()


def reference_review_label(code: str | None) -> str:
    """A review type as a reference list names it: a known type's label, else "Case review"
    (a reference never says "Review type not known" or shows a bare code)."""
    known = REVIEW_TYPES.get(code or "")
    return known.label if known and known.code != "other" else "Case review"


def reference_text(
    partnership: str | None, year: int | None, title: str, review_type: str | None
) -> str:
    """One report as a reference: "Partnership (Year) Title. Review type." The briefing,
    the pack exports and the precedent page's citation list all write it this way."""
    who = partnership or "Publisher not known"
    when = f"({year})" if year else "(n.d.)"
    return f"{who} {when} {title}. {reference_review_label(review_type)}."


@dataclass(frozen=True)
class ReviewTypeName:
    """A way reports and publishers name a review type, and the nation that name implies.

    ``phrase`` is matched in any case. ``abbreviation`` is matched in capitals only in a
    report's prose (in lower case "cpr" is resuscitation), but in any case in links and
    URLs, which publishers write in lower case (``scr-child-t.pdf``).
    """

    key: str  # distinct per name: two names may share a code but imply different nations
    code: str
    nation: str | None
    phrase: str
    abbreviation: str | None = None
    not_before: str | None = None  # words that, following the abbreviation, mean something else

    @cached_property
    def in_text(self) -> re.Pattern[str]:
        """For a report's own words (metadata extraction)."""
        return self._pattern("(?-i:{})")

    @cached_property
    def in_link(self) -> re.Pattern[str]:
        """For link text, listing text and URL words (crawl classification)."""
        return self._pattern("{}")

    def _pattern(self, abbreviation_as: str) -> re.Pattern[str]:
        source = self.phrase
        if self.abbreviation:
            source += "|" + abbreviation_as.format(self.abbreviation)
            if self.not_before:
                source += f"(?!{self.not_before})"
        return re.compile(source, re.I)


# Specific before general: the first name that matches decides. "significant case review"
# (Scotland) and "serious case review" (England) are both coded "scr" but keep their nations.
REVIEW_TYPE_NAMES: tuple[ReviewTypeName, ...] = (
    ReviewTypeName("susr", "susr", "Wales", r"single unified safeguarding review", r"\bSUSR\b"),
    ReviewTypeName(
        "cpr", "cpr", "Wales", r"child practice review", r"\bCPR\b", not_before=" training"
    ),
    ReviewTypeName("cmr", "cmr", "Northern Ireland", r"case management review", r"\bCMR\b"),
    ReviewTypeName("sigcr", "scr", "Scotland", r"significant case review"),
    ReviewTypeName("lr", "lr", "Scotland", r"\blearning review\b"),
    ReviewTypeName(
        "national", "national", "England", r"national (?:child safeguarding practice )?review"
    ),
    ReviewTypeName(
        "lcspr",
        "lcspr",
        "England",
        r"(?:local )?child safeguarding practice review",
        r"\bL?CSPR\b",
    ),
    ReviewTypeName("scr", "scr", None, r"serious case review", r"\bSCR\b"),
    ReviewTypeName("rapid", "rapid", "England", r"\brapid review\b"),
)


def review_type_in_link(text: str) -> str | None:
    """The review type code a link, listing or URL names, if any (first name wins)."""
    for name in REVIEW_TYPE_NAMES:
        if name.in_link.search(text):
            return name.code
    return None


# --------------------------------------------------------------------------- age bands
AGE_BANDS: tuple[str, ...] = ("under 1", "1-4", "5-9", "10-14", "15-17")
AGE_BAND_LABELS: dict[str, str] = {
    "under 1": "Under 1 year",
    "1-4": "1 to 4 years",
    "5-9": "5 to 9 years",
    "10-14": "10 to 14 years",
    "15-17": "15 to 17 years",
}


# --------------------------------------------------------------------------- documents
@dataclass(frozen=True)
class DocumentFormat:
    """A file format scrkb reads: how it is served and which file names it arrives under."""

    format: str  # models.DocFormat
    label: str
    media_type: str
    suffixes: tuple[str, ...]


DOCUMENT_FORMATS: dict[str, DocumentFormat] = {
    f.format: f
    for f in (
        DocumentFormat("pdf", "PDF", "application/pdf", (".pdf",)),
        DocumentFormat(
            "docx",
            "Word document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
        ),
        DocumentFormat("doc", "Word 97-2003 document", "application/msword", (".doc",)),
        DocumentFormat("html", "Web page", "text/html; charset=utf-8", (".html", ".htm")),
        DocumentFormat(
            "text",
            "Text file",
            "text/plain; charset=utf-8",
            (".txt", ".md", ".markdown", ".text"),
        ),
    )
}
# File names ingest picks up in a folder, and uploads (ingest, precedent) accept.
READABLE_SUFFIXES: frozenset[str] = frozenset(
    s for f in DOCUMENT_FORMATS.values() for s in f.suffixes
)


def media_type_for(fmt: str) -> str:
    known = DOCUMENT_FORMATS.get(fmt)
    return known.media_type if known else "application/octet-stream"


# What a crawled document is, decided by crawl classification; the first three are kept.
DOCUMENT_KINDS: dict[str, str] = {
    "review_report": "Review report",
    "executive_summary": "Executive summary",
    "learning_brief": "Learning brief or 7-minute briefing",
    "not_review": "Not a case review",
    "unknown": "Not known",
}
KEPT_DOCUMENT_KINDS: frozenset[str] = frozenset(
    {"review_report", "executive_summary", "learning_brief"}
)


# --------------------------------------------------------------------------- uploads
# The size limit per file is a setting (SCRKB_MAX_FILE_MB); these are fixed.
MAX_UPLOAD_FILES = 50  # files in one admin ingest upload
MAX_DRAFT_CHARS = 200_000  # a pasted precedent draft
MIN_DRAFT_WORDS = 5
JSON_BODY_LIMIT = 1 << 20  # bytes of any request body, unless its route allows more
DRAFT_BODY_LIMIT = 4 << 20  # a pasted draft, as JSON or a form field (escaped characters)
PACK_FORM_LIMIT = 8 << 20  # the pack page's form: a title, a description and every note


# --------------------------------------------------------------------------- examples
# Shown on the search page and searched by `scrkb demo` without a server.
EXAMPLE_QUERIES: tuple[str, ...] = (
    "baby with a bruise seen in hospital and sent home",
    "mother's new boyfriend never assessed",
    "school worried but nobody escalated",
    "teenager groomed by older men and going missing",
)


# --------------------------------------------------------------------------- publishers
@dataclass(frozen=True)
class Publisher:
    """A UK publisher of case reviews (``scrkb/publishers.yaml``), one per area or body."""

    id: str
    name: str
    nation: str
    kind: str  # partnership, board, committee, sbni, panel
    areas: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    former: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *((self.former,) if self.former else ()), *self.aliases)


@dataclass(frozen=True)
class PublisherMatch:
    """A publisher named in some text: where, as written, and the name to report."""

    publisher: Publisher
    start: int
    end: int
    text: str  # as written (whitespace folded)
    value: str  # the name to store: the gazetteer's spelling of the name that matched


# Body words that follow a place name: "<Barnsley> Safeguarding Children Partnership".
# Abbreviations are expanded in the stored name ("Powys LSCB" -> "... Local Safeguarding
# Children Board").
_BODY_WORDS: tuple[tuple[str, str | None], ...] = (
    (r"Local Safeguarding Children(?:'s)? Board", "Local Safeguarding Children Board"),
    (r"Local Safeguarding Children(?:'s)? Partnership", "Local Safeguarding Children Partnership"),
    (r"Safeguarding Children(?:'s)? Multi-Agency Partnership", None),
    (r"Safeguarding Children(?:'s)? Partnership(?: Board)?", None),
    (r"Safeguarding Children(?:'s)? Board", None),
    (r"Children(?:'s)? Safeguarding (?:Partnership|Board)", None),
    (r"Regional Safeguarding (?:Children(?:'s)? )?Board", None),
    (r"Community Safety and Safeguarding Partnership", None),
    (r"Safeguarding (?:Partnership|Board)", None),
    (r"(?:Child|Public) Protection Committee", None),
    (r"LSCB", "Local Safeguarding Children Board"),
    (r"LSCP|SCP", "Safeguarding Children Partnership"),
    (r"SCB", "Safeguarding Children Board"),
    (r"CPC", "Child Protection Committee"),
)
_BODY_RE = "|".join(f"(?:{b})" for b, _ in _BODY_WORDS)


def _fold(text: str) -> str:
    """Text as the gazetteer matches it: one space, "&" as "and", straight apostrophes."""
    text = text.replace("\u2019", "'").replace("&", " and ")
    return " ".join(text.split())


def _key(name: str) -> str:
    """A name compared without case, "the", "'s", punctuation or spacing."""
    name = _fold(name).lower().replace("'s ", " ")
    name = re.sub(r"[^a-z0-9 ]+", " ", name)
    return " ".join(w for w in name.split() if w != "the")


@lru_cache(maxsize=1)
def publishers() -> tuple[Publisher, ...]:
    """Every publisher in the gazetteer (``scrkb/publishers.yaml``), loaded once."""
    import yaml

    data = yaml.safe_load((Path(__file__).parent / "publishers.yaml").read_text("utf-8"))
    return tuple(
        Publisher(
            id=e["id"],
            name=e["name"],
            nation=e["nation"],
            kind=e["kind"],
            areas=tuple(e.get("areas") or ()),
            aliases=tuple(e.get("aliases") or ()),
            former=e.get("former"),
        )
        for e in data["publishers"]
    )


def publisher(publisher_id: str) -> Publisher | None:
    return next((p for p in publishers() if p.id == publisher_id), None)


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[re.Pattern[str], dict[str, Publisher], dict[str, tuple[Publisher, str]]]:
    by_area: dict[str, Publisher] = {}
    by_name: dict[str, tuple[Publisher, str]] = {}
    for pub in publishers():
        for area in pub.areas:
            by_area.setdefault(_key(area), pub)
        for name in pub.names:
            by_name.setdefault(_key(name), (pub, name))
    names = sorted({_fold(n) for p in publishers() for n in p.names}, key=len, reverse=True)
    areas = sorted({_fold(a) for p in publishers() for a in p.areas}, key=len, reverse=True)
    name_alt = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names)
    area_alt = "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in areas)
    pattern = re.compile(
        rf"(?<![\w-])(?:(?P<name>{name_alt})|(?P<area>{area_alt})\s+(?P<body>{_BODY_RE}))(?![\w-])",
        re.IGNORECASE,
    )
    return pattern, by_area, by_name


def find_publishers(text: str) -> list[PublisherMatch]:
    """Publishers named in ``text``, in order: by a full name or alias ("Safeguarding
    Board for Northern Ireland", "CYSUR"), or by a place and a body word ("Powys Local
    Safeguarding Children Board", "Fife Child Protection Committee", "Barnsley LSCB").
    A name broken over lines (a title page) is found: whitespace is folded first."""
    pattern, by_area, by_name = _gazetteer()
    folded = _fold(text)
    out: list[PublisherMatch] = []
    for m in pattern.finditer(folded):
        if m.group("name"):
            found = by_name.get(_key(m.group("name")))
            if found is None:
                continue
            pub, name = found
            if name.isupper() and not m.group("name").isupper():
                continue  # "Sbni" or "cysur" in running text is not the acronym
            out.append(PublisherMatch(pub, m.start(), m.end(), m.group(0), name))
            continue
        pub = by_area.get(_key(m.group("area")))
        if pub is None:
            continue
        body = m.group("body")
        if body.isupper() is False and len(body) <= 4:
            continue  # "Scb", "Cpc": abbreviations are written in capitals
        value = _stored_name(pub, m.group("area"), body)
        out.append(PublisherMatch(pub, m.start(), m.end(), m.group(0), value))
    return out


def _stored_name(pub: Publisher, area: str, body: str) -> str:
    """The name to store for "<area> <body>": the gazetteer's spelling when it is one of
    the publisher's names, else the area as written with the body word spelt out."""
    for expr, full in _BODY_WORDS:
        if re.fullmatch(expr, body, re.IGNORECASE):
            body = full or body
            break
    written = f"{area} {body}"
    for name in pub.names:
        if _key(name) == _key(written):
            return name
    if _key(written).endswith("safeguarding children partnership") and pub.kind == "partnership":
        return pub.name  # "Barnsley SCP" is the partnership itself
    return " ".join(
        w if not w.islower() or w in ("and", "of", "the", "upon", "on") else w.title()
        for w in _fold(written).split()
    )


def same_publisher(a: str | None, b: str | None) -> bool:
    """Whether two partnership names name the same body (the gazetteer's publisher and
    era, or the same words when the gazetteer does not know them)."""
    if not a or not b:
        return False
    if _key(a) == _key(b):
        return True
    found_a, found_b = find_publishers(a), find_publishers(b)
    return bool(
        found_a
        and found_b
        and found_a[0].publisher == found_b[0].publisher
        and _key(found_a[0].value) == _key(found_b[0].value)
    )
