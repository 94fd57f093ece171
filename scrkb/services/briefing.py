"""A 7-minute briefing drafted from a pack, in the format safeguarding partnerships use.

Partnerships hand out briefings of one or two sides of A4: *background* (what happened),
*why it matters*, *what the reviews found* (short extracts, each cited), *what to do*
(practice points), *questions for reflection* and *further information* (where to read
the reviews). The draft is written from the reports themselves, never from the coding
frame's definitions: the background from each report's own summary or introduction,
the findings from the trainer's passages cut to a sentence or two, the practice points
from the reviews' recommendations (those the trainer added first, then those sharing
the passages' themes), and the links from the publishers. The trainer then edits every
part before downloading it (``web/routes/packs.py``), so the draft only has to be a good
start within the word budget.
"""

from __future__ import annotations

import re

from scrkb.errors import ScrkbError
from scrkb.index.catalog import Catalog
from scrkb.models import (
    Briefing,
    BriefingExtract,
    BriefingReference,
    Citation,
    Pack,
    ReportDetail,
)
from scrkb.nlp.summaries import shorten, summary_passage
from scrkb.nlp.taxonomy import theme_name
from scrkb.reference import reference_review_label
from scrkb.reference import reference_text as shared_reference_text
from scrkb.services.citations import cited_url, report_url

WORD_BUDGET = 900  # what partnerships' briefings hold on two sides of A4
MAX_EXTRACTS = 6
EXTRACT_WORDS = 55
BACKGROUND_WORDS = 55  # per report
MAX_BACKGROUND_REPORTS = 3
MAX_ACTIONS = 5
ACTION_WORDS = 40
MAX_QUESTIONS = 4


def draft_briefing(pack: Pack, catalog: Catalog, *, public_base_url: str | None = None) -> Briefing:
    """The pack as a briefing within the word budget, ready to be edited."""
    references: dict[str, BriefingReference] = {}
    citations: dict[str, Citation] = {}
    for item in pack.items:
        c = item.citation
        if c.report_id not in references:
            references[c.report_id] = BriefingReference(
                number=len(references) + 1,
                report_id=c.report_id,
                title=c.title,
                partnership=c.partnership,
                year=c.year,
                review_type=c.review_type,
                url=report_url(c, public_base_url),
            )
            citations[c.report_id] = c
    details: dict[str, ReportDetail] = {}
    for report_id in references:
        try:
            details[report_id] = catalog.report_detail(report_id)
        except ScrkbError:  # the report left the knowledge base; the pack keeps its passages
            continue

    passages = [i for i in pack.items if i.kind == "passage"]
    # The background already tells a report's summary: extracts show other passages
    # first, and a summary only when the pack holds nothing else.
    told = {_summary_text(d) for d in details.values()}
    passages = [i for i in passages if i.text not in told] + [i for i in passages if i.text in told]
    extracts = [
        BriefingExtract(
            text=shorten(item.text, EXTRACT_WORDS),
            reference=references[item.citation.report_id].number,
            citation=item.citation,
            url=cited_url(item.citation, public_base_url),
        )
        for item in passages[:MAX_EXTRACTS]
    ]
    theme_counts: dict[str, int] = {}
    for item in pack.items:
        for t in item.themes:
            theme_counts[t] = theme_counts.get(t, 0) + 1
    themes = [t for t, _ in sorted(theme_counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    return Briefing(
        title=pack.title,
        background=_background(references, details),
        why_it_matters=_why_it_matters(pack, references, themes, catalog),
        extracts=extracts,
        actions=_actions(pack, references, details, set(themes)),
        questions=_questions(pack, themes),
        further_information=[_reference_line(r) for r in references.values()],
        references=list(references.values()),
    )


review_label = reference_review_label


def reference_text(ref: BriefingReference) -> str:
    """Partnership (Year) Title. Review type."""
    return shared_reference_text(ref.partnership, ref.year, ref.title, ref.review_type)


def _reference_line(ref: BriefingReference) -> str:
    url = ref.url or "Not published online: ask the partnership for a copy."
    return f"[{ref.number}] {reference_text(ref)} {url}"


def _summary_text(detail: ReportDetail) -> str:
    return summary_passage(p for s in detail.sections for p in s.passages)


def _background(references: dict[str, BriefingReference], details: dict[str, ReportDetail]) -> str:
    paragraphs = []
    for report_id, ref in list(references.items())[:MAX_BACKGROUND_REPORTS]:
        detail = details.get(report_id)
        summary = shorten(_summary_text(detail), BACKGROUND_WORDS) if detail else ""
        who = ref.partnership or "A safeguarding partnership"
        when = f" ({ref.year})" if ref.year else ""
        child = detail.metadata.child_code if detail else None
        about = f" about {child}" if child else ""
        lead = f"{who}{when}, {review_label(ref.review_type).lower()}{about} [{ref.number}]"
        paragraphs.append(f"{lead}: {summary}" if summary else lead + ".")
    left = len(references) - MAX_BACKGROUND_REPORTS
    if left > 0:
        paragraphs.append(f"This briefing also draws on {left} other review{'s' * (left != 1)}.")
    return "\n\n".join(paragraphs)


def _why_it_matters(
    pack: Pack, references: dict[str, BriefingReference], themes: list[str], catalog: Catalog
) -> str:
    parts: list[str] = []
    if pack.description.strip():
        intro = shorten(pack.description, 80)
        parts.append(intro if intro[-1:] in ".!?…" else intro + ".")
    n = len(references)
    if themes:
        names = [theme_name(t).lower() for t in themes[:3]]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        parts.append(
            f"The {'review' if n == 1 else f'{n} reviews'} in this briefing "
            f"{'returns' if n == 1 else 'return'} to {listed}."
        )
        counts = {t.id: t for t in catalog.themes()}
        total = catalog.list_reports(limit=1).count
        lead = counts.get(themes[0])
        if lead and lead.reports:
            of = f" of the {total} reviews" if total else " reviews"
            verb = "describes" if lead.reports == 1 else "describe"
            parts.append(
                f"It is not a one-off: {lead.reports}{of} in this knowledge base {verb} "
                f"{lead.name.lower()}, so the same gaps are likely to matter in our own work."
            )
    else:
        parts.append(
            "What went wrong for these children could happen in our own services: the "
            "reviews show where practice can change."
        )
    return " ".join(parts)


def _actions(
    pack: Pack,
    references: dict[str, BriefingReference],
    details: dict[str, ReportDetail],
    themes: set[str],
) -> list[str]:
    """Practice points: the recommendations the trainer added, then those of the packed
    reports that share the passages' themes (most shared first), each cited."""
    chosen: list[tuple[str, str, str | None, int | None]] = []  # report, text, number, page
    for item in pack.items:
        if item.kind == "recommendation":
            c = item.citation
            chosen.append((c.report_id, item.text, item.number, c.page))
    seen = {(r, t) for r, t, _, _ in chosen}
    ranked = []
    for report_id, detail in details.items():
        for order, rec in enumerate(detail.recommendations):
            shared = len(themes & set(rec.themes))
            ranked.append((-shared, references[report_id].number, order, report_id, rec))
    for _, _, _, report_id, rec in sorted(ranked, key=lambda r: r[:3]):
        if (report_id, rec.text) not in seen:
            chosen.append((report_id, rec.text, rec.number, rec.page))
    # A web page has no pages: its recommendations are cited by number alone.
    web_pages = {rid for rid, d in details.items() if d.source.format == "html"}
    web_pages |= {i.citation.report_id for i in pack.items if i.citation.format == "html"}
    out = []
    for report_id, text, number, page in chosen[:MAX_ACTIONS]:
        ref = references[report_id].number
        where = f"[{ref}]" + (f", recommendation {number}" if number else "")
        where += f", p. {page}" if page and report_id not in web_pages else ""
        out.append(f"{_as_practice_point(shorten(text, ACTION_WORDS))} ({where})")
    return out


_ADDRESSED = re.compile(
    r"^(?:that\s+)?(?P<who>[^.;:]{2,80}?)\s+(?:should|must)\s+(?P<what>.+)$", re.I | re.S
)


def _as_practice_point(text: str) -> str:
    """ "The partnership should seek assurance that..." reads on a handout as
    "The partnership: seek assurance that...": who acts, then what to do."""
    m = _ADDRESSED.match(text)
    if m and len(m["who"].split()) <= 8 and not m["what"].lower().startswith("be "):
        who = m["who"][:1].upper() + m["who"][1:]
        return f"{who}: {m['what']}"
    return text[:1].upper() + text[1:]


QUESTION_PROMPTS = (
    "When did we last see {theme} in our own cases, and what did we do?",
    "What would help us notice {theme} sooner, and who would we tell?",
    "Which of the practice points above could we put in place this month?",
)


def _questions(pack: Pack, themes: list[str]) -> list[str]:
    """The trainer's notes, or prompts drawn from the leading themes."""
    notes = [i.note.strip() for i in pack.items if i.note.strip()]
    if notes:
        return [shorten(n, 40) for n in notes[:MAX_QUESTIONS]]
    lead = [theme_name(t).lower() for t in themes[:2]]
    prompts = [QUESTION_PROMPTS[i].format(theme=t) for i, t in enumerate(lead)]
    prompts.append(QUESTION_PROMPTS[2])
    prompts.append("What will each of us do differently after reading these reviews?")
    return prompts[:MAX_QUESTIONS]
