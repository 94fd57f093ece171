"""The theme taxonomy: data in ``taxonomy.yaml``, validated on load.

The coding frame (``shared/coding-frame.md``) fixes ids, names and definitions; the
taxonomy adds what a machine needs to find them: phrases, token patterns, exemplar
sentences and exclusions. A bad file fails with a message that names the theme and field.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from scrkb.errors import ConfigError

TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")

# spaCy Matcher token-pattern keys the taxonomy may use.
_PATTERN_KEYS = {
    "LEMMA",
    "LOWER",
    "POS",
    "TAG",
    "DEP",
    "ORTH",
    "OP",
    "IS_DIGIT",
    "LIKE_NUM",
    "TEXT",
}


class Theme(BaseModel):
    model_config = {"extra": "forbid"}

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    group: Literal["practice", "risk"]
    definition: str
    # The coding frame's "typical wording" column, verbatim: the plain keyword baseline the
    # tagger is measured against (``scrkb eval``), never used by the tagger itself.
    typical_wording: list[str] = Field(default_factory=list)
    # Multi-word phrases, matched on lemmas, case-insensitive ("did not meet the threshold").
    phrases: list[str] = Field(min_length=1)
    # Single words or phrases that count only with another signal from the same theme
    # (a second term, a strong phrase, or semantic support): "housing", "online".
    weak_terms: list[str] = Field(default_factory=list)
    # spaCy Matcher patterns, each a list of token dicts.
    patterns: list[list[dict[str, Any]]] = Field(default_factory=list)
    # Sentences written for the project that carry the theme, for the semantic stage.
    exemplars: list[str] = Field(min_length=5)
    # Phrases that veto a match in the same sentence (homonyms: "threshold of the flat").
    exclusions: list[str] = Field(default_factory=list)

    @field_validator("patterns")
    @classmethod
    def _check_patterns(cls, patterns: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        for pattern in patterns:
            if not pattern:
                raise ValueError("a token pattern must have at least one token")
            for token in pattern:
                unknown = set(token) - _PATTERN_KEYS
                if unknown:
                    raise ValueError(f"unknown token-pattern key(s) {sorted(unknown)}")
        return patterns


class Taxonomy(BaseModel):
    model_config = {"extra": "forbid"}

    version: str
    themes: list[Theme]

    @model_validator(mode="after")
    def _unique_ids(self) -> Taxonomy:
        seen: set[str] = set()
        for theme in self.themes:
            if theme.id in seen:
                raise ValueError(f"theme id {theme.id!r} appears twice")
            seen.add(theme.id)
        return self

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.themes]

    def get(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    path = path or TAXONOMY_PATH
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read taxonomy {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"taxonomy {path} is not valid YAML: {exc}") from exc
    try:
        return Taxonomy.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _describe_location(raw, first["loc"])
        raise ConfigError(
            f"taxonomy {path}: {where}: {first['msg']} ({exc.error_count()} problem(s) in all)"
        ) from exc


def _describe_location(raw: Any, loc: tuple[Any, ...]) -> str:
    """Name the theme by id rather than list index, so the message points at the fix."""
    parts: list[str] = []
    node = raw
    for key in loc:
        if parts == ["themes"] and isinstance(key, int) and isinstance(node, list):
            item = node[key] if key < len(node) else None
            theme_id = item.get("id") if isinstance(item, dict) else None
            parts.append(f"theme {theme_id!r}" if theme_id else f"theme #{key + 1}")
        else:
            parts.append(str(key))
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
    return " > ".join(parts) or "top level"


def render_markdown(taxonomy: Taxonomy) -> str:
    """The themes reference page (docs/themes.md): ids, names and definitions for people."""
    lines = [
        "# Themes",
        "",
        "The themes scrkb tags, from the shared coding frame (`nlp/taxonomy.yaml`, version "
        f"{taxonomy.version}). Use the id in `scrkb search --theme ID`, `/api/search?theme=ID` "
        "and `/themes/ID`. This page is generated from the taxonomy; a test keeps it in step.",
        "",
    ]
    for group, title in (
        ("practice", "Practice and system themes"),
        ("risk", "Risk and harm themes"),
    ):
        lines += [f"## {title}", "", "| id | name | definition |", "|---|---|---|"]
        lines += [
            f"| `{t.id}` | {t.name} | {t.definition} |" for t in taxonomy.themes if t.group == group
        ]
        lines.append("")
    return "\n".join(lines)


@lru_cache
def default_taxonomy() -> Taxonomy:
    return load_taxonomy()


def theme_names() -> dict[str, str]:
    """Theme id -> display name. A broken taxonomy gives {} here (search and pages keep
    working, showing ids prettified); ``default_taxonomy()`` itself says what is wrong."""
    try:
        return {t.id: t.name for t in default_taxonomy().themes}
    except ConfigError:
        return {}


def theme_name(theme_id: str, names: dict[str, str] | None = None) -> str:
    """The one place a theme id becomes a name: the taxonomy's, else the id prettified."""
    names = theme_names() if names is None else names
    return names.get(theme_id) or theme_id.replace("_", " ").capitalize()
