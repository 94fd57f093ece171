"""The theme tagger: which coding-frame themes a passage carries, how sure, and why.

One learned model over three views of a passage, then the coding frame's hard rules:

1. **Meaning**: the passage's MiniLM vector (the one the index already stores, so tagging
   at ingest costs no second encoding), which finds paraphrases with none of the
   keywords ("nobody asked the boy what home was like").
2. **Wording**: TF-IDF over lemma unigrams and bigrams, which learns the wider
   vocabulary of each theme and keeps several themes apart in a dense précis.
3. **Rules** (``nlp/rules.py``): per-theme phrase and pattern matches from the taxonomy,
   with negation, hypotheticals and homonyms already removed.

The three are fitted together, one multi-label model (``nlp/train.py``), on passages from
several independent writers; the decision threshold of each theme is chosen on writers
the model was not fitted to, so it holds for a new writer rather than for the training
text, then lowered by a factor chosen on real published text, which the model scores less
confidently than any writer's (``TrainConfig.threshold_scale``). Then the **hard vetoes**
of the coding frame bind whatever the model says: a theme mentioned only in negated or
ruled-out form is not carried, and nothing is carried by a contents list, terms of
reference, glossary or methodology (by section or by how the text reads).

Every tag keeps its **evidence**: the sentence with the rule match, or else the sentence
whose words contribute most to the theme's score, and the model's confidence.

Weights: ``nlp/models/themes.npz`` (plain arrays, built by ``scrkb train-tagger``).
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from scrkb.models import Passage, Recommendation, ThemeTag
from scrkb.nlp.rules import (
    PARALLEL_MIN_TEXTS,
    SUPPRESSED_SECTIONS,
    PassageAnalysis,
    RuleStage,
)
from scrkb.nlp.taxonomy import Taxonomy, default_taxonomy

__all__ = [
    "MODEL_PATH",
    "PARALLEL_MIN_TEXTS",
    "RULE_FEATURES",
    "VETO_CAP",
    "LexicalVectoriser",
    "Tagger",
    "TaggerModel",
    "get_tagger",
    "rule_features",
]

log = logging.getLogger(__name__)

TAGGER_VERSION = "scrkb.themes.v2"
MODEL_PATH = Path(__file__).with_name("models") / "themes.npz"
MAX_CHARS = 20000  # longer inputs are tagged on their first MAX_CHARS characters
VETO_CAP = 0.05  # a vetoed theme's confidence is capped here, below every threshold

# Per passage and theme, what the rule stage saw (theme-specific weights in the model).
RULE_FEATURES = ["strong_any", "strong", "weak", "negated_only"]

_WORD = re.compile(r"(?u)\b\w\w+\b")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def rule_features(analyses: list[PassageAnalysis], theme_ids: list[str]) -> np.ndarray:
    """(n, n_themes, len(RULE_FEATURES)) from the rule analyses."""
    out = np.zeros((len(analyses), len(theme_ids), len(RULE_FEATURES)), dtype=np.float32)
    column = {theme: j for j, theme in enumerate(theme_ids)}
    for i, analysis in enumerate(analyses):
        for theme, hit in analysis.hits.items():
            j = column.get(theme)
            if j is None:
                continue
            out[i, j] = (
                1.0 if hit.strong else 0.0,
                min(hit.strong, 3) / 3,
                min(hit.weak, 3) / 3,
                1.0 if hit.negated and not hit.strong and not hit.weak else 0.0,
            )
    return out


class LexicalVectoriser:
    """TF-IDF over lemma unigrams and bigrams (sublinear tf, l2 rows), as plain arrays.

    The transform of scikit-learn's ``TfidfVectorizer(ngram_range=(1, 2),
    sublinear_tf=True, lowercase=False)``, kept as a vocabulary and an idf vector so the
    shipped model is arrays, not a pickle.
    """

    def __init__(self, vocabulary: list[str], idf: np.ndarray) -> None:
        self.vocabulary = vocabulary
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = idf.astype(np.float32)

    def _row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        words = _WORD.findall(text)
        counts: dict[int, int] = {}
        for gram in (*words, *(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))):
            j = self.index.get(gram)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        cols = np.fromiter(counts, dtype=np.int64)
        vals = (1 + np.log(np.fromiter(counts.values(), dtype=np.float32))) * self.idf[cols]
        return cols, (vals / np.linalg.norm(vals)).astype(np.float32)

    def transform(self, lemma_texts: list[str]):  # noqa: ANN201 - scipy.sparse.csr_matrix
        from scipy.sparse import csr_matrix

        indptr, indices, data = [0], [], []
        for text in lemma_texts:
            cols, vals = self._row(text)
            indices.append(cols)
            data.append(vals)
            indptr.append(indptr[-1] + len(cols))
        return csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0, dtype=np.float32),
                np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64),
                np.array(indptr),
            ),
            shape=(len(lemma_texts), len(self.vocabulary)),
        )


@dataclass
class TaggerModel:
    """What training produced: one multi-label model over vector, wording and rules."""

    theme_ids: list[str]
    vocabulary: list[str]
    idf: np.ndarray  # (vocab,)
    w_dense: np.ndarray  # (384 or hidden, n_themes)
    w_lexical: np.ndarray  # (vocab, n_themes)
    w_rules: np.ndarray  # (n_themes, len(RULE_FEATURES))
    bias: np.ndarray  # (n_themes,)
    thresholds: np.ndarray  # (n_themes,)
    info: dict = field(default_factory=dict)
    w_hidden: np.ndarray | None = None  # (384, hidden): a ReLU layer on the vector, if used
    b_hidden: np.ndarray | None = None
    # The "carries any theme at all" gate, trained with the themes: below its threshold a
    # passage carries no theme (contents, methodology, background that only names topics).
    g_dense: np.ndarray | None = None  # (384 or hidden,)
    g_lexical: np.ndarray | None = None  # (vocab,)
    g_bias: float = 0.0
    gate_threshold: float | None = None

    def logits(self, vectors: np.ndarray, lexical, rules: np.ndarray) -> np.ndarray:  # noqa: ANN001
        h = vectors
        if self.w_hidden is not None and self.b_hidden is not None:
            h = np.maximum(vectors @ self.w_hidden + self.b_hidden, 0.0)
        z = h @ self.w_dense + np.asarray(lexical @ self.w_lexical) + self.bias
        return z + (rules * self.w_rules[None, :, :]).sum(axis=2)

    def gate_probability(self, vectors: np.ndarray, lexical) -> np.ndarray | None:  # noqa: ANN001
        """(n,) probability that each passage carries any theme, or None without a gate."""
        if self.g_dense is None or self.g_lexical is None:
            return None
        h = vectors
        if self.w_hidden is not None and self.b_hidden is not None:
            h = np.maximum(vectors @ self.w_hidden + self.b_hidden, 0.0)
        return _sigmoid(
            h @ self.g_dense + np.asarray(lexical @ self.g_lexical).ravel() + self.g_bias
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        extra = {}
        if self.w_hidden is not None and self.b_hidden is not None:
            extra = {
                "w_hidden": self.w_hidden.astype(np.float32),
                "b_hidden": self.b_hidden.astype(np.float32),
            }
        if (
            self.g_dense is not None
            and self.g_lexical is not None
            and self.gate_threshold is not None
        ):
            extra |= {
                "g_dense": self.g_dense.astype(np.float32),
                "g_lexical": self.g_lexical.astype(np.float16),
                "g_bias": np.float32(self.g_bias),
                "gate_threshold": np.float32(self.gate_threshold),
            }
        np.savez_compressed(
            path,
            theme_ids=np.array(self.theme_ids),
            vocabulary=np.array(self.vocabulary),
            idf=self.idf.astype(np.float32),
            w_dense=self.w_dense.astype(np.float32),
            w_lexical=self.w_lexical.astype(np.float16),  # 8 MB → 4: precision to spare
            w_rules=self.w_rules.astype(np.float32),
            bias=self.bias.astype(np.float32),
            thresholds=self.thresholds.astype(np.float32),
            info=np.array(json.dumps(self.info)),
            **extra,
        )

    @classmethod
    def load(cls, path: Path) -> TaggerModel:
        data = np.load(path, allow_pickle=False)
        return cls(
            theme_ids=[str(x) for x in data["theme_ids"]],
            vocabulary=[str(x) for x in data["vocabulary"]],
            idf=data["idf"],
            w_dense=data["w_dense"],
            w_lexical=data["w_lexical"].astype(np.float32),
            w_rules=data["w_rules"],
            bias=data["bias"],
            thresholds=data["thresholds"],
            info=json.loads(str(data["info"])),
            w_hidden=data["w_hidden"] if "w_hidden" in data.files else None,
            b_hidden=data["b_hidden"] if "b_hidden" in data.files else None,
            g_dense=data["g_dense"] if "g_dense" in data.files else None,
            g_lexical=data["g_lexical"].astype(np.float32) if "g_lexical" in data.files else None,
            g_bias=float(data["g_bias"]) if "g_bias" in data.files else 0.0,
            gate_threshold=float(data["gate_threshold"])
            if "gate_threshold" in data.files
            else None,
        )


def apply_gate(probs: np.ndarray, gate: np.ndarray | None, threshold: float | None) -> np.ndarray:
    """Passages the gate says carry no theme keep none (confidences capped like a veto).

    Why a gate as well as per-theme thresholds: on writers the model never saw, a third of
    the passages that carry no theme (contents, method, policy background naming topics)
    crossed some theme's threshold; one "any theme?" decision, trained with the themes,
    removes most of them for less recall than raising every threshold would cost.
    """
    if gate is None or threshold is None:
        return probs
    out = probs.copy()
    out[gate < threshold] = np.minimum(out[gate < threshold], VETO_CAP)
    return out


def apply_vetoes(
    probs: np.ndarray,
    rules: np.ndarray,
    analyses: list[PassageAnalysis],
    sections: list[str | None],
) -> np.ndarray:
    """The coding frame's hard rules, whatever the model says.

    A theme mentioned only in negated or ruled-out form is not carried ("there was no
    evidence of domestic abuse"); nothing is carried in contents, terms of reference,
    glossary or methodology sections, or by text that reads as one of them.
    """
    out = probs.copy()
    negated = rules[..., RULE_FEATURES.index("negated_only")] > 0
    out[negated] = np.minimum(out[negated], VETO_CAP)
    for i, (analysis, section) in enumerate(zip(analyses, sections, strict=True)):
        if analysis.passing or section in SUPPRESSED_SECTIONS:
            out[i] = np.minimum(out[i], VETO_CAP)
    return out


class Tagger:
    """Tags passages; load once (spaCy, trained weights, the embedder lazily) and reuse."""

    def __init__(
        self, taxonomy: Taxonomy | None = None, model_path: Path | None = MODEL_PATH, embedder=None
    ) -> None:  # noqa: ANN001
        self.taxonomy = taxonomy or default_taxonomy()
        self.theme_ids = self.taxonomy.ids
        self.rules = RuleStage(self.taxonomy)
        self._embedder = embedder
        self.model: TaggerModel | None = None
        self.lexical: LexicalVectoriser | None = None
        if model_path is not None:
            self.use_model(self._load_model(Path(model_path)))

    def use_model(self, model: TaggerModel | None) -> None:
        """Tag with ``model`` (None: rules alone)."""
        self.model = model
        self.lexical = None if model is None else LexicalVectoriser(model.vocabulary, model.idf)

    def _load_model(self, path: Path) -> TaggerModel | None:
        """The trained model, or None (with the reason logged): rules alone then tag."""
        if not path.exists():
            log.warning(
                "no tagger model at %s: tagging by rules alone; run `scrkb train-tagger`", path
            )
            return None
        try:
            return self.read_model(path)
        except ValueError as exc:
            log.warning("%s; retrain it with `scrkb train-tagger`", exc)
            return None

    def read_model(self, path: Path) -> TaggerModel:
        """The weights at ``path``, checked against this tagger's themes and rule features;
        a ValueError saying what is wrong with a damaged or foreign file."""
        try:
            model = TaggerModel.load(path)
        except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(
                f"{path} cannot be read as a tagger model ({type(exc).__name__}: {exc})"
            ) from exc
        if model.theme_ids != self.theme_ids or model.w_rules.shape[1] != len(RULE_FEATURES):
            raise ValueError(f"{path} was trained on other themes or features")
        return model

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
        """(n, n_themes) confidences after the vetoes, and the rule analyses (evidence)."""
        texts = [t[:MAX_CHARS] for t in texts]
        sections = sections or [None] * len(texts)
        analyses = self.rules.analyse_docs(texts, sections, processes=processes)
        rules = rule_features(analyses, self.theme_ids)
        if self.model is None or self.lexical is None:
            # No trained model: a strong, non-negated rule match is the only evidence.
            probs = np.where(rules[..., 0] > 0, 0.6, 0.0).astype(np.float32)
        else:
            if vectors is None:
                vectors = self.embedder.encode(texts)
            lexical = self.lexical.transform([a.lemmas for a in analyses])
            probs = _sigmoid(self.model.logits(vectors, lexical, rules))
            probs = apply_gate(
                probs, self.model.gate_probability(vectors, lexical), self.model.gate_threshold
            )
        return apply_vetoes(probs, rules, analyses, sections), analyses

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
        """Themes above their decision threshold for each text, strongest first.

        ``processes=2`` parses large batches on both cores (batch jobs only: not inside a
        server, where forking a process that holds model threads is asking for trouble).
        """
        if not texts:
            return []
        probs, analyses = self.score(texts, vectors, sections, processes=processes)
        thresholds = self.thresholds()
        out: list[list[ThemeTag]] = []
        for i, text in enumerate(texts):
            text = text[:MAX_CHARS]
            tags: list[ThemeTag] = []
            sentence_terms: dict = {}  # the passage's per-sentence TF-IDF, built at most once
            for j in np.argsort(-probs[i]):
                if probs[i, j] < thresholds[j]:
                    continue
                theme = self.theme_ids[j]
                (start, end), stage = self._evidence(analyses[i], theme, j, sentence_terms)
                tags.append(
                    ThemeTag(
                        theme_id=theme,
                        confidence=round(float(probs[i, j]), 4),
                        evidence=text[start:end].strip(),
                        start=start,
                        end=end,
                        stage=stage,
                    )
                )
            out.append(tags)
        return out

    def _evidence(
        self, analysis: PassageAnalysis, theme: str, j: int, sentence_terms: dict
    ) -> tuple[tuple[int, int], str]:
        """The sentence that triggered the tag: a rule match, else the model's best sentence.

        ``sentence_terms`` caches the passage's per-sentence TF-IDF across its tags.
        """
        hit = analysis.hits.get(theme)
        if hit is not None and hit.evidence is not None:
            return hit.evidence, "rules+model"
        sentences = analysis.sentences or [(0, 0)]
        if self.model is None or self.lexical is None or len(sentences) == 1:
            return sentences[0], "model"
        if "matrix" not in sentence_terms:
            sentence_terms["matrix"] = self.lexical.transform(analysis.sentence_lemmas)
        contribution = np.asarray(sentence_terms["matrix"] @ self.model.w_lexical[:, j]).ravel()
        return sentences[int(np.argmax(contribution))], "model"

    def tag_passages(
        self, passages: list[Passage], vectors: np.ndarray | None, *, processes: int = 1
    ) -> list[Passage]:
        tags = self.tag_texts(
            [p.text for p in passages],
            vectors,
            [p.section_kind for p in passages],
            processes=processes,
        )
        return [p.model_copy(update={"themes": t}) for p, t in zip(passages, tags, strict=True)]

    def tag_recommendations(self, recommendations: list[Recommendation]) -> None:
        tags = self.tag_texts([r.text for r in recommendations])
        for rec, rec_tags in zip(recommendations, tags, strict=True):
            rec.themes = [t.theme_id for t in rec_tags]


@lru_cache(maxsize=1)
def get_tagger() -> Tagger:
    return Tagger()
