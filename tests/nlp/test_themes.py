"""The theme tagger on the coding frame's hard cases, with the real spaCy and MiniLM models."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from scrkb.errors import ConfigError
from scrkb.nlp.taxonomy import load_taxonomy
from scrkb.nlp.themes import get_tagger

# The coding frame's ids (shared/coding-frame.md): the taxonomy must carry every one.
CODING_FRAME_IDS = [
    "threshold_disputes",
    "information_sharing",
    "missed_health_presentations",
    "unseen_child",
    "voice_of_child",
    "was_not_brought",
    "professional_curiosity",
    "escalation_challenge",
    "disguised_compliance",
    "history_cumulative",
    "drift_delay",
    "assessment_quality",
    "unseen_men",
    "multi_agency_working",
    "supervision_workload",
    "recording",
    "case_transfer",
    "family_concerns_ignored",
    "domestic_abuse",
    "parental_mental_health",
    "parental_substance_misuse",
    "neglect",
    "non_mobile_injury",
    "sudi_safe_sleep",
    "criminal_exploitation",
    "sexual_exploitation",
    "intrafamilial_sexual_abuse",
    "missing_episodes",
    "education_attendance",
    "self_harm_suicide",
    "fabricated_induced_illness",
    "disability_health_needs",
    "race_culture_identity",
    "pre_birth_pregnancy",
    "poverty_housing",
]

SHARED_FRAME = Path(__file__).resolve().parents[3] / "shared" / "coding-frame.md"


def test_themes_taxonomy_covers_the_coding_frame():
    assert set(CODING_FRAME_IDS) <= set(load_taxonomy().ids)


@pytest.mark.skipif(not SHARED_FRAME.exists(), reason="../shared not beside the checkout")
def test_themes_taxonomy_matches_coding_frame_text():
    rows = [
        line.split("|")
        for line in SHARED_FRAME.read_text().splitlines()
        if line.startswith("| ") and not line.startswith("| id")
    ]
    frame = {r[1].strip(): (r[2].strip(), r[3].strip()) for r in rows if len(r) > 4}
    taxonomy = load_taxonomy()
    for theme_id, (name, definition) in frame.items():
        theme = taxonomy.get(theme_id)
        assert (theme.name, theme.definition) == (name, definition)


def test_themes_bad_taxonomy_names_the_theme(tmp_path):
    raw = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "nlp" / "taxonomy.yaml").read_text()
    )
    raw["themes"][3]["exemplars"] = ["only one"]
    bad = tmp_path / "taxonomy.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=r"theme 'unseen_child' > exemplars"):
        load_taxonomy(bad)
    bad.write_text("themes: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_taxonomy(bad)


@pytest.fixture(scope="module")
def tagger():
    return get_tagger()


def _ids(tagger, text: str, section: str | None = None) -> set[str]:
    return {t.theme_id for t in tagger.tag_texts([text], sections=[section])[0]}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("There was no evidence of domestic abuse in the household.", "domestic_abuse"),
        (
            "No concerns about the mother's mental health were known to any agency.",
            "parental_mental_health",
        ),
        (
            "Parental substance misuse was considered by the panel and ruled out.",
            "parental_substance_misuse",
        ),
        (
            "No concerns were raised about the mother's mental health during the pregnancy.",
            "parental_mental_health",
        ),
        (
            "At no point was there any suggestion of drug or alcohol misuse by either parent.",
            "parental_substance_misuse",
        ),
        (
            "The health visitor waited at the threshold of the flat while the mother found the red "
            "book, and they talked about feeding.",
            "threshold_disputes",
        ),
        (
            "The family shared a house with the paternal grandmother, who helped with the school "
            "run.",
            "information_sharing",
        ),
    ],
)
def test_themes_negated_and_homonym_mentions_are_not_tagged(tagger, text, theme):
    assert theme not in _ids(tagger, text)


@pytest.mark.slow
def test_themes_passing_mentions_in_scope_sections_are_not_tagged(tagger):
    tor = (
        "The review considered the following key lines of enquiry: information sharing "
        "between agencies; the application of thresholds; domestic abuse; neglect; and the "
        "voice of the child."
    )
    assert _ids(tagger, tor, "terms_of_reference") == set()
    assert _ids(tagger, tor) == set()  # no heading: the text itself reads as a scope list
    contents = "4.3 Information sharing ........ 22\n4.4 Neglect and home conditions ........ 24"
    assert _ids(tagger, contents) == set()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "theme"),
    [
        # paraphrase: none of the typical wording
        (
            "On each of the four home visits the social worker spoke to the mother on the "
            "doorstep, and the children were said to be asleep upstairs.",
            "unseen_child",
        ),
        (
            "The school's referral about bruising on her arm was judged not to meet the threshold "
            "for a strategy discussion, and the case was closed with no further action.",
            "threshold_disputes",
        ),
        (
            "The baby was seven weeks old and not yet rolling when the bruise to his ear was seen; "
            "the bruising protocol required a paediatric assessment that did not happen.",
            "non_mobile_injury",
        ),
        (
            "The police attended the address three times after reports that the father had "
            "assaulted the mother, and the case was heard at MARAC.",
            "domestic_abuse",
        ),
    ],
)
def test_themes_substantive_passages_are_tagged_with_evidence(tagger, text, theme):
    tags = {t.theme_id: t for t in tagger.tag_texts([text])[0]}
    assert theme in tags
    tag = tags[theme]
    assert 0.0 <= tag.confidence <= 1.0
    assert text[tag.start : tag.end].strip() == tag.evidence


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "%%%% $$$ ### !!! ***",
        "Le père n'a jamais été évalué par les services sociaux.",
        "\x00\x01 binary-ish \ufffd text",
    ],
)
def test_themes_odd_input_gives_a_result_not_a_crash(tagger, text):
    tags = tagger.tag_texts([text])[0]
    assert isinstance(tags, list)
    assert not {t.theme_id for t in tags} & {"domestic_abuse", "neglect"}


@pytest.mark.slow
def test_themes_very_long_text_is_bounded(tagger):
    text = "The social worker visited the family and discussed the plan with the mother. " * 8000
    start = time.perf_counter()
    tags = tagger.tag_texts([text])[0]
    assert time.perf_counter() - start < 30
    assert [t for t in tags if t.end > len(text)] == []  # no tag at all is a fine answer too


@pytest.mark.slow
def test_themes_parallel_parsing_gives_identical_tags(tagger):
    from scrkb.nlp.themes import PARALLEL_MIN_TEXTS

    base = [
        "The mother's new partner was never seen or assessed by any agency.",
        "There was no evidence of domestic abuse in the household.",
        "Three health appointments were missed and the child was discharged from the clinic.",
    ]
    texts = [f"{i}. {base[i % 3]}" for i in range(PARALLEL_MIN_TEXTS + 10)]
    one = tagger.tag_texts(texts)
    two = tagger.tag_texts(texts, processes=2)
    assert [[(t.theme_id, t.start, t.end) for t in tags] for tags in two] == [
        [(t.theme_id, t.start, t.end) for t in tags] for tags in one
    ]
    assert any(tags for tags in one)


@pytest.mark.slow
def test_themes_trained_model_is_loaded_and_vetoes_bind(tagger):
    from scrkb.nlp.themes import VETO_CAP

    assert tagger.model is not None, "nlp/models/themes.npz missing or stale: scrkb train-tagger"
    assert tagger.lexical is not None
    # a vetoed theme can never clear any theme's decision threshold
    assert float(tagger.thresholds().min()) > VETO_CAP


@pytest.mark.slow
def test_themes_contents_list_without_page_numbers_carries_nothing(tagger):
    contents = (
        "Introduction\nWhy this review was carried out\nThe family\nKey practice episodes\n"
        "Finding 1: Bruising in a baby who could not crawl\nFinding 2: The mother's new "
        "partner\nFinding 3: Missed health appointments\nRecommendations\nGlossary"
    )
    assert _ids(tagger, contents) == set()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "theme"),
    [
        (
            "There had been no previous concerns about the care of Baby D before the admission.",
            "neglect",
        ),
        (
            "No agency had any record of drug or alcohol use by either parent.",
            "parental_substance_misuse",
        ),
    ],
)
def test_themes_ruled_out_concerns_are_not_tagged(tagger, text, theme):
    assert theme not in _ids(tagger, text)


@pytest.mark.slow
def test_themes_dense_precis_keeps_its_several_themes(tagger):
    # Fictional, in the style of a library's case-review update entry.
    text = (
        "2021 – Westbray – Child F. Death of a 9-week-old boy from head injuries; his "
        "father was convicted of manslaughter. Learning themes include: the father's role "
        "and history were never explored by health visitors or midwives; bruising to a "
        "non-mobile baby was not referred under the bruising protocol; the mother's "
        "postnatal depression was treated without thought to the baby's safety; "
        "information held by police about domestic abuse was not shared with health."
    )
    found = _ids(tagger, text)
    expected = {
        "unseen_men",
        "non_mobile_injury",
        "parental_mental_health",
        "domestic_abuse",
        "information_sharing",
    }
    assert len(found & expected) >= 4, found


@pytest.mark.slow
def test_themes_untagged_evidence_points_at_the_sentence_that_carries_the_theme(tagger):
    text = (
        "Over two years the school made four referrals. Nobody ever asked the boy what life "
        "at home was like or spoke to him away from his father."
    )
    tags = {t.theme_id: t for t in tagger.tag_texts([text])[0]}
    assert "voice_of_child" in tags
    assert "asked the boy" in tags["voice_of_child"].evidence


@pytest.mark.slow
def test_themes_pattern_prefilter_finds_every_match_one_matcher_finds(tagger):
    """The rule stage runs a theme's token patterns only where their required words occur;
    on the labelled passages of every writer it must find exactly what one Matcher of all
    the patterns finds."""
    import json

    from spacy.matcher import Matcher

    stage = tagger.rules
    whole = Matcher(stage.nlp.vocab)
    for theme in tagger.taxonomy.themes:
        if theme.patterns:
            whole.add(theme.id, theme.patterns)
    gold = Path(__file__).parents[2] / "samples" / "gold" / "writers"
    texts = [
        json.loads(line)["text"]
        for path in sorted(gold.glob("w*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()[:150]
    ]
    matched = 0
    for doc in stage.nlp.pipe(texts):
        ours = sorted(stage._pattern_matches(doc))
        assert ours == sorted(whole(doc)), doc.text[:80]
        matched += bool(ours)
    assert matched > len(texts) // 10  # the comparison saw many real matches


# Fictional sentences; each pattern below matches at least one of them.
_SENTENCES = [
    "The referral was not accepted by the front door.",
    "The referral was accepted the same day.",
    "The social worker escalated it to managers.",
    "The referral was screened out twice in March.",
    "Referrals were rejected, rejected and rejected again.",
    "She escalated it to managers; nobody escalated it further.",
    "The Health Visitor saw baby Q at home.",
    "Concerns about neglect were raised 3 times.",
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "pattern",
    [
        [{"LEMMA": "referral"}, {"LEMMA": "be"}, {"LOWER": "not", "OP": "?"}, {"LEMMA": "accept"}],
        [{"LOWER": "screened"}, {"LOWER": "out"}, {"OP": "*"}, {"LIKE_NUM": True, "OP": "?"}],
        [
            {"LEMMA": "reject"},
            {"IS_PUNCT": True, "OP": "?"},
            {"LOWER": {"IN": ["rejected", "and"]}, "OP": "+"},
        ],
        [{"LEMMA": "escalate"}, {"LOWER": "the", "OP": "!"}, {"LOWER": "to"}, {"LEMMA": "manager"}],
        [{"LOWER": "nobody", "OP": "!"}, {"LEMMA": "escalate"}],
        [{"ORTH": "Health"}, {"TEXT": "Visitor"}],
        [{"LEMMA": {"IN": ["concern", "worry"]}}, {"OP": "{1,5}"}, {"LIKE_NUM": True}],
        [{"LEMMA": "raise"}, {"LIKE_NUM": True, "OP": "{1}"}, {"LOWER": {"REGEX": "^time"}}],
        [{"LOWER": {"NOT_IN": ["a", "the"]}}, {"LEMMA": "baby"}],
    ],
)
def test_themes_pattern_prefilter_never_skips_a_pattern_that_matches(tagger, pattern):
    """Every operator and constraint form: where spaCy's Matcher matches the pattern, the
    prefilter must have let it run; where the prefilter skips, there is nothing to find."""
    from spacy.matcher import Matcher

    from scrkb.nlp.rules import ThemePatterns, required_values

    matcher = Matcher(tagger.rules.nlp.vocab)
    matcher.add("t", [pattern])
    theme = ThemePatterns(matcher, (required_values(pattern),))
    found = 0
    for doc in tagger.rules.nlp.pipe(_SENTENCES):
        words = {
            "LEMMA": {t.lemma_ for t in doc},
            "LOWER": {t.lower_ for t in doc},
            "ORTH": {t.orth_ for t in doc},
        }
        if matcher(doc):
            found += 1
            assert theme.possible(words), doc.text
    assert found  # the pattern is real: it matched somewhere
    assert not theme.possible({"LEMMA": set(), "LOWER": set(), "ORTH": set()}) or not any(
        required_values(pattern)
    )
