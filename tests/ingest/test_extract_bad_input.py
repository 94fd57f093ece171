"""Files the extract stage must refuse, or keep without text, and what it says."""

from __future__ import annotations

import io
import random
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from scrkb.errors import ExtractionError
from scrkb.ingest.extract import extract


def _refusal(path: Path, **limits: int) -> ExtractionError:
    with pytest.raises(ExtractionError) as err:
        extract(path, **limits)
    assert "\n" not in err.value.message, "messages are one line"
    return err.value


def _text_pdf(path: Path, **canvas_args: object) -> Path:
    canvas = Canvas(str(path), pagesize=A4, **canvas_args)
    for n in range(3):
        canvas.drawString(72, 700, f"Page {n + 1} of the review: the child was not seen.")
        canvas.showPage()
    canvas.save()
    return path


def test_extract_bad_input_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "child-a.pdf"
    path.touch()
    error = _refusal(path)
    assert error.reason == "empty"
    assert error.message == "child-a.pdf is empty (0 bytes); download it again."


def test_extract_bad_input_too_large_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as fh:
        fh.truncate(200 * 2**20)  # sparse: costs no disk and must cost no reading
    started = time.perf_counter()
    error = _refusal(path)
    assert time.perf_counter() - started < 0.5
    assert error.reason == "too_large"
    assert error.message == (
        "huge.pdf is 200.0 MB, over the 100 MB limit (SCRKB_MAX_FILE_MB raises it)."
    )


def test_extract_bad_input_pdf_that_is_a_web_page(tmp_path: Path) -> None:
    path = tmp_path / "child-b.pdf"
    path.write_text(
        "<!DOCTYPE html><html><head><title>Sign in</title></head><body><p>Please log in</p>",
        encoding="utf-8",
    )
    error = _refusal(path)
    assert error.reason == "wrong_type"
    assert error.message == (
        "child-b.pdf is not a PDF: it is a web page "
        "(perhaps an error or login page saved instead of the report)."
    )


def test_extract_bad_input_truncated_pdf(tmp_path: Path) -> None:
    whole = _text_pdf(tmp_path / "whole.pdf").read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(whole[: len(whole) // 2])
    error = _refusal(path)
    assert error.reason == "corrupt"
    assert error.message == "cut.pdf is damaged or incomplete and cannot be read as a PDF."


def test_extract_bad_input_password_protected_pdf(tmp_path: Path) -> None:
    path = _text_pdf(tmp_path / "locked.pdf", encrypt="secret")
    error = _refusal(path)
    assert error.reason == "encrypted"
    assert error.message == (
        "locked.pdf is password-protected; ask the publisher for an unprotected copy."
    )


def test_extract_bad_input_owner_password_only_pdf_is_read(tmp_path: Path) -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption

    path = _text_pdf(
        tmp_path / "restricted.pdf", encrypt=StandardEncryption("", "owner", canCopy=0)
    )
    doc = extract(path)
    assert doc.pages[2].lines[0].text == "Page 3 of the review: the child was not seen."


def test_extract_bad_input_scanned_pdf_is_kept_without_text(tmp_path: Path) -> None:
    image = Image.new("L", (400, 560), color=255)
    ImageDraw.Draw(image).text((40, 40), "Scanned page", fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    path = tmp_path / "scan.pdf"
    canvas = Canvas(str(path), pagesize=A4)
    canvas.drawImage(ImageReader(buffer), 0, 0, width=A4[0], height=A4[1])
    canvas.showPage()
    canvas.save()
    doc = extract(path)  # OCR is off unless asked for
    assert (doc.format, doc.page_count, doc.has_text) == ("pdf", 1, False)
    assert doc.pages[0].lines == []
    assert doc.warnings == [
        "1 scanned page(s) not read: OCR is turned off (SCRKB_OCR)",
        "no text layer (needs OCR)",
    ]


def test_extract_bad_input_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "mystery.bin"
    rng = random.Random(7)
    path.write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    error = _refusal(path)
    assert error.reason == "unsupported"
    assert error.message == "mystery.bin is not a PDF, Word (.docx or .doc), web page or text file."


def test_extract_bad_input_high_bytes_that_are_not_text(tmp_path: Path) -> None:
    path = tmp_path / "noise.dat"
    path.write_bytes(b"\xa5\xb7\xc3\xfe" * 1024)  # no NUL bytes, but not UTF-8 and not prose
    assert _refusal(path).reason == "unsupported"


def test_extract_bad_input_corrupt_docx(tmp_path: Path) -> None:
    from docx import Document

    whole = tmp_path / "whole.docx"
    Document().save(str(whole))
    path = tmp_path / "broken.docx"
    path.write_bytes(whole.read_bytes()[:2000])
    error = _refusal(path)
    assert error.reason == "corrupt"
    assert error.message == "broken.docx is damaged or incomplete and cannot be opened."


def test_extract_bad_input_zip_that_is_not_a_word_file(tmp_path: Path) -> None:
    path = tmp_path / "bundle.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("report.txt", "hello")
    error = _refusal(path)
    assert error.reason == "unsupported"
    assert error.message == "bundle.docx is a ZIP archive, not a Word document; unpack it first."


def test_extract_bad_input_office_file_that_is_not_word(tmp_path: Path) -> None:
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    error = _refusal(path)
    assert error.reason == "unsupported"
    assert (
        error.message == "old.doc is an Office file (OLE2) but not a Word document; save it as PDF."
    )


def test_extract_bad_input_damaged_word_doc(tmp_path: Path) -> None:
    from tests.legacy_doc import write_doc

    whole = write_doc(tmp_path / "whole.doc", ["Child Q overview report", "Text. " * 50])
    path = tmp_path / "cut.doc"
    path.write_bytes(whole.read_bytes()[:1536])
    error = _refusal(path)
    assert error.reason == "corrupt"
    assert error.message.startswith("cut.doc is an old-style Word file that cannot be read")


def test_extract_bad_input_missing_file(tmp_path: Path) -> None:
    error = _refusal(tmp_path / "gone.pdf")
    assert error.reason == "unreadable"
    assert error.message == "gone.pdf cannot be opened: No such file or directory."


def test_extract_bad_input_blank_text_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("\n   \n\f\n", encoding="utf-8")
    error = _refusal(path)
    assert error.reason == "empty"
    assert error.message == "blank.txt contains no text, only blank space."
