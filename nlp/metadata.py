"""Report metadata from the report's own words: review type, nation, partnership, year,
the child's name-code, age and age band, sex, outcome and the agencies involved.

Every field keeps the sentence it came from and its page. A field that the text does not
state is None: a wrong year or age in a filter misleads more than a missing one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from scrkb.models import Evidence, ExtractedDoc, ReportMetadata, StructuredDoc
from scrkb.reference import AGE_BANDS, REVIEW_TYPE_NAMES, PublisherMatch, find_publishers

FRONT_WORDS = 4000  # title page, summary and introduction: where reports state their facts


@dataclass
class _Sentence:
    text: str
    page: int
    section: str


_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])|\n+")


def _sentences(structured: StructuredDoc, *, word_limit: int | None = None) -> Iterator[_Sentence]:
    words = 0
    for block in structured.blocks:
        for sent in _SENT_SPLIT.split(block.text):
            sent = sent.strip()
            if sent:
                yield _Sentence(sent, block.page_start, block.section_kind)
        words += len(block.text.split())
        if word_limit is not None and words > word_limit:
            return


# --------------------------------------------------------------------------- review type
# (pattern, key, review_type, implied nation), from the shared reference data. Order
# matters: specific before general. Keys are distinct so that "significant case review"
# (Scotland) and "serious case review" (England) keep their own nations though both are
# reported as "scr".
_TYPES: list[tuple[re.Pattern[str], str, str, str | None]] = [
    (name.in_text, name.key, name.code, name.nation) for name in REVIEW_TYPE_NAMES
]
_NATION_CUES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"Northern Ireland|\bSBNI\b|Health and Social Care Trust", re.I),
        "Northern Ireland",
    ),
    (
        re.compile(
            r"\bScotland\b|Scottish|(?<!Area )Child Protection Committee|Care Inspectorate", re.I
        ),
        "Scotland",
    ),
    (
        re.compile(
            r"\bWales\b|Welsh|Regional Safeguarding (?:Children )?Board|Social Services and "
            r"Well-being",
            re.I,
        ),
        "Wales",
    ),
    (
        re.compile(
            r"\bEngland\b|Working Together to Safeguard Children|Safeguarding Children "
            r"Board|Area Child Protection Committee|Safeguarding (?:Children )?Partnership|\bLSCB\b|\bOfsted\b",
            re.I,
        ),
        "England",
    ),
]

_RESUSCITATION = re.compile(
    r"resuscitat|paramedic|ambulance|defibrillat|chest compression|"
    r"\b(?:start|began|begun|commenc|perform|administer|gave|give)\w*\s+(?:\w+\s+)?CPR\b",
    re.I,
)
_PANEL_PUBLISHER = re.compile(r"Child Safeguarding Practice Review Panel")


def _review_type(
    title: str, sentences: list[_Sentence]
) -> tuple[str | None, Evidence | None, str | None]:
    if _PANEL_PUBLISHER.search(title):  # the Panel on the title page publishes national reviews
        m = _PANEL_PUBLISHER.search(title)
        assert m is not None
        return (
            "national",
            Evidence(
                value="national", evidence=_line_of(title, m.start()), page=1, method="title_page"
            ),
            "England",
        )
    for pattern, _key, kind, nation in _TYPES:
        if pattern.search(title):
            return kind, Evidence(value=kind, evidence=title, page=1, method="title_page"), nation
    counts: Counter[str] = Counter()
    first: dict[str, _Sentence] = {}
    first_at: dict[str, int] = {}
    for i, sent in enumerate(sentences):
        if sent.section in ("glossary", "contents", "references"):
            continue
        for pattern, key, _kind, _nation in _TYPES:
            if pattern.search(sent.text):
                if key == "cpr" and _RESUSCITATION.search(sent.text):
                    continue
                counts[key] += 1
                first.setdefault(key, sent)
                first_at.setdefault(key, i)
                break  # one type per sentence: the most specific
    if not counts:
        return None, None, None
    # Most mentions wins; on a tie, the type the report names first (its own, usually).
    # "rapid review" is usually mentioned as the step before the review itself.
    key = max(counts, key=lambda k: (counts[k] - (0.5 if k == "rapid" else 0), -first_at[k]))
    _, _, kind, nation = next(t for t in _TYPES if t[1] == key)
    sent = first[key]
    return kind, Evidence(value=kind, evidence=sent.text[:400], page=sent.page), nation


# --------------------------------------------------------------------------- partnership
_BODY = (
    r"(?:Local Safeguarding Children(?:['’]s)? Board|Safeguarding Children(?:['’]s)? Partnership"
    r"|Safeguarding Children(?:['’]s)? Board|Safeguarding Partnership|Child Protection Committee"
    r"|Regional Safeguarding (?:Children(?:['’]s)? )?Board|Safeguarding Children Partnership"
    r"|Children(?:['’]s)? Safeguarding Partnership|Safeguarding Board|Safeguarding Panel"
    r"|Practice Review Panel|\bLSCB\b|\bLSCP\b|\bCPC\b)"
)
_NAME = r"(?:[A-Z][\w'’-]+|and|&|of|the)"
_PARTNERSHIP = re.compile(rf"((?:[A-Z][\w'’-]+)(?: {_NAME}){{0,5}}? {_BODY})")
# National bodies whose names do not follow "<Place> <body>". The national Panel counts only
# on the title page: local reviews mention it because they notify it.
_SBNI = re.compile(r"Safeguarding Board for Northern Ireland")
_BAD_LEAD = {"The", "This", "A", "An", "Each", "Every", "All", "Local", "Regional", "By", "For"}


def _partnership(
    title_page: str, sentences: list[_Sentence]
) -> tuple[Evidence | None, PublisherMatch | None]:
    """The publishing body: the first named on the title page, else in the text.

    The gazetteer of UK publishers (``reference.find_publishers``) is asked first, so a
    name broken over two lines, an abbreviation ("Powys LSCB") or a former name resolves
    to its publisher (and nation); an invented or unknown body is still found from its
    "<Place> Safeguarding Children Partnership" shape. The national Panel counts only on
    the title page: local reviews mention it because they notify it.
    """
    for text, page, method in [(title_page, 1, "title_page")] + [
        (s.text, s.page, "text") for s in sentences
    ]:
        found: list[tuple[int, str, PublisherMatch | None]] = []
        for match in find_publishers(text):
            if match.publisher.kind == "panel" and method != "title_page":
                continue
            found.append((match.start, match.value, match))
        flat = _join_wrapped_names(text) if method == "title_page" else text
        for m in _PARTNERSHIP.finditer(flat):
            words = m.group(1).split()
            while words and words[0] in _BAD_LEAD:
                words = words[1:]
            if words and words[0] not in {"Local", "Safeguarding", "Child", "Children"}:
                start = m.start() + len(m.group(1)) - len(" ".join(words))
                name = " ".join(words)
                if not any(_overlaps(name, g.text) for _, _, g in found if g is not None):
                    found.append((start, name, None))
        if found:
            pos, name, match = min(found, key=lambda f: f[0])
            evidence = _line_of(flat if method == "title_page" else text, pos)
            if method == "title_page":
                evidence = name
            return Evidence(value=name, evidence=evidence, page=page, method=method), match
    return None, None


def _overlaps(shape: str, gazetteer: str) -> bool:
    """Whether a "<Place> Safeguarding Board"-shaped name is part of, or runs into, a
    publisher the gazetteer found ("Belfast Safeguarding Board" on a line above
    "Safeguarding Board for Northern Ireland"): the gazetteer's name wins."""
    a, b = shape.lower().split(), " ".join(gazetteer.lower().split())
    return " ".join(a) in b or b in " ".join(a) or b.startswith(" ".join(a[-2:]))


_BODY_START = re.compile(
    r"^(?:Local |Regional )?(?:Safeguarding|Children(?:['’]s)?|Child Protection|Partnership|"
    r"Board|Committee|Multi-Agency|and )"
)


def _join_wrapped_names(text: str) -> str:
    """Title-page lines with a name broken over two lines put back on one ("Barnsley
    Safeguarding" / "Children Partnership"); other lines stay apart."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    out: list[str] = []
    for line in lines:
        if out and _BODY_START.match(line) and not out[-1].endswith((".", ":")):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return "\n".join(out)


def _line_of(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start : end if end != -1 else len(text)].strip()[:400]


# --------------------------------------------------------------------------- year
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_MONTH_ABBR = r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec"
_YEAR4 = r"(?:19|20)\d\d"
# Dates as reports write them, each with the year it gives.
_DATE_FORMS = [
    re.compile(
        rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS}|{_MONTH_ABBR})\.?,?\s+({_YEAR4})\b",
        re.I,
    ),
    re.compile(
        rf"\b(?:{_MONTHS}|{_MONTH_ABBR})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+({_YEAR4})\b", re.I
    ),
    re.compile(rf"\b(?:{_MONTHS}|{_MONTH_ABBR})\.?,?\s+({_YEAR4})\b", re.I),
    re.compile(rf"\b(?:[0-2]?\d|3[01])[./-](?:0?[1-9]|1[0-2])[./-]({_YEAR4}|\d\d)\b"),
    re.compile(rf"\b(?:Spring|Summer|Autumn|Winter)\s+({_YEAR4})\b", re.I),
]
_LONE_YEAR = re.compile(rf"^\(?({_YEAR4})\)?\.?$")
_PUBLISHED = re.compile(
    r"\b(?:published|publication(?:\s+date)?|date\s+of\s+publication|date\s+published|"
    r"report\s+date|date\s+of\s+report|final\s+(?:report|version)|date)\b\s*(?:on|in|:|-|\u2013)?\s*",
    re.I,
)
_EVENT_WORDS = re.compile(
    r"\b(?:incident|died|death|born|birth|injur|admitted|harm|between|from|period|timeframe|"
    r"scope|covering|covers|aged|d\.?o\.?[bd])\b",
    re.I,
)


def _dates(text: str) -> list[tuple[int, int, str]]:
    """(position, year, the date as written) for every date in ``text``."""
    this_year = date.today().year
    out: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for form in _DATE_FORMS:
        for m in form.finditer(text):
            if any(a <= m.start() < b for a, b in taken):
                continue
            raw = m.group(1)
            year = int(raw) if len(raw) == 4 else 2000 + int(raw)
            if len(raw) == 2 and year > this_year:
                year -= 100
            if 1990 <= year <= this_year:
                out.append((m.start(), year, m.group(0)))
                taken.append((m.start(), m.end()))
    return sorted(out)


def _is_date_line(text: str) -> bool:
    """ "13 March 2014", "4th May 2021": a date, not a numbered heading."""
    found = _dates(text)
    return bool(found) and len(text.strip()) - len(found[0][2]) <= 3


def _year(title_page: str, front_text: str, title: str = "") -> Evidence | None:
    """Publication year, before any incident date.

    In order: a "published"/"report date" line on the title page or in the document's
    title; a title-page line that is only a date ("26.11.19", "October 2016", "2019")
    or a date after "Final report"; any other title-page date that no incident word
    ("died", "incident", "between") qualifies, the latest first; a "published ..."
    line early in the text. Dates are read in every form reports use: 26.11.19,
    13/03/2018, 4th May 2021, October 2016, Sept 2017.
    """
    for text, method, page in ((title_page, "title_page", 1), (title, "file_metadata", None)):
        stated: list[tuple[int, int, int, str]] = []
        for m in _PUBLISHED.finditer(text):
            line = _line_of(text, m.start())
            if _EVENT_WORDS.search(line):
                continue  # "Date of incident: 05/08/2021", "Date of death: 18.12.08"
            rest = text[m.end() : m.end() + 40].split("\n")[0]
            found = _dates(rest) or [
                (0, int(y.group(0)), y.group(0)) for y in re.finditer(_YEAR4, rest[:6])
            ]
            if found:
                # "Published ..." beats "Date:" or "Final version 4: ..." on the same cover
                strength = 0 if re.search(r"publi", m.group(0), re.I) else 1
                stated.append((strength, m.start(), found[0][1], line))
        if stated:
            _, _, year, line = min(stated)
            return Evidence(value=year, evidence=line, page=page, method=method)
    lines = [ln.strip() for ln in title_page.split("\n") if ln.strip()]
    alone: list[tuple[int, str]] = []
    for line in lines:
        lone = _LONE_YEAR.match(line)
        if lone:
            alone.append((int(lone.group(1)), line))
            continue
        found = _dates(line)
        if found and len(line) - len(found[-1][2]) <= 12 and not _EVENT_WORDS.search(line):
            alone.append((found[-1][1], line))
    if alone:
        year, line = alone[-1]  # the cover's date line sits below the title
        if 1990 <= year <= date.today().year:
            return Evidence(value=year, evidence=line, page=1, method="title_page")
    dated = [
        (year, line)
        for line in lines
        if not _EVENT_WORDS.search(line)
        for _, year, _raw in _dates(line)
    ]
    if dated:
        year, line = max(dated)
        return Evidence(value=year, evidence=line, page=1, method="title_page")
    for m in _PUBLISHED.finditer(front_text[:3000]):
        if m.group(0).lower().startswith(("date", "final")):
            continue
        found = _dates(front_text[m.end() : m.end() + 40])
        if found:
            return Evidence(
                value=found[0][1], evidence=_line_of(front_text, m.start()), method="text"
            )
    return None


# --------------------------------------------------------------------------- child
_CODE_SIMPLE = re.compile(
    r"\b(Child|Baby|Infant|Young Person)\s+([A-Z]{1,2}\d?|\d{1,2})\b(?![a-z])(?![.,]?\d)"
)


def _child_code(title: str, sentences: list[_Sentence]) -> Evidence | None:
    m = _CODE_SIMPLE.search(title)
    if m:
        return Evidence(value=m.group(0), evidence=title, page=1, method="title_page")
    counts: Counter[str] = Counter()
    first: dict[str, _Sentence] = {}
    for sent in sentences:
        for m in _CODE_SIMPLE.finditer(sent.text):
            counts[m.group(0)] += 1
            first.setdefault(m.group(0), sent)
    if not counts:
        return None
    code, _ = counts.most_common(1)[0]
    return Evidence(value=code, evidence=first[code].text[:400], page=first[code].page)


_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_NUMBER_WORDS.update(
    {"a": 1, "an": 1, "twenty-one": 21, "twenty-two": 22, "twenty-three": 23, "thirty": 30}
)
_NUM = r"(\d{1,2}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_AGE_PATTERNS = [
    re.compile(rf"\b{_NUM}\s+(year)s?\s+and\s+(?:\d{{1,2}}|[a-z]+)\s+months?(?:\s+old)?\b", re.I),
    re.compile(rf"\b{_NUM}[- ](day|week|month|year)s?[- ]old\b", re.I),
    re.compile(
        rf"\b(?:at\s+the\s+age\s+of|aged|age)\s+{_NUM}(?:\s+(day|week|month|year)s?)?\b", re.I
    ),
    re.compile(
        rf"\b(?:was|were|is)\s+(?:only\s+|just\s+|then\s+)?{_NUM}\s+(day|week|month|year)s?\s+old\b",
        re.I,
    ),
    re.compile(rf"\bat\s+{_NUM}\s+(day|week|month|year)s?\s+(?:of age|old)\b", re.I),
    re.compile(
        rf"\b(?:baby|boy|girl|child|infant|son|daughter|young (?:person|man|woman)|teenager|woman|man)\s+(?:aged|of)\s+{_NUM}(?:\s+(day|week|month|year)s?)?(?:\s+old)?\b(?!\s+(?:and|or|children|siblings))",
        re.I,
    ),
]
_NEWBORN = re.compile(r"\b(newborn|new-born|neonate|stillborn)\b", re.I)
_CHILD_CUE = re.compile(
    r"\b(child|baby|infant|boy|girl|young person|son|daughter|teenager|Child [A-Z]|Baby [A-Z]|"
    r"died|death|injur|harm|when)\b",
    re.I,
)


def _to_int(token: str) -> int | None:
    token = token.lower()
    if token.isdigit():
        return int(token)
    return _NUMBER_WORDS.get(token)


def _age(sentences: list[_Sentence], code: str | None) -> tuple[Evidence | None, float | None]:
    """The child's age at the incident: the first age stated of the subject child.

    An age belongs to whoever is named just before it: "two sisters aged nine" is a
    sibling's, "Child J, aged four" and "when he was four" are the child's.
    """
    candidates: list[tuple[float, _Sentence, str, float]] = []
    for order, sent in enumerate(sentences):
        if sent.section in ("glossary", "contents", "methodology", "terms_of_reference"):
            continue
        taken: list[tuple[int, int]] = []
        for pattern in _AGE_PATTERNS:
            for m in pattern.finditer(sent.text):
                n = _to_int(m.group(1))
                if n is None or any(a < m.end() and m.start() < b for a, b in taken):
                    continue  # "eight months" inside "two years and eight months old"
                taken.append(m.span())
                unit = (
                    (m.group(2) or "year").lower() if m.lastindex and m.lastindex >= 2 else "year"
                )
                years = {"day": n / 365, "week": n / 52, "month": n / 12, "year": float(n)}[unit]
                if years >= 18:
                    continue
                lead = sent.text[max(0, m.start() - 45) : m.start()]
                if _PERSON_AFTER.match(sent.text[m.end() :]):
                    continue  # "his 16-year-old mother": the age is the mother's
                other = _OTHER_PERSON.search(lead)
                named_at = lead.rfind(code) if code else -1
                if other and other.start() >= named_at:
                    continue  # the nearest person named before the age is someone else
                score = 0.0
                if code and code in sent.text[max(0, m.start() - 120) : m.end() + 40]:
                    score += 3
                if re.search(
                    r"\b(he|she|they) (?:was|were)\s*$", lead.strip() + " ", re.I
                ) or re.search(r"\bwhen (?:he|she) was\s*$", lead, re.I):
                    score += 2
                if _CHILD_CUE.search(sent.text[max(0, m.start() - 80) : m.end() + 60]):
                    score += 1
                candidates.append((order - 10 * score, sent, m.group(0), years))
        if _NEWBORN.search(sent.text) and code and code in sent.text:
            match = _NEWBORN.search(sent.text)
            assert match is not None
            candidates.append((order - 25, sent, match.group(0), 0.0))
    if not candidates:
        return None, None
    candidates.sort(key=lambda c: c[0])
    _, sent, phrase, years = candidates[0]
    return Evidence(value=phrase, evidence=sent.text[:400], page=sent.page), years


_PERSON_AFTER = re.compile(
    r"\s*(?:(?!young\b)[a-z-]+\s+){0,2}(?:mother|father|parent|partner|stepfather|stepmother|"
    r"grandmother|grandfather|uncle|aunt|siblings?|brothers?|sisters?|half-brother|half-sister|"
    r"cousins?|man|woman|boyfriend|girlfriend|adult)\b",
    re.I,
)
_OTHER_PERSON = re.compile(
    r"\b(mother|father|parent|partner|stepfather|stepmother|grandmother|grandfather|uncle|aunt|"
    r"siblings?|brothers?|sisters?|cousins?|adult|half-brother|half-sister|twins?|son|daughter|"
    r"man|woman|boyfriend|girlfriend)\b[^.;]{0,25}$",
    re.I,
)


def age_band(years: float | None) -> str | None:
    if years is None:
        return None
    if years < 1:
        return AGE_BANDS[0]
    if years < 5:
        return AGE_BANDS[1]
    if years < 10:
        return AGE_BANDS[2]
    if years < 15:
        return AGE_BANDS[3]
    if years < 18:
        return AGE_BANDS[4]
    return None


_SEX = re.compile(
    r"\b(?:\d{1,2}|[a-z]+)[- ](?:day|week|month|year)s?[- ]old\s+(?:baby\s+)?(boy|girl)\b"
    r"|\bbaby (boy|girl)\b|\b(boy|girl) aged\b",
    re.I,
)


def _sex(sentences: list[_Sentence], code: str | None) -> Evidence | None:
    """ "A seven-week-old baby boy", else the pronouns of sentences that name the child."""
    for sent in sentences[:400]:
        m = _SEX.search(sent.text)
        if m:
            word = next(g for g in m.groups() if g).lower()
            value = "male" if word == "boy" else "female"
            return Evidence(value=value, evidence=sent.text[:400], page=sent.page)
    if not code:
        return None
    counts = Counter()
    first: dict[str, _Sentence] = {}
    for sent in sentences[:400]:
        if code not in sent.text:
            continue
        after = sent.text[sent.text.index(code) :]
        for word in re.findall(r"\b(he|his|him|she|her|hers)\b", after, re.I)[:3]:
            value = "male" if word.lower() in ("he", "his", "him") else "female"
            counts[value] += 1
            first.setdefault(value, sent)
    if not counts:
        return None
    (value, n), *rest = counts.most_common()
    if n < 3 or (rest and rest[0][1] * 3 > n):
        return None  # too few or too mixed to say
    return Evidence(value=value, evidence=first[value].text[:400], page=first[value].page)


_DIED = re.compile(
    r"\b(died|death of|was found dead|found unresponsive and|(?<!not )(?<!non-)fatal(?:ly)?|"
    r"was killed|pronounced dead|took (?:his|her|their) own life|murder(?:ed)?|manslaughter)\b",
    re.I,
)
_HARMED = re.compile(
    r"\b(serious(?:ly)? (?:harm|harmed|injur(?:ed|ies|y))|significant harm|life[- ]changing|"
    r"life[- ]threatening|suffered serious|non-accidental injur(?:y|ies)|was seriously|"
    r"injured|injuries|fractures?|not fatally|non-fatal|survived|recovered|malnutrition|"
    r"sexually (?:assaulted|abused|exploited)|sexual(?:ly)? abus(?:e|ed|ing)|raped|"
    r"sexual offences against)\b",
    re.I,
)
# Said of the subject child, these mean harm and not death, whatever else the sentence says.
_NO_DEATH = re.compile(
    r"\b(did not die|survived|no child died|not fatal(?:ly)?|non-fatal|recovered|"
    r"is now (?:living|in|with|at)|has (?:lasting|long-term) injuries)\b",
    re.I,
)


def _outcome(sentences: list[_Sentence], code: str | None) -> Evidence | None:
    """Died or serious harm, from the sentences that set out why the review was held.

    A death stated near the start outweighs an injury mentioned just before it ("was
    admitted with head injuries ... she died two days later"); a sentence that says the
    child survived or was "injured (not fatally)" never counts as a death.
    """
    died: tuple[int, _Sentence] | None = None
    harmed: tuple[int, _Sentence] | None = None
    for order, sent in enumerate(sentences[:250]):
        if sent.section in ("glossary", "contents", "methodology", "terms_of_reference"):
            continue
        named = bool(code and code in sent.text)
        subject = named or re.search(
            r"\b(child|baby|infant|young (?:person|man|woman)|teenager|boy|girl|he|she|him|her)\b",
            sent.text,
            re.I,
        )
        if not subject:
            continue
        score = order - (20 if named else 0)
        if _DIED.search(sent.text) and not _NO_DEATH.search(sent.text):
            if died is None or score < died[0]:
                died = (score, sent)
        elif _HARMED.search(sent.text) and (harmed is None or score < harmed[0]):
            harmed = (score, sent)
    if died is not None and (harmed is None or died[0] <= harmed[0] + 15):
        value, sent = "died", died[1]
    elif harmed is not None:
        value, sent = "serious harm", harmed[1]
    else:
        return None
    return Evidence(value=value, evidence=sent.text[:400], page=sent.page)


# --------------------------------------------------------------------------- agencies
AGENCIES: dict[str, re.Pattern[str]] = {
    "children's social care": re.compile(
        r"children['’]s social care|children['’]s services|social work(?:er|ers)?\b|\bCSC\b|"
        r"social services|local authority children",
        re.I,
    ),
    "police": re.compile(r"\bpolice\b|constabulary|\bPSNI\b", re.I),
    "GP": re.compile(r"\bGPs?\b|general practi(?:ce|tioner)", re.I),
    "health visiting": re.compile(r"health visit(?:or|ors|ing)", re.I),
    "midwifery": re.compile(r"\bmidwi(?:fe|ves|fery)\b", re.I),
    "A&E / emergency department": re.compile(
        r"emergency department|\bA\s?&\s?E\b|accident and emergency|minor injur(?:y|ies) unit", re.I
    ),
    "paediatrics": re.compile(r"paediatric(?:ian|s)?\b", re.I),
    "CAMHS": re.compile(r"\bCAMHS\b|child and adolescent mental health", re.I),
    "adult mental health": re.compile(
        r"adult mental health|community mental health team|\bCMHT\b|psychiatri(?:st|c)", re.I
    ),
    "school": re.compile(r"\bschool\b|designated safeguarding lead|\bteacher", re.I),
    "early help": re.compile(r"early help|family support worker", re.I),
    "housing": re.compile(
        r"housing (?:officer|provider|association|department|services)|"
        r"homeless(?:ness)? (?:team|service)",
        re.I,
    ),
    "probation": re.compile(r"\bprobation\b", re.I),
    "substance misuse services": re.compile(
        r"(?:substance misuse|drug and alcohol|drug|alcohol) (?:service|services|team|worker)", re.I
    ),
    "youth justice": re.compile(r"youth (?:justice|offending)", re.I),
    "ambulance": re.compile(r"\bambulance\b|paramedic", re.I),
    "nursery / early years": re.compile(r"\bnursery\b|childminder|early years", re.I),
}


def _agencies(structured: StructuredDoc) -> Evidence:
    counts: Counter[str] = Counter()
    first: dict[str, tuple[str, int]] = {}
    for block in structured.blocks:
        if block.section_kind in ("glossary", "contents", "references"):
            continue
        for name, pattern in AGENCIES.items():
            hits = pattern.findall(block.text)
            if hits:
                counts[name] += len(hits)
                if name not in first:
                    m = pattern.search(block.text)
                    assert m is not None
                    first[name] = (_window(block.text, m.start()), block.page_start)
    agencies = [name for name in AGENCIES if counts[name] >= 2]
    evidence = "; ".join(f"{name}: {first[name][0]}" for name in agencies[:6])
    return Evidence(value=agencies, evidence=evidence[:800] or None, method="text")


def _window(text: str, pos: int, width: int = 60) -> str:
    return text[max(0, pos - width) : pos + width].replace("\n", " ").strip()


# --------------------------------------------------------------------------- entry point
def _title_page_text(doc: ExtractedDoc) -> str:
    """Page 1 of a PDF or DOCX; the opening lines of an HTML or text file (one long page)."""
    if not doc.pages:
        return ""
    lines = [line.text.strip() for line in doc.pages[0].lines if line.text.strip()]
    if doc.format in ("html", "text", "doc") or len(doc.pages) == 1 or len(lines) > 40:
        # The title block ends where the report's first numbered section or long paragraph starts.
        block: list[str] = []
        for i, text in enumerate(lines[:15]):
            numbered = re.match(r"^\d+(?:\.\d+)*\.?\s+\w", text) and not _is_date_line(text)
            if i and (len(text) > 150 or numbered):
                break
            block.append(text)
        lines = block
    return "\n".join(_uncapitalised(line) for line in lines)


_ACRONYMS = {
    "LSCB",
    "LSCP",
    "CPC",
    "SCR",
    "SBNI",
    "NSPCC",
    "CSPR",
    "LCSPR",
    "CPR",
    "SUSR",
    "CMR",
    "ACPC",
    "NHS",
    "UK",
    "SCP",
    "SCB",
    "SILP",
    "SCIE",
}
_SMALL_WORDS = {"and", "of", "the", "for", "in", "on", "to", "a"}


def _uncapitalised(line: str) -> str:
    """A cover line set in capitals ("KIRKHOLME LOCAL SAFEGUARDING") in the case the name
    patterns read ("Kirkholme Local Safeguarding"); acronyms and other lines stay as they are."""
    if not re.search(r"[A-Z]{2}", line) or line != line.upper():
        return line
    words = []
    for i, word in enumerate(line.split(" ")):
        bare = re.sub(r"\W", "", word)
        if bare in _ACRONYMS or len(bare) <= 1 or not bare.isalpha():
            words.append(word)
        elif i and word.lower() in _SMALL_WORDS:
            words.append(word.lower())
        else:
            words.append(word.capitalize())
    return " ".join(words)


def extract_metadata(
    doc: ExtractedDoc, structured: StructuredDoc, title: str | None = None
) -> ReportMetadata:
    """Metadata with evidence for each field found; fields the text does not give stay None."""
    title_page = _title_page_text(doc)
    title = title or doc.title or ""
    front = list(_sentences(structured, word_limit=FRONT_WORDS))
    allsent = list(_sentences(structured))
    front_text = "\n".join(s.text for s in front)
    meta = ReportMetadata()
    ev = meta.evidence

    kind, kind_ev, implied_nation = _review_type(title + "\n" + title_page[:600], front)
    part, publisher = _partnership(title_page, front)
    if part is None and doc.site_name:
        # a review published as a web page: the site is the publisher
        found = find_publishers(doc.site_name)
        if found:
            publisher = found[0]
            part = Evidence(value=publisher.value, evidence=doc.site_name, method="site")
    if part:
        meta.partnership = str(part.value)
        ev["partnership"] = part

    nation = _nation(
        implied_nation, kind_ev, title_page + "\n" + front_text, meta.partnership, publisher
    )
    if nation:
        meta.nation = str(nation.value)
        ev["nation"] = nation
    kind, kind_ev = _review_type_for_nation(kind, kind_ev, meta.nation)
    if kind:
        meta.review_type = kind
        ev["review_type"] = kind_ev  # type: ignore[assignment]

    year = _year(title_page, front_text, title)
    if year:
        meta.year = int(year.value)  # type: ignore[arg-type]
        ev["year"] = year

    code = _child_code(title + "\n" + title_page, allsent)
    if code:
        meta.child_code = str(code.value)
        ev["child_code"] = code

    age, years = _age(front or allsent, meta.child_code)
    if age:
        meta.age_text = str(age.value)
        meta.age_years = round(years, 3) if years is not None else None
        meta.age_band = age_band(years)
        ev["age"] = age

    sex = _sex(front, meta.child_code)
    if sex:
        meta.sex = str(sex.value)
        ev["sex"] = sex

    outcome = _outcome(front, meta.child_code)
    if outcome:
        meta.outcome = str(outcome.value)
        ev["outcome"] = outcome

    agencies = _agencies(structured)
    meta.agencies = list(agencies.value or [])  # type: ignore[arg-type]
    if meta.agencies:
        ev["agencies"] = agencies
    return meta


# Review names that hold for one nation only: they decide the nation even against a cue.
_NATION_ONLY = {
    "cpr": "Wales",
    "susr": "Wales",
    "cmr": "Northern Ireland",
    "lcspr": "England",
    "national": "England",
}


def _nation(
    implied: str | None,
    kind_ev: Evidence | None,
    text: str,
    partnership: str | None,
    publisher: PublisherMatch | None = None,
) -> Evidence | None:
    """The nation: the publisher's (from the gazetteer), else the one the review's name
    implies, else the strongest cue in the front of the report.

    Why the publisher first: "Powys Local Safeguarding Children Board" published Welsh
    serious case reviews, and English partnerships publish "learning reviews", a name
    that elsewhere means Scotland's reviews.
    """
    if publisher is not None:
        pub = publisher.publisher
        return Evidence(
            value=pub.nation,
            evidence=f"{publisher.value} ({pub.nation}; publisher gazetteer)",
            method="gazetteer",
        )
    shaped = _nation_of_body(partnership)
    if shaped and (
        not implied or implied == "Scotland" and kind_ev and _LR.search(kind_ev.evidence or "")
    ):
        # "Learning review" names Scotland's reviews, but an English partnership publishes
        # "learning reviews" too: the body's own kind of name is the better witness.
        return Evidence(value=shaped, evidence=partnership, method="partnership_name")
    if implied and kind_ev:
        return Evidence(
            value=implied, evidence=kind_ev.evidence, page=kind_ev.page, method="review_type"
        )
    probe = (partnership or "") + "\n" + text
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for pattern, nation in _NATION_CUES:
        for m in pattern.finditer(probe):
            counts[nation] += 1
            first.setdefault(nation, _window(probe, m.start()))
    if not counts:
        return None
    nation = counts.most_common(1)[0][0]
    return Evidence(value=nation, evidence=first[nation], method="text")


_LR = re.compile(r"\blearning review\b", re.I)
_BODY_NATION = [
    (
        re.compile(
            r"Safeguarding Children(?:'s)? Partnership|\bLSCP\b|Safeguarding Partnership", re.I
        ),
        "England",
    ),
    (
        re.compile(r"(?<!Area )Child Protection Committee|Public Protection Committee", re.I),
        "Scotland",
    ),
    (re.compile(r"Regional Safeguarding|Safeguarding Board for Northern Ireland", re.I), None),
]


def _nation_of_body(partnership: str | None) -> str | None:
    """The nation a publisher's kind of name belongs to, for publishers the gazetteer does
    not know: partnerships are English, child protection committees Scottish."""
    if not partnership:
        return None
    for pattern, nation in _BODY_NATION:
        if pattern.search(partnership):
            return nation
    return None


def _review_type_for_nation(
    kind: str | None, evidence: Evidence | None, nation: str | None
) -> tuple[str | None, Evidence | None]:
    """Each nation's own names: a "learning review" is Scotland's statutory review, but in
    England or Wales it is a review of another kind ("other")."""
    if kind == "lr" and nation in ("England", "Wales", "Northern Ireland") and evidence:
        return "other", evidence.model_copy(update={"value": "other"})
    return kind, evidence


_LISTING_FIELDS = ("partnership", "year", "child_code", "review_type")


def fill_from_listing(metadata: ReportMetadata, provenance: dict[str, Any]) -> ReportMetadata:
    """Fields the report's text does not state, taken from the publisher's listing.

    The text wins where it speaks: a listing is often terse or stale ("SCR 2014"). The
    evidence says the value came from the listing, so a reader can weigh it.
    """
    updates: dict[str, Any] = {}
    evidence = dict(metadata.evidence)
    for field_name in _LISTING_FIELDS:
        value = provenance.get(f"listing_{field_name}")
        if value in (None, "") or getattr(metadata, field_name) is not None:
            continue
        if field_name == "year":
            try:
                value = int(value)
            except (TypeError, ValueError):
                continue
            if not 1945 <= value <= date.today().year:
                continue
        updates[field_name] = value
        evidence[field_name] = Evidence(
            value=value,
            evidence=f"listed as {value!r} on {provenance.get('found_on') or 'the publisher site'}",
            method="listing",
        )
    if not updates:
        return metadata
    return metadata.model_copy(update={**updates, "evidence": evidence})
