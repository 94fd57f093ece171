"""The labelled gold set (``samples/gold/*.jsonl``) and its fixed dev/test split.

The split is written into the files once, before any tuning, and never recomputed: a
passage's split is part of the data, so a later change to the tagger cannot quietly move
hard cases from test into dev.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from scrkb.errors import ConfigError

GOLD_DIR = Path(__file__).resolve().parent.parent / "samples" / "gold"

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


def hash_split(passage_id: str) -> Split:
    """Half dev, half test, by a hash of the id: stable and blind to the labels."""
    digest = hashlib.sha256(passage_id.encode("utf-8")).digest()
    return "dev" if digest[0] % 2 == 0 else "test"


def load_gold(directory: Path = GOLD_DIR, *, valid_themes: set[str] | None = None) -> list[GoldPassage]:
    items: list[GoldPassage] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.jsonl")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path.name} line {lineno}: not JSON ({exc.msg})") from exc
            pid = raw["id"]
            if pid in seen:
                raise ConfigError(f"{path.name} line {lineno}: duplicate id {pid!r}")
            seen.add(pid)
            themes = list(dict.fromkeys(raw.get("themes", [])))
            if valid_themes is not None:
                unknown = set(themes) - valid_themes
                if unknown:
                    raise ConfigError(f"{path.name} line {lineno}: unknown theme(s) {sorted(unknown)}")
            items.append(
                GoldPassage(
                    id=pid,
                    text=raw["text"],
                    themes=themes,
                    heading_path=raw.get("heading_path") or [],
                    kind=raw.get("kind", "positive"),
                    note=raw.get("note", ""),
                    split=raw.get("split") or hash_split(pid),
                )
            )
    return items


def section_for(heading_path: list[str]) -> str:
    """The section kind a passage's headings put it in (as ``nlp/structure.py`` decides)."""
    try:
        from scrkb.nlp.structure import section_kind_for
    except ImportError:  # pragma: no cover - structure always ships with nlp
        return "body"
    return section_kind_for(heading_path)
