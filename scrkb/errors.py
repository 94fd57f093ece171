"""The few named errors scrkb raises, each saying what to do next.

Three places translate them for people: the API's exception handler, the CLI's exit
code and message, and the web error page. Nothing below ``api/`` raises HTTP errors.
"""

from __future__ import annotations

from typing import Literal

ExtractionReason = Literal[
    "encrypted",
    "scanned",
    "corrupt",
    "too_large",  # on disk, when unpacked, in pages, elements or characters
    "too_complex",  # nested too deep, or XML that declares entities: unsafe to read
    "too_slow",  # over the time one file may take (SCRKB_EXTRACT_TIMEOUT)
    "wrong_type",
    "empty",
    "unsupported",
    "unreadable",
]


class ScrkbError(Exception):
    """Base class: every scrkb error has a one-line message meant for a person."""

    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExtractionError(ScrkbError):
    """A file could not be turned into text. ``reason`` is machine-readable."""

    status_code = 422

    def __init__(self, reason: ExtractionReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ConfigError(ScrkbError):
    """A setting or data file (taxonomy, sources registry) is invalid."""


class IndexNotReady(ScrkbError):
    """The knowledge base has not been built, or its files do not match the settings."""

    status_code = 503


class NotFound(ScrkbError):
    status_code = 404


class InvalidQuery(ScrkbError):
    status_code = 422


class InvalidRequest(ScrkbError):
    """A request that cannot be read as sent (a form without its boundary, a bad field)."""

    status_code = 422
    code = "invalid_request"


class CrossSiteRequest(ScrkbError):
    """A web form sent from another site, or without the page's token (CSRF)."""

    status_code = 403
    code = "forbidden"


class Conflict(ScrkbError):
    """The change clashes with the current state (e.g. the passage is already in the pack)."""

    status_code = 409
    code = "conflict"


class TooLarge(ScrkbError):
    """An upload is over its size limit (``SCRKB_MAX_FILE_MB`` for files)."""

    status_code = 413
    code = "too_large"


class ReadOnly(ScrkbError):
    """A write (a pack, a job, an ingest) asked of a read-only data home."""

    status_code = 403
    code = "read_only"


class UnsupportedType(ScrkbError):
    """An upload's name says it is not a format scrkb reads."""

    status_code = 415
    code = "unsupported_media_type"


class EmptyUpload(ScrkbError):
    """An uploaded file has no bytes."""

    status_code = 422
    code = "empty"
