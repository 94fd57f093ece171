"""The partnership registry (``ingest/sources.yaml``): which sites publish reviews where.

One partnership per line in YAML flow style, so adding one of the ~130 English
partnerships (or a Welsh board, a Scottish committee) is a one-line change. Validated on
load: a malformed entry is a ``ConfigError`` naming the entry, not a crawl that quietly
skips it.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from scrkb.errors import ConfigError

BUNDLED = Path(__file__).resolve().parent.parent / "sources.yaml"


class Partnership(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    url: str  # the page listing its reviews
    urls: list[str] = Field(default_factory=list)  # further listing pages, if any
    nation: str = "England"
    hosts: list[str] = Field(default_factory=list)  # other hosts its documents live on

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value

    def spider_site(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "urls": [self.url, *self.urls],
            "hosts": self.hosts,
            "nation": self.nation,
        }


def load_registry(path: Path | None = None) -> list[Partnership]:
    """Partnerships from the registry file (default: the bundled one)."""
    path = Path(path) if path else BUNDLED
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the sources registry {path}: {exc}") from exc
    entries = data.get("partnerships") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: expected a top-level 'partnerships:' list")
    out: list[Partnership] = []
    for i, entry in enumerate(entries, 1):
        try:
            out.append(Partnership.model_validate(entry))
        except ValidationError as exc:
            raise ConfigError(f"{path}: partnership #{i} ({entry!r}) is invalid: {exc}") from exc
    ids = [p.id for p in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"{path}: duplicate partnership ids {dupes}")
    return out
