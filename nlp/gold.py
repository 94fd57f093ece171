"""The labelled passages the tagger is trained and measured on, grouped by writer.

Two sources, both fictional (see ``samples/gold/README.md``):

- ``samples/gold/*.jsonl``: 1,265 passages written and labelled by the project team, with
  a dev/test split frozen into the files. They count as one writer, ``team``.
- ``samples/gold/writers/*.jsonl``: 5,950 passages from seven independent writers
  (``w1`` … ``w7``), each labelled by its writer and by an independent annotator, with a
  third reader settling every disagreement (the three annotations are kept per passage).

The writer is the unit of generalisation: a tagger must be measured on a writer it was
not fitted to (leave-one-writer-out), because a held-out passage by a writer it has seen
shares that writer's vocabulary and habits and flatters the figure.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from scrkb.errors import ConfigError

GOLD_DIR = Path(__file__).resolve().parent.parent / "samples" / "gold"
TEAM_WRITER = "team"

Split = Literal["dev", "test"]


@dataclass
class GoldPassage:
    id: str
    text: str
    themes: list[str]
    heading_path: list[str] = field(default_factory=list)
    kind: str = "positive"
    note: str = ""
    split: Split = "dev"
    writer: str = TEAM_WRITER
    nation: str = ""
    # the independent labels behind ``themes``: writer, annotator, adjudicator (if any)
    annotations: dict[str, list[str] | None] = field(default_factory=dict)


def hash_split(passage_id: str) -> Split:
    """Half dev, half test, by a hash of the id: stable and blind to the labels."""
    digest = hashlib.sha256(passage_id.encode("utf-8")).digest()
    return "dev" if digest[0] % 2 == 0 else "test"


def _read_jsonl(path: Path) -> list[tuple[int, dict]]:
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((lineno, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path.name} line {lineno}: not JSON ({exc.msg})") from exc
    return rows


def load_gold(
    directory: Path = GOLD_DIR,
    *,
    valid_themes: set[str] | None = None,
    writers: bool = True,
) -> list[GoldPassage]:
    """Every labelled passage: the team's files, then (``writers=True``) the writers'."""
    paths = sorted(directory.glob("*.jsonl"))
    if writers:
        paths += sorted((directory / "writers").glob("*.jsonl"))
    items: list[GoldPassage] = []
    seen: set[str] = set()
    for path in paths:
        items += _passages_in(path, seen, valid_themes, TEAM_WRITER)
    return items


def load_labelled(path: Path, *, valid_themes: set[str] | None = None) -> list[GoldPassage]:
    """One labelled JSONL file of anyone's (``scrkb eval --file``); its writer is its name."""
    return _passages_in(path, set(), valid_themes, path.stem)


def _passages_in(
    path: Path, seen: set[str], valid_themes: set[str] | None, default_writer: str
) -> list[GoldPassage]:
    items: list[GoldPassage] = []
    for lineno, raw in _read_jsonl(path):
        where = f"{path.name} line {lineno}"
        try:
            pid, text = str(raw["id"]), raw["text"]
        except KeyError as exc:
            raise ConfigError(f"{where}: missing {exc.args[0]!r}") from exc
        if pid in seen:
            raise ConfigError(f"{where}: duplicate id {pid!r}")
        seen.add(pid)
        themes = list(dict.fromkeys(raw.get("themes", [])))
        if valid_themes is not None:
            unknown = set(themes) - valid_themes
            if unknown:
                raise ConfigError(f"{where}: unknown theme(s) {sorted(unknown)}")
        items.append(
            GoldPassage(
                id=pid,
                text=text,
                themes=themes,
                heading_path=raw.get("heading_path") or [],
                kind=raw.get("kind", "positive"),
                note=raw.get("note", ""),
                split=raw.get("split") or hash_split(pid),
                writer=raw.get("writer") or default_writer,
                nation=raw.get("nation") or "",
                annotations=raw.get("annotations") or {},
            )
        )
    return items


def section_for(heading_path: list[str]) -> str:
    """The section kind a passage's headings put it in (as ``nlp/structure`` decides)."""
    from scrkb.nlp.structure import section_kind_for

    return section_kind_for(heading_path)
