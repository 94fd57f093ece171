"""The numbered recommendations of a review, each as its own record.

Reviews number them in many ways ("Recommendation 3:", "R3", "3.", "8.4 The ICB
should ..."), usually in a Recommendations section, sometimes grouped per agency under
sub-headings. A recommendation's addressee is the agency it asks to act.
"""

from __future__ import annotations

import re

from scrkb.models import Block, Recommendation, StructuredDoc

_LABELLED = re.compile(
    r"^\s*(?:Recommendation|Rec\.?|R)\s*(\d{1,3}[a-z]?)\s*[:.)\-–—]?\s*(?:\(([^)]{2,80})\)\s*[:.\-–—]?\s*)?(.*)$",
    re.I | re.S,
)
_NUMBERED = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2}){0,2})[.)]?\s+(.{20,})$", re.S)
_SHOULD = re.compile(
    r"^(?:It is recommended that\s+)?(?:That\s+)?(?:[Tt]he\s+)?([A-Z][\w'’&,/ -]{1,90}?)\s+"
    r"(?:should|must|is asked to|are asked to|will|needs? to|to)\b",
)
_ADDRESSEE_HEADING = re.compile(
    r"(?:recommendations?\s+(?:for|to)\s+(?:the\s+)?)(.+)$|^(.+?)\s+recommendations?$", re.I
)
_NOT_ADDRESSEE = re.compile(
    r"^(it|this|there|they|we|all|each|any|professionals?|practitioners?)$", re.I
)


def _in_recommendations(block: Block) -> bool:
    return block.section_kind == "recommendations" or any(
        "recommendation" in h.lower() for h in block.heading_path
    )


def _addressee_from_heading(block: Block) -> str | None:
    for heading in reversed(block.heading_path):
        text = re.sub(r"^[\d.\s]+", "", heading).strip()
        m = _ADDRESSEE_HEADING.search(text)
        if m:
            name = (m.group(1) or m.group(2) or "").strip(" :")
            # "Findings and Recommendations", "Summary of recommendations": not an agency
            if name and not re.search(
                r"^(?:(?:single|multi)[- ]agency|the|key|our|all)$|\b(?:and|of|&)$|"
                r"\b(?:findings|conclusions?|summary|learning|analysis)\b",
                name,
                re.I,
            ):
                return name
    return None


def _addressee_from_text(text: str) -> str | None:
    m = _SHOULD.match(text.strip())
    if not m:
        return None
    name = m.group(1).strip(" ,")
    if name.lower().startswith(("it is recommended", "we recommend")):
        return None
    if _NOT_ADDRESSEE.match(name) or len(name.split()) > 12:
        return None
    return name


def _next_free(recs: list[Recommendation]) -> str:
    """A number for an unnumbered recommendation that no numbered one already uses."""
    used = {r.number for r in recs}
    n = 1
    while str(n) in used:
        n += 1
    return str(n)


def extract_recommendations(structured: StructuredDoc) -> list[Recommendation]:
    recs: list[Recommendation] = []
    seen: set[str] = set()
    for block in structured.blocks:
        if block.kind != "paragraph":
            continue
        in_section = _in_recommendations(block)
        labelled = _LABELLED.match(block.text)
        # "Recommendation 4 of the 2016 review was not implemented" is analysis, not a
        # recommendation: outside the section a label must be followed by what to do.
        if (
            labelled
            and labelled.group(3).strip()
            and (in_section or re.search(r"\b(should|must)\b", labelled.group(3)))
        ):
            number = labelled.group(1)
            addressee = (labelled.group(2) or "").strip() or None
            text = labelled.group(3).strip()
        elif in_section:
            numbered = _NUMBERED.match(block.text)
            if numbered:
                number, text = numbered.group(1), numbered.group(2).strip()
                addressee = None
            elif re.search(r"\b(should|must)\b", block.text) and len(block.text.split()) <= 120:
                number, text, addressee = "", block.text.strip(), None  # numbered below
            else:
                continue
        else:
            continue
        if not re.search(
            r"\b(should|must|ask|asked|ensure|develop|provide|consider|"
            r"will|to be|needs?)\b",
            text,
            re.I,
        ):
            continue
        addressee = addressee or _addressee_from_text(text) or _addressee_from_heading(block)
        key = re.sub(r"\W+", " ", text.lower())[:120]
        if key in seen:
            continue
        seen.add(key)
        recs.append(
            Recommendation(number=number, text=text, addressee=addressee, page=block.page_start)
        )
    # Unnumbered recommendations take numbers no numbered one uses, once all are known.
    for i, rec in enumerate(recs):
        if not rec.number:
            recs[i] = rec.model_copy(update={"number": _next_free(recs)})
    return recs
