"""The crawl registry (``ingest/sources.yaml``): which sites publish reviews where.

One entry per UK publisher in the gazetteer (``scrkb/publishers.yaml``, same ids), in YAML
flow style, one line each: its review listing page where a public page names it (``url``,
and ``found_via``: where that was found), else no ``url`` and the crawl skips it until
one is added. Name and nation come from the gazetteer when the entry leaves them out.
``collections:`` lists the national sources crawled by their own spiders (the NSPCC
library and updates, the Panel on GOV.UK) and the Care Inspectorate's page. Validated on
load: a malformed entry is a ``ConfigError`` naming it, not a crawl that quietly skips it.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from scrkb.errors import ConfigError
from scrkb.reference import publisher

BUNDLED = Path(__file__).resolve().parent.parent / "sources.yaml"


def _http(value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError("url must start with http:// or https://")
    return value


class Partnership(BaseModel):
    """A publisher's crawl entry (a partnership, board, committee, SBNI or the Panel)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str | None = None  # from the gazetteer when left out
    url: str | None = None  # the page listing its reviews; None: not known yet
    urls: list[str] = Field(default_factory=list)  # further listing pages, if any
    nation: str | None = None  # from the gazetteer when left out (else England)
    hosts: list[str] = Field(default_factory=list)  # other hosts its documents live on
    found_via: str | None = None  # the public page that names the listing page

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http(value)

    def model_post_init(self, _context: object) -> None:
        known = publisher(self.id)
        if self.name is None:
            self.name = known.name if known else self.id
        if self.nation is None:
            self.nation = known.nation if known else "England"

    def spider_site(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "urls": [u for u in (self.url, *self.urls) if u],
            "hosts": self.hosts,
            "nation": self.nation,
        }


class Collection(BaseModel):
    """A national source: its own spider (``nspcc-updates``...) or a partnership-style page."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    url: str
    spider: str  # nspcc-updates, nspcc-library, govuk-panel, partnerships (generic)
    nation: str | None = None
    found_via: str | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str | None:
        return _http(value)


def _load(path: Path | None) -> tuple[Path, dict]:
    path = Path(path) if path else BUNDLED
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the sources registry {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("partnerships"), list):
        raise ConfigError(f"{path}: expected a top-level 'partnerships:' list")
    return path, data


def load_registry(path: Path | None = None, *, with_url_only: bool = False) -> list[Partnership]:
    """Publishers' entries from the registry file (default: the bundled one)."""
    path, data = _load(path)
    out: list[Partnership] = []
    for i, entry in enumerate(data["partnerships"], 1):
        try:
            out.append(Partnership.model_validate(entry))
        except ValidationError as exc:
            raise ConfigError(f"{path}: partnership #{i} ({entry!r}) is invalid: {exc}") from exc
    ids = [p.id for p in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"{path}: duplicate partnership ids {dupes}")
    return [p for p in out if p.url] if with_url_only else out


def load_collections(path: Path | None = None) -> list[Collection]:
    """The national collections listed in the registry file."""
    path, data = _load(path)
    out: list[Collection] = []
    for i, entry in enumerate(data.get("collections") or [], 1):
        try:
            out.append(Collection.model_validate(entry))
        except ValidationError as exc:
            raise ConfigError(f"{path}: collection #{i} ({entry!r}) is invalid: {exc}") from exc
    return out
