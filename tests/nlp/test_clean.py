"""Text-level cleaning: each artefact repaired, real text left alone."""

from __future__ import annotations

import pytest

from scrkb.nlp import clean


@pytest.mark.parametrize(
    ("left", "right", "expected", "rejoined"),
    [
        ("the assess-", "ment was", "the assessment was", True),
        ("organi-", "sation", "organisation", True),
        ("safe-", "guarding", "safeguarding", True),
        ("a multi-", "agency meeting", "a multi-agency meeting", False),
        ("non-", "accidental", "non-accidental", False),
        ("the pre-", "birth plan", "the pre-birth plan", False),
        ("a follow-", "up visit", "a follow-up visit", False),
        ("long-", "term", "long-term", False),
        ("mid-", "March", "mid-March", False),
        ("recog\u00ad", "nised", "recognised", True),  # a soft hyphen always re-joins
        ("mother-in-", "law", "mother-in-law", False),
    ],
)
def test_clean_join_hyphenated(left: str, right: str, expected: str, rejoined: bool) -> None:
    assert clean.join_hyphenated(left, right) == (expected, rejoined)


@pytest.mark.parametrize(
    ("text", "expected", "count"),
    [
        ("raised concerns.12 The family", "raised concerns. The family", 1),
        ("the risk3 of harm", "the risk of harm", 1),
        ("the vision\u00b9 in the review", "the vision in the review", 1),
        ("local authorities4) and", "local authorities) and", 1),
        ("noted by Dr Hoover26 at the time", "noted by Dr Hoover at the time", 1),
        ("needed a social worker. 7", "needed a social worker.", 1),
        ("aged 3 and seen under section 47 in 2019", "aged 3 and seen under section 47 in 2019", 0),
        ("£1.8bn spent at 3.30pm", "£1.8bn spent at 3.30pm", 0),
        ("see para.3 of the report", "see para.3 of the report", 0),
        ("the Covid19 rules", "the Covid19 rules", 0),
    ],
)
def test_clean_strip_footnote_markers(text: str, expected: str, count: int) -> None:
    assert clean.strip_footnote_markers(text) == (expected, count)


@pytest.mark.parametrize(
    ("text", "expected", "count"),
    [
        ("theassessmentwas completed", "the assessment was completed", 1),
        ("the healthvisitorvisited the home", "the health visitor visited the home", 1),
        ("themotherreported a fall", "the mother reported a fall", 1),
        ("an organisationally complex case", "an organisationally complex case", 0),
        ("Ravenscroftington said", "Ravenscroftington said", 0),
        ("see www.example.org/rootcauseanalysis", "see www.example.org/rootcauseanalysis", 0),
        ("mail reviews@partnership.example.org", "mail reviews@partnership.example.org", 0),
        ("the MASHreferralwas", "the MASHreferralwas", 0),
        ("an OCR misread safequard", "an OCR misread safequard", 0),
    ],
)
def test_clean_split_run_together(text: str, expected: str, count: int) -> None:
    assert clean.split_run_together(text) == (expected, count)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\u2022 first item", (True, "first item")),
        ("\u25aa  second item", (True, "second item")),
        ("e to prevent further harm;", (True, "to prevent further harm;")),
        ("\u00ae  Dbecause they are disabled.", (True, "because they are disabled.")),
        ("\uf0b7 a Symbol-font bullet", (True, "a Symbol-font bullet")),
        ("\u2022 \u25cf", (True, "")),
        ("every day", (False, "every day")),
        ("Emma was seen", (False, "Emma was seen")),
    ],
)
def test_clean_strip_bullet(text: str, expected: tuple[bool, str]) -> None:
    assert clean.strip_bullet(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", True),
        ("Page 3 of 40", True),
        ("page 7", True),
        ("- 3 -", True),
        ("3 | Page", True),
        ("xiv", True),
        ("mix", False),
        ("12 May", False),
        ("Section 4", False),
    ],
)
def test_clean_is_page_number(text: str, expected: bool) -> None:
    assert clean.is_page_number(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4.2 Findings ........................ 17", True),
        ("Appendix 1: Glossary . . . . . 41", True),
        ("Terms of reference 6", True),
        ("The family moved to the area in 2019.", False),
        ("She was seen on 12", False),  # a sentence needs its number
        ("The mother, father, and 3", False),
    ],
)
def test_clean_is_contents_line(text: str, expected: bool) -> None:
    assert clean.is_contents_line(text) is expected


def test_clean_normalise_text_folds_typography() -> None:
    raw = "The \ufb01rst of\ufb02ine \u201cvisit\u201d\u00a0was  the child\u2019s\u00ad"
    assert clean.normalise_text(raw) == 'The first offline "visit" was the child\'s'


def test_clean_fold_line_ignores_numbers_and_case() -> None:
    assert clean.fold_line("Child J SCR | Page 4 of 40") == clean.fold_line(
        "CHILD J SCR | page 12 of 40"
    )


def test_clean_find_running_lines_needs_repeats() -> None:
    pages = [
        ["Serious Case Review: Child J", f"{n}.1 Text of page {n}.", f"Page {n} of 4"]
        for n in range(1, 5)
    ]
    pages[0][0] = "Title page"
    bands = [[0, 2]] * 4
    found = clean.find_running_lines(pages, bands)
    assert found == {(1, 0), (2, 0), (3, 0), (0, 2), (1, 2), (2, 2), (3, 2)}


@pytest.mark.parametrize("word", ["assessment", "organisation", "recognised", "safeguarding"])
def test_clean_is_known_word(word: str) -> None:
    assert clean.is_known_word(word)
