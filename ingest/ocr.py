"""OCR of scanned PDF pages with Tesseract (Debian ``tesseract-ocr``, via pytesseract).

Older reviews were often published as scans: a page with an image and no text layer.
Such a page is rendered with pdfium and read by Tesseract word by word; the words come
back as lines with the same geometry a text layer gives (top, left, size in points), so
paragraphs, headings and running headers are rebuilt the same way. Every page read this
way carries its mean word confidence, and each page has a time limit, so one huge or
noisy scan cannot stall an ingest.
"""

from __future__ import annotations

import shutil
import statistics
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from scrkb.models import Line

if TYPE_CHECKING:
    from scrkb.config import Settings


@dataclass(frozen=True)
class OcrOptions:
    """How scanned pages are read (from ``Settings``: ``ocr``, ``ocr_page_timeout``...)."""

    enabled: bool = True
    page_timeout: float = 60.0  # seconds Tesseract may spend on one page
    dpi: int = 300
    language: str = "eng"
    max_pages: int = 500  # scanned pages read per document; the rest are left unread

    @classmethod
    def from_settings(cls, settings: Settings) -> OcrOptions:
        return cls(
            enabled=settings.ocr,
            page_timeout=settings.ocr_page_timeout,
            dpi=settings.ocr_dpi,
            max_pages=settings.ocr_max_pages,
        )


@dataclass
class OcrPage:
    lines: list[Line]
    confidence: float | None  # mean word confidence, 0-100
    error: str | None = None


@lru_cache(maxsize=1)
def tesseract_version() -> str | None:
    """ "tesseract 5.3.0", or None when Tesseract is not installed."""
    if shutil.which("tesseract") is None:
        return None
    try:
        import pytesseract

        return f"tesseract {pytesseract.get_tesseract_version()}"
    except Exception:  # an unusable binary is the same as none
        return None


def ocr_image(image: object, *, scale: float, options: OcrOptions) -> OcrPage:
    """Read one rendered page image; ``scale`` is pixels per PDF point.

    Tesseract runs one thread per page (``OMP_THREAD_LIMIT=1``, unless set): its OpenMP
    threads slow it down several times over on a machine whose cores are busy with
    ingest workers, and a page that takes minutes runs into the per-page time limit.
    """
    import os

    import pytesseract

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        data = pytesseract.image_to_data(
            image,
            lang=options.language,
            config="--psm 3",
            timeout=options.page_timeout,
            output_type=pytesseract.Output.DICT,
        )
    except RuntimeError as exc:  # pytesseract's timeout
        if "timeout" in str(exc).lower():
            return OcrPage([], None, f"OCR gave up after {options.page_timeout:g} s")
        return OcrPage([], None, f"OCR failed: {exc}")
    except pytesseract.TesseractError as exc:
        return OcrPage([], None, f"OCR failed: {exc.message or exc.status}")
    return OcrPage(*_lines(data, scale))


def _lines(data: dict[str, list], scale: float) -> tuple[list[Line], float | None]:
    """Tesseract's words grouped into its lines, in its reading order, with geometry."""
    groups: dict[tuple[int, int, int], list[int]] = {}
    order: list[tuple[int, int, int]] = []
    confidences: list[float] = []
    for i, word in enumerate(data["text"]):
        conf = float(data["conf"][i])
        if conf < 0 or not str(word).strip():
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(i)
        confidences.append(conf)
    lines: list[Line] = []
    last_par: tuple[int, int] | None = None
    for key in order:
        idx = groups[key]
        text = " ".join(str(data["text"][i]).strip() for i in idx)
        top = min(data["top"][i] for i in idx) / scale
        left = min(data["left"][i] for i in idx) / scale
        # The median word box is about cap height plus a little (most words have no
        # descender): near 0.74 of the type size in common fonts. Line boxes wobble more.
        height = statistics.median(data["height"][i] for i in idx) / scale / 0.74
        par = key[:2]
        lines.append(
            Line(
                text=text,
                top=round(top, 2),
                left=round(left, 2),
                size=round(height * 2) / 2,
                new_block=last_par is not None and par != last_par,
            )
        )
        last_par = par
    _snap_sizes(lines)
    confidence = round(statistics.fmean(confidences), 1) if confidences else None
    return lines, confidence


def _snap_sizes(lines: list[Line]) -> None:
    """Sizes measured from word boxes wobble by a pixel or two: lines within 15% of the
    page's typical size get exactly that size, so only real changes of type (headings,
    footnotes) read as changes."""
    sizes = [ln.size for ln in lines if ln.size]
    if not sizes:
        return
    body = statistics.median(sizes)
    for ln in lines:
        if ln.size and abs(ln.size - body) <= 0.15 * body:
            ln.size = body
