"""Cleaning of extracted report text: small pure functions, one artefact each.

Published case reviews reach us as PDFs (some OCR'd), so the raw lines carry
typesetting and scanning debris that would otherwise end up inside passages and
pollute search: running headers and footers, page numbers, contents pages, footnote
markers glued to words, words split by line-end hyphenation or run together by a
lossy text layer, ligatures and odd bullets. Each function here repairs one of those,
says why, and never needs the whole document model, so it can be tested on strings.

``structure.structure`` strings them together and reports what they did through a
``collections.Counter`` that ends up in ``StructuredDoc.stats``.
"""

from __future__ import annotations

import gzip
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

# --------------------------------------------------------------------------- lexicon


@lru_cache(maxsize=1)
def lexicon() -> dict[str, int]:
    """Lower-case English words mapped to their frequency rank (0 = most common).

    Hyphenation repair and run-together splitting both ask "is this a word, and how
    common?". The list is wordfreq's large English list (321,000 words from subtitles,
    Wikipedia, books, news and the web, British and American spellings), read straight
    from its data file, with wordninja's list added for anything it lacks; loaded once.
    """
    ranks: dict[str, int] = {}
    for i, word in enumerate(_wordfreq_words()):
        ranks.setdefault(word, i)
    import wordninja

    path = Path(wordninja.__file__).parent / "wordninja" / "wordninja_words.txt.gz"
    if path.exists():
        with gzip.open(path) as fh:
            extra = fh.read().decode().split()
        base = len(ranks)
        for i, word in enumerate(extra):
            ranks.setdefault(word, base + i)
    return ranks


@lru_cache(maxsize=1)
def _centibels() -> dict[str, int]:
    """Word → its frequency in centibels (wordfreq's bins: frequency = 10 ** (-cB / 100))."""
    out: dict[str, int] = {}
    for cb, words in enumerate(_wordfreq_bins()):
        for word in words:
            out.setdefault(word, cb)
    return out


def load_word_lists() -> None:
    """Read both word lists now (about half a second): a worker does it while it starts,
    not inside the first report it cleans."""
    lexicon()
    _centibels()


def _wordfreq_bins() -> list[list[str]]:
    import importlib.util

    import msgpack

    spec = importlib.util.find_spec("wordfreq")
    if spec is None or spec.origin is None:  # pragma: no cover - a dependency
        return []
    path = Path(spec.origin).parent / "data" / "large_en.msgpack.gz"
    with gzip.open(path) as fh:
        data = msgpack.unpackb(fh.read(), raw=False)
    return [list(b) for b in data[1:]]  # data[0] is the format header


def _wordfreq_words() -> list[str]:
    return [w for b in _wordfreq_bins() for w in b if w.isalpha() or "'" in w]


def frequency(word: str) -> float:
    """How often ``word`` appears in English text (0.0 when it is not in the list)."""
    cb = _centibels().get(word.lower())
    return 0.0 if cb is None else 10 ** (-cb / 100)


# British spellings are rare in the (American-leaning) word list: try the American form.
_BRITISH = (
    ("isation", "ization"),
    ("ising", "izing"),
    ("ised", "ized"),
    ("ises", "izes"),
    ("ise", "ize"),
    ("yse", "yze"),
    ("ysed", "yzed"),
    ("our", "or"),
    ("ours", "ors"),
    ("tre", "ter"),
    ("tres", "ters"),
    ("ence", "ense"),
    ("lled", "led"),
    ("lling", "ling"),
    ("ogue", "og"),
)
_SUFFIXES = ("s", "es", "ly", "ally", "ed", "d", "ing", "ness", "ment", "al", "er", "ers")


def rank(word: str) -> int | None:
    """Frequency rank of ``word`` (case-folded), trying British spellings and suffixes.

    Returns None for words we do not know. Why: a report's British "organisationally"
    must count as a word, or we would "repair" it into nonsense.
    """
    lex = lexicon()
    w = word.lower()
    found = lex.get(w)
    if found is not None:
        return found
    for brit, amer in _BRITISH:
        if w.endswith(brit):
            found = lex.get(w[: -len(brit)] + amer)
            if found is not None:
                return found
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            stem = w[: -len(suffix)]
            found = lex.get(stem)
            if found is None:
                for brit, amer in _BRITISH:
                    if stem.endswith(brit):
                        found = lex.get(stem[: -len(brit)] + amer)
                        if found is not None:
                            break
            if found is not None:
                return found
    return None


def is_known_word(word: str) -> bool:
    """True when ``word`` is in the English word list (British spellings included)."""
    return rank(word) is not None


# --------------------------------------------------------------------------- normalisation
_CHAR_MAP = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
        "\u00a0": " ",  # no-break space
        "\u2007": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u3000": " ",
        "\t": " ",
        "\u00ad": "",  # soft hyphen (a line-end one is handled before this)
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\ufeff": "",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2010": "-",  # Unicode hyphen
        "\u2011": "-",  # non-breaking hyphen
    }
)
_SPACES = re.compile(r" {2,}")


def normalise_text(text: str) -> str:
    """Fold typographic variants to one form and collapse runs of spaces.

    Why: ligatures ("ﬁ") and no-break spaces split words for the tokenizer, and curly
    quotes would make "child's" and "child’s" different terms; straight quotes are
    used throughout so every stage sees one spelling. Dashes (– —) are kept.
    """
    text = text.translate(_CHAR_MAP)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


# A bullet glyph (or its OCR misreading: "e", "®", "o", a private-use Symbol-font
# glyph) at the start of a line, followed by the item's text.
_GLYPHS = (
    "\u2022\u25aa\u25cf\u25a0\u25e6\u2023\u2043\u2219\u00b7\u27a2\u2192\u25ba\u25b6"
    "\uf0b7\uf0a7\uf0d8\uf076\u00ae*"
)
_BULLET = re.compile(rf"^(?:(?:[{_GLYPHS}]\s*)+|[-\u2013](?=\s)\s*|[eo]\s+(?=[a-z(]))")
_ONLY_GLYPHS = re.compile(rf"^[{_GLYPHS}\s]+$")
BULLET_PREFIX = "\u2022 "


def strip_bullet(text: str) -> tuple[bool, str]:
    """Return (is_list_item, text without its bullet glyph).

    Why: OCR reads "•" as "e", "®" or "o", and PDF text layers give Symbol-font
    private-use glyphs; left in place they become junk words at passage starts. The
    OCR letters only count before a lower-case word ("e to prevent harm"), so a line
    that really starts with the letter is untouched.
    """
    m = _BULLET.match(text)
    if not m:
        return False, text
    if _ONLY_GLYPHS.match(text):
        return True, ""  # a bullet extracted apart from its item's text
    rest = text[m.end() :]
    # "®  Dbecause" - OCR doubles the capital of the first word after a bullet glyph.
    if (
        len(rest) > 2
        and rest[0].isupper()
        and rest[1:3].islower()
        and not is_known_word(rest.split()[0])
    ):
        candidate = rest[1:]
        if is_known_word(candidate.split()[0].strip(".,;:")):
            rest = candidate
    return True, rest


# --------------------------------------------------------------------------- page furniture
_PAGE_NUMBER = re.compile(
    r"""^(?:
        (?:page|p\.?|pg\.?)?\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?     # 12, Page 3 of 40, 3/40
      | [-\u2013\u2014]\s*\d{1,4}\s*[-\u2013\u2014]                    # - 3 -
      | \d{1,4}\s*\|\s*(?:page|p\.?)                                   # 3 | Page
      | (?:page|p\.?)\s*\|\s*\d{1,4}                                   # Page | 3
      | \[\s*\d{1,4}\s*\]|\(\s*\d{1,4}\s*\)                            # [3] (3)
      | [ivxlc]{1,7}                                                  # roman
    )\.?$""",
    re.IGNORECASE | re.VERBOSE,
)
_ROMAN = re.compile(r"^(?=[ivxlc]+$)c{0,3}(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$", re.IGNORECASE)


def is_page_number(text: str) -> bool:
    """True for a line that is only a page number: "12", "Page 3 of 40", "- 3 -", "iv".

    Why: page numbers at the top or bottom of a page otherwise land inside the
    paragraph that runs across the page break ("... the family 12 moved in 2019").
    Only call this for lines in a page's top or bottom band: a lone "12" elsewhere may
    be a table cell.
    """
    t = text.strip()
    if not t or len(t) > 20 or not _PAGE_NUMBER.match(t):
        return False
    if t.isalpha():
        return bool(_ROMAN.match(t))
    return True


# Page markers that are never report text, wherever they stand: "Page 3 of 24",
# "P a g e 2 | 25" (a letter-spaced footer), "2 | P a g e", "Page 7: Child S review".
_SPACED_PAGE = r"p\s?a\s?g\s?e"
_PAGE_MARKER = re.compile(
    rf"""^(?:
        {_SPACED_PAGE}\s*\d{{1,4}}(?:\s*(?:of|/|\|)\s*\d{{1,4}})?
      | \d{{1,4}}\s*\|\s*{_SPACED_PAGE}(?:\s*\d{{1,4}})?
      | page\s+\d{{1,4}}\s*[:|\u2013\u2014-]\s*\S.{{0,90}}
    )\.?$""",
    re.IGNORECASE | re.VERBOSE,
)
# The same markers inside a line, where a text layer ran a footer into the text.
_INLINE_MARKER = re.compile(
    rf"\s*\b(?:{_SPACED_PAGE}\s*\d{{1,4}}\s*(?:of|\|)\s*\d{{1,4}}|P a g e\s*\d{{1,4}})\b\s*",
    re.IGNORECASE,
)
# Government protective markings stamped at the top and foot of pages.
_MARKING = re.compile(
    r"^(?:not\s+protectively\s+marked(?:\s*[-\u2013:]\s*public)?"
    r"|official(?:\s*[-\u2013:]?\s*sensitive)?(?:\s*[-\u2013:]\s*(?:personal|commercial))?"
    r"|official\s*[-\u2013:]\s*public|restricted|confidential|in\s+confidence|protect"
    r"|protect\s*[-\u2013:]\s*personal|unclassified|draft|final\s+draft|final\s+version"
    r"|strictly\s+confidential)\.?$",
    re.IGNORECASE,
)


def is_page_marker(text: str) -> bool:
    """True for a line that is only a page marker in one of the forms published reports
    use ("Page 3 of 24", "P a g e 2 | 25", "Page 7: Child S"). Such a line is furniture
    wherever it stands, so callers may drop it outside the page bands too."""
    t = text.strip()
    return len(t) <= 110 and bool(_PAGE_MARKER.match(t))


def is_protective_marking(text: str) -> bool:
    """True for a protective marking line: "OFFICIAL - SENSITIVE", "NOT PROTECTIVELY
    MARKED", "RESTRICTED". Why: stamped on every page, it would start or end passages."""
    return bool(_MARKING.match(text.strip()))


def strip_inline_markers(text: str) -> tuple[str, int]:
    """Remove "Page 3 of 24" / "P a g e 2 | 25" run into a line of text."""
    new, n = _INLINE_MARKER.subn(" ", text)
    return (new.strip() if n else text), n


_DIGITS = re.compile(r"\d+")
_NON_WORD = re.compile(r"[^\w#]+")


def fold_line(text: str) -> str:
    """Key for spotting repeated page furniture: digits → "#", case and spacing folded.

    Why: a running footer differs only by its number ("Child J SCR | Page 4 of 40"),
    so lines are compared on this key rather than their text.
    """
    return _NON_WORD.sub(" ", _DIGITS.sub("#", text.lower())).strip()


def find_running_lines(
    pages: Sequence[Sequence[str]],
    bands: Sequence[Sequence[int]],
    *,
    min_share: float = 0.3,
) -> set[tuple[int, int]]:
    """Indexes (page, line) of running headers/footers among each page's band lines.

    ``pages`` holds every page's line texts, ``bands`` the indexes of the lines in the
    page's top and bottom bands (from geometry, or simply the first and last lines when
    the source has none). A band line is page furniture when its folded form recurs in
    the bands of at least ``min_share`` of the pages (and at least two). Why: headers
    ("Serious Case Review: Child J") repeat on every page and would otherwise be glued
    into paragraphs at each page break; the share test keeps a heading that happens to
    sit at the top of one page.
    """
    if len(pages) < 2:
        return set()
    seen: Counter[str] = Counter()
    keys: dict[tuple[int, int], str] = {}
    for p, (lines, band) in enumerate(zip(pages, bands, strict=True)):
        page_keys: set[str] = set()
        for i in band:
            key = fold_line(lines[i])
            if key and key != "#":
                keys[(p, i)] = key
                page_keys.add(key)
        seen.update(page_keys)
    need = max(2, int(min_share * len(pages) + 0.999))
    return {pos for pos, key in keys.items() if seen[key] >= need}


# --------------------------------------------------------------------------- contents
_LEADER = re.compile(r"(?:\.\s*){4,}|(?:\u2026\s*){2,}|(?:_\s*){4,}|(?:\.\s){3,}")
_ENDS_PAGE_NO = re.compile(r"(?:\s|\.|\u2026)(\d{1,3}|[ivxlc]{1,6})$", re.IGNORECASE)
_OPEN_WORDS = frozenset(
    ["and", "or", "the", "of", "to", "in", "on", "at", "by", "for", "with", "aged", "a", "an"]
)
_CONTENTS_HEADING = re.compile(
    r"^(?:table\s+of\s+)?(?:contents?|index)(?:\s+page)?:?$", re.IGNORECASE
)


def is_contents_heading(text: str) -> bool:
    """True for "Contents" / "Table of contents"."""
    return bool(_CONTENTS_HEADING.match(text.strip()))


def is_contents_line(text: str) -> bool:
    """True for a contents entry: dot leaders, or a title ending in a page number.

    "4.2 Findings ........ 17" always counts; "Findings 17" (a tab or spaces before the
    number in the source) only counts when the text before the number is short and has
    no sentence punctuation, and callers only ask inside a contents page. Why: a
    contents page indexed as passages matches every query about every theme.
    """
    t = text.strip()
    if _LEADER.search(t) and re.search(r"\d{1,3}$|[ivxlc]$", t, re.IGNORECASE):
        return True
    m = _ENDS_PAGE_NO.search(t)
    if not m:
        return False
    head = t[: m.start()].strip()
    if not head or len(head.split()) > 16 or head.endswith((".", ",", ";")):
        return False
    if head.rsplit(None, 1)[-1].lower() in _OPEN_WORDS:
        return False  # "... the mother, father and 3": a number the sentence needs
    return any(c.isalpha() for c in head)


def is_contents_passage(text: str) -> bool:
    """True for a passage that is a run of contents entries ("1 Introduction .... 3 2
    Background .... 5"): two or more dot leaders each followed by a page number. Search
    never shows one: it would match every query about every theme."""
    return (
        len(re.findall(r"(?:(?:\.\s*){4,}|(?:\u2026\s*){2,})(?:\d{1,3}|[ivxlc]{1,6})\b", text)) >= 2
    )


# --------------------------------------------------------------------------- footnote markers
_SUPERSCRIPTS = "\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077\u2078\u2079"
_SUPER_RUN = re.compile(rf"\s?[{_SUPERSCRIPTS}]+")
# "concerns.12 The", "risk,3 and": digits glued after punctuation that follows a word.
_AFTER_PUNCT = re.compile(r"(?<=[a-z\)\]][.,;:!?\"')\]])(\d{1,3})(?=\s|$)")
# "risk3 " / "authorities4)": digits glued to the end of a known lower-case word.
_AFTER_WORD = re.compile(r"\b([A-Za-z]?[a-z]{2,})(\d{1,2})(?=[\s.,;:)\]]|$)")
# "... a social worker. 7" at the end of a line: a marker the text layer spaced out.
_LINE_END = re.compile(r"(?<=[a-z][.;:,]) \d{1,2}$")
_REF_WORDS = frozenset(
    [
        "para",
        "paras",
        "p",
        "pp",
        "no",
        "nos",
        "s",
        "ss",
        "fig",
        "figs",
        "vol",
        "ch",
        "chap",
        "art",
        "reg",
        "sec",
        "section",
        "page",
        "ref",
        "rec",
    ]
)
_KEEP_GLUED = {"covid", "mp", "ks", "key", "stage", "year", "level", "tier", "type"}


def strip_footnote_markers(text: str) -> tuple[str, int]:
    """Remove footnote reference markers; return the text and how many went.

    Why: a marker glued to a word ("risk3") hides the word from search, and one after a
    full stop ("concerns.12 The") reads as data. Only glued or superscript digits are
    removed, so "aged 3", "section 47", "in 2019" and "£1.8bn" are never touched.
    """
    count = 0
    if any(c in _SUPERSCRIPTS for c in text):
        text, n = _SUPER_RUN.subn("", text)
        count += n
    if not any(c.isdigit() for c in text):
        return text, count

    def punct_marker(m: re.Match[str]) -> str:
        nonlocal count
        before = text[max(0, m.start() - 12) : m.start() - 1].split()
        if before and before[-1].lower().lstrip("(") in _REF_WORDS:
            return m.group(0)  # "para.3", "No.4": a reference, not a marker
        count += 1
        return ""

    text = _AFTER_PUNCT.sub(punct_marker, text)

    def word_marker(m: re.Match[str]) -> str:
        nonlocal count
        word = m.group(1)
        if word.lower() in _KEEP_GLUED or (word.islower() and not is_known_word(word)):
            return m.group(0)  # a capitalised word is a name ("Hoover26"): always a marker
        count += 1
        return word

    text = _AFTER_WORD.sub(word_marker, text)
    text, n = _LINE_END.subn("", text)
    count += n
    return text, count


# --------------------------------------------------------------------------- hyphenation
# A second half that makes a real compound even when the joined form is also a word.
_COMPOUND_TAILS = frozenset(
    [
        "up",
        "down",
        "off",
        "based",
        "led",
        "term",
        "related",
        "making",
        "focused",
        "specific",
        "wide",
        "level",
        "aged",
        "owned",
        "known",
        "centred",
        "centered",
        "informed",
        "being",
        "like",
        "time",
    ]
)
# A first half that makes a hyphenated compound in British reports ("multi-agency",
# "inter-agency", "self-harm") unless the joined form is a common word ("crossover").
_COMPOUND_HEADS = frozenset(
    ["multi", "inter", "non", "cross", "self", "well", "half", "ex", "semi"]
)
_LINE_END_HYPHENS = ("-", "\u00ad", "\ufffe", "\x02")


def join_hyphenated(left: str, right: str) -> tuple[str, bool]:
    """Join ``left`` (ending in a hyphen) and the next line ``right``.

    Returns the joined text and whether a word was re-joined. "assess-" + "ment was"
    gives "assessment was" because "assessment" is a word; "multi-" + "agency" keeps
    "multi-agency" because "multiagency" is not; "follow-" + "up" keeps the hyphen
    because "up" makes a compound. Why: typesetters hyphenate at line ends and the
    fragments ("assess", "ment") would otherwise be indexed as words.
    """
    end = left.rstrip()
    soft = end.endswith(("\u00ad", "\ufffe", "\x02"))
    stem_text = end[:-1]
    m_left = re.search(r"([A-Za-z]+)$", stem_text)
    m_right = re.match(r"([A-Za-z]+)", right)
    if not m_left or not m_right:
        return stem_text + ("" if soft else "-") + right, False
    first, second = m_left.group(1), m_right.group(1)
    if soft:
        return stem_text + right, True
    joined = first + second
    if (
        second[0].isupper()
        or second.lower() in _COMPOUND_TAILS
        or not is_known_word(joined)
        or (stem_text[-len(first) - 1 : -len(first)] == "-")  # "mother-in-" + "law"
        or (first.lower() in _COMPOUND_HEADS and frequency(joined) < 10**-5.4)
    ):
        return stem_text + "-" + right, False
    return stem_text + right, True


def ends_with_hyphen_break(text: str) -> bool:
    """True when a line ends with a word broken by a hyphen ("assess-", not "- " or "2-")."""
    t = text.rstrip()
    return len(t) >= 3 and t.endswith(_LINE_END_HYPHENS) and t[-2].isalpha()


# --------------------------------------------------------------------------- run-together words
_TWO_LETTER = frozenset(
    [
        "of",
        "in",
        "to",
        "an",
        "as",
        "at",
        "be",
        "by",
        "do",
        "go",
        "he",
        "if",
        "is",
        "it",
        "me",
        "my",
        "no",
        "on",
        "or",
        "so",
        "up",
        "us",
        "we",
        "am",
    ]
)
_FRAGMENTS = frozenset(
    [
        "ed",
        "ly",
        "es",
        "ing",
        "er",
        "al",
        "ali",
        "sed",
        "ment",
        "tion",
        "ness",
        "ise",
        "ised",
        "ize",
        "ies",
        "ive",
        "ous",
        "ful",
        "ity",
    ]
)
_TOKEN = re.compile(r"(?<![\w@/.\-])([a-z]{6,})(?![\w@/\-]|\.[a-z])")
_CAMEL = re.compile(r"(?<![\w@/.\-])([A-Z]?[a-z]{3,})([A-Z][a-z]{2,})(?![\w@/\-])")
# Names written in one word with an inner capital: never split.
_CAMEL_NAMES = frozenset([
    "powerpoint", "youtube", "whatsapp", "facetime", "snapchat", "tiktok", "facebook",
    "linkedin", "sharepoint", "onedrive", "playstation", "liquidlogic", "systmone", "emisweb",
    "mosaic", "carefirst", "childview", "eclipse", "paris",
])  # fmt: skip
_MIN_PART_FREQUENCY = 10**-5.5  # parts of a split must be everyday words


def split_run_together(text: str) -> tuple[str, int]:
    """Insert the missing spaces in tokens like "theassessmentwas", "diedand" and
    "IntroductionPage"; return the text and how many tokens were split.

    A split is made only when every part is an everyday word and the parts together
    are far likelier than the token as one word, so a dictionary word ("antenatal",
    "safeguarding", "nonetheless") is never split, however it could be cut. Names and
    acronyms, numbers, URLs and e-mail addresses are never touched. Why: lossy text
    layers drop spaces, and a run-together token matches no query.
    """
    count = 0

    def fix(m: re.Match[str]) -> str:
        nonlocal count
        token = m.group(1)
        parts = _split_words(token)
        if parts is None:
            return token
        count += 1
        return " ".join(parts)

    def fix_camel(m: re.Match[str]) -> str:
        nonlocal count
        left, right = m.group(1), m.group(2)
        whole = left + right
        if whole.lower() in _CAMEL_NAMES or frequency(whole) > 0:
            return whole
        if len(left) < 4 or not is_known_word(left) or not is_known_word(right):
            return whole
        if frequency(left) < 1e-7 or frequency(right) < 1e-7:
            return whole
        count += 1
        return f"{left} {right}"

    text = _TOKEN.sub(fix, text)
    text = _CAMEL.sub(fix_camel, text)
    return text, count


def _split_words(token: str) -> list[str] | None:
    import wordninja

    whole = frequency(token)
    if whole > 0 and (is_known_word(token) and whole >= 1e-6 or len(token) < 6):
        return None  # a word in its own right
    if whole == 0 and is_known_word(token):
        return None  # a British spelling or inflection of a known word
    parts = wordninja.split(token)
    if len(parts) < 2 or "".join(parts) != token:
        return None
    together = 1.0
    for part in parts:
        if part in _FRAGMENTS:
            return None
        if len(part) == 1 and part not in ("a",):
            return None
        if len(part) == 2 and part not in _TWO_LETTER:
            return None
        f = frequency(part)
        if f < _MIN_PART_FREQUENCY:
            return None
        together *= f
    if together < whole * 1000:
        return None  # the token is likelier as one (rare) word than as these words
    return parts


# --------------------------------------------------------------------------- paragraph text
_SPACE_BEFORE_PUNCT = re.compile(r" +([,.;:!?)])(?=\s|$)")


def clean_line(text: str, stats: Counter[str] | None = None) -> str:
    """Line-level repairs: normalisation and footnote markers; counts go into ``stats``.

    Why per line: a marker the text layer spaced out ("a social worker. 7") can only be
    told from a number at the end of a line, before lines are joined.
    """
    text, n_foot = strip_footnote_markers(normalise_text(text))
    if n_foot and stats is not None:
        stats["footnote_markers"] += n_foot
    if "age" in text or "a g e" in text:
        text, n_marks = strip_inline_markers(text)
        if n_marks and stats is not None:
            stats["page_markers"] += n_marks
    return text


def clean_paragraph(text: str, stats: Counter[str] | None = None) -> str:
    """Text-level repairs for one rebuilt paragraph; counts go into ``stats``.

    Run-together words and stray spaces before punctuation. Why: these only show once
    lines are joined into a paragraph.
    """
    text, n_split = split_run_together(text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    if stats is not None and n_split:
        stats["run_together_split"] += n_split
    return text.strip()
