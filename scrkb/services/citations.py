"""Where a citation points: the original report at the cited page, for people who hold a
handout or a page.

A handout is read away from this server, so it links the publisher's own copy (a PDF
opened at the page, ``#page=N``); when the publisher's link is not known it links the
kept copy at ``SCRKB_PUBLIC_BASE_URL``, and otherwise nothing: never the address the
server happened to be asked on (``127.0.0.1``, an API path), which nobody else can open.
The pages of the site link the original where it is served, ``/api/reports/{id}/original``
(the kept copy, or a redirect to the publisher).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from scrkb.models import Citation

LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]")


def page_fragment(citation: Citation) -> str:
    """``#page=N`` for a PDF (viewers open at it; a format not known is most likely one);
    nothing for a web page, a Word or a text file, which no viewer opens at a page."""
    if citation.format not in (None, "pdf") or citation.page <= 1:
        return ""
    return f"#page={citation.page}"


def site_original_href(citation: Citation) -> str:
    """The original at the cited page, as the site's pages link it."""
    return f"/api/reports/{quote(citation.report_id, safe='')}/original{page_fragment(citation)}"


def is_public(url: str | None) -> bool:
    """An http(s) address someone else can open: not this machine, not the API."""
    if not url:
        return False
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return (
        parts.scheme in ("http", "https")
        and bool(host)
        and host not in LOCAL_HOSTS
        and not host.endswith(".localhost")
        and not parts.path.startswith("/api/")
    )


def publisher_url(citation: Citation) -> str | None:
    """The publisher's link, when it is one a reader can open."""
    return citation.source_url if is_public(citation.source_url) else None


def kept_copy_url(citation: Citation, public_base_url: str | None) -> str | None:
    if not public_base_url or not is_public(public_base_url):
        return None
    base = public_base_url.rstrip("/")
    return f"{base}/reports/{quote(citation.report_id, safe='')}/original"


def report_url(citation: Citation, public_base_url: str | None) -> str | None:
    """The report as a whole, for a reference list."""
    return publisher_url(citation) or kept_copy_url(citation, public_base_url)


def cited_url(citation: Citation, public_base_url: str | None) -> str | None:
    """The original at the cited page, for a cited extract."""
    url = report_url(citation, public_base_url)
    if url is None:
        return None
    paged = urlsplit(url).path.lower().endswith(".pdf") or url == kept_copy_url(
        citation, public_base_url
    )
    return url + page_fragment(citation) if paged and "#" not in url else url
