"""The checks behind the hostile-file refusals: stream sizes counted through every PDF
filter chain, ZIP directories read from their end record, Word packages checked."""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
import zlib
from pathlib import Path

import pytest

from scrkb.errors import ExtractionError
from scrkb.ingest.extract import extract
from scrkb.ingest.guards import Deadline, ExtractLimits, check_zip_directory, decoded_size
from tests.hostile import _pdf, _template

MB = 2**20
FOREVER = Deadline(3600, "test")


def test_guards_flate_size_is_counted_and_capped() -> None:
    data = zlib.compress(b"\0" * (5 * MB))
    assert decoded_size(data, ["FlateDecode"], 100 * MB, FOREVER) == 5 * MB
    assert decoded_size(data, ["FlateDecode"], MB, FOREVER) == MB + MB  # stops one chunk past


def test_guards_filter_chains_are_followed() -> None:
    inner = zlib.compress(b"x" * (3 * MB))
    assert (
        decoded_size(
            binascii.hexlify(inner) + b">", ["ASCIIHexDecode", "FlateDecode"], 100 * MB, FOREVER
        )
        == 3 * MB
    )
    assert decoded_size(base64.a85encode(inner) + b"~>", ["A85", "Fl"], 100 * MB, FOREVER) == 3 * MB
    assert (
        decoded_size(zlib.compress(inner), ["FlateDecode", "FlateDecode"], 100 * MB, FOREVER)
        == 3 * MB
    )
    run = bytes([257 - 128, ord("a")]) * 1000 + b"\x80"  # 1000 runs of 128 "a"
    assert decoded_size(run, ["RunLengthDecode"], 100 * MB, FOREVER) == 128_000
    assert decoded_size(b"\xff\xd8", ["DCTDecode"], 100, FOREVER) is None  # image data
    assert decoded_size(b"not zlib", ["FlateDecode"], 100, FOREVER) == 0  # damaged: nothing


def test_guards_lzw_counts_what_it_decodes() -> None:
    # "-----A---B" in 9-bit codes, with a clear code first and end-of-data last: the
    # example of the PDF reference (7.4.4.2).
    codes = [256, 45, 258, 258, 65, 259, 66, 257]
    bits = "".join(format(c, "09b") for c in codes)
    bits += "0" * (-len(bits) % 8)
    data = int(bits, 2).to_bytes(len(bits) // 8, "big")
    assert decoded_size(data, ["LZWDecode"], 100, FOREVER) == len(b"-----A---B")


def test_guards_hex_wrapped_flate_bomb_is_refused(tmp_path: Path) -> None:
    bomb = binascii.hexlify(zlib.compress(b"0 0 m 1 1 l S\n" * (2 * MB), 9)) + b">"
    stream = b"<< /Length %d /Filter [/ASCIIHexDecode /FlateDecode] >>\nstream\n" % len(bomb)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        stream + bomb + b"\nendstream",
    ]
    path = tmp_path / "hex.pdf"
    path.write_bytes(_pdf(objects))
    with pytest.raises(ExtractionError) as err:
        extract(path)
    assert err.value.reason == "too_large" and "object 4" in err.value.message


def test_guards_images_are_not_inflated(tmp_path: Path) -> None:
    """Image data is never decoded to extract text, so a large one is not refused."""
    image = zlib.compress(b"\xff" * (40 * MB))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R "
        b"/Resources << /XObject << /Im1 4 0 R >> >> >>",
        b"<< /Type /XObject /Subtype /Image /Width 4096 /Height 10240 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length %d /Filter /FlateDecode >>\nstream\n"
        % len(image)
        + image
        + b"\nendstream",
        b"<< /Length 31 >>\nstream\nq 100 0 0 100 0 0 cm /Im1 Do Q\nendstream",
    ]
    path = tmp_path / "photo.pdf"
    path.write_bytes(_pdf(objects))
    doc = extract(path)
    assert doc.page_count == 1 and doc.warnings[-1] == "no text layer (needs OCR)"


def test_guards_zip64_directory_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", allowZip64=True) as archive:
        for i in range(70_000):  # past 65,535: the count lives in the zip64 record
            archive.writestr(f"p{i}", b"")
    with pytest.raises(ExtractionError) as err:
        check_zip_directory(path, path.name, ExtractLimits())
    assert "70,000 parts" in err.value.message


def test_guards_word_package_must_be_a_word_document(tmp_path: Path) -> None:
    parts = _template()
    types = parts["[Content_Types].xml"].replace(
        b"wordprocessingml.document.main+xml", b"spreadsheetml.sheet.main+xml"
    )
    path = tmp_path / "sheet.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, types if name == "[Content_Types].xml" else data)
    with pytest.raises(ExtractionError) as err:
        extract(path)
    assert err.value.reason == "unsupported"
    assert err.value.message == "sheet.docx is not a Word document."


def test_guards_lying_part_size_is_damage_not_a_bomb(tmp_path: Path) -> None:
    """A part that inflates past its declared size stops there and fails its CRC."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _template().items():
            archive.writestr(name, data)
    raw = bytearray(buffer.getvalue())
    # Shrink word/document.xml's declared size in the central directory.
    entry = raw.find(b"word/document.xml", raw.find(b"PK\x01\x02")) - 46
    raw[entry + 24 : entry + 28] = (100).to_bytes(4, "little")
    path = tmp_path / "liar.docx"
    path.write_bytes(bytes(raw))
    with pytest.raises(ExtractionError) as err:
        extract(path)
    assert err.value.reason == "corrupt"
