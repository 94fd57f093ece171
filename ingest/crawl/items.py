"""What spiders yield: plain dataclasses, so pipelines and tests can build them by hand.

A spider only parses. It says *where* a document is and what the listing said about it
(``ReportLink``), or that a page could not be read or parsed (``PageProblem``); the
pipelines download, hash, classify, de-duplicate and record provenance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ReportLink:
    """A link to a (probable) case review document, with what its listing said about it."""

    url: str
    source: str  # nspcc-updates, nspcc-library, govuk-panel, partnerships, site
    scope: str  # what one complete run covers, e.g. "partnership:leeds"; see state.mark_gone
    found_on: str | None = None  # the page the link was on
    link_text: str = ""
    heading: str = ""  # the nearest heading, accordion title or table row above the link
    # partnership, year, child_code, review_type, title, precis, learning_themes,
    # recommendations, keywords, model, published: whatever the publisher's listing gave
    listing: dict[str, Any] = field(default_factory=dict)
    metadata_only: bool = False  # a catalogue record or listing entry with no document
    record_id: str | None = None  # stable id of the listing entry (catalogue record id, slug)
    kind_hint: str | None = None  # the publisher's own word for the document, if any

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportLink:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class PageProblem:
    """A listing page that could not be fetched or parsed: reported, never silently lost."""

    url: str
    source: str
    scope: str
    reason: str  # http_404, timeout, robots, layout, unparsed_entries, page_limit, ...
    detail: str = ""
    failed: bool = True  # False for expected skips (robots.txt, page limit)
