"""Write a minimal legacy Word 97-2003 (.doc) file, so tests need no office suite.

A .doc is an OLE2 compound file holding a ``WordDocument`` stream (a File Information
Block, then the text) and a table stream (``1Table``) whose piece table says where the
text lies. This writer stores the text as one piece of 8-bit (Windows-1252) characters,
paragraphs separated by carriage returns, as Word does. That is all antiword needs to
read it; formatting is left out. Both streams are padded past 4,096 bytes so they live
in ordinary sectors (no mini stream).
"""

from __future__ import annotations

import struct
from pathlib import Path

_SECTOR = 512
_END = 0xFFFFFFFE
_FREE = 0xFFFFFFFF
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF
_TEXT_AT = 0x800  # where the text starts in the WordDocument stream


# A style sheet with one empty style record: antiword reads one without checking its size.
_STSH = struct.pack("<H", 18) + struct.pack("<HH", 1, 10) + b"\x00" * 14 + struct.pack("<H", 0)


def _fib(text_len: int, clx_len: int) -> bytes:
    fib = bytearray(_TEXT_AT)
    struct.pack_into("<HH", fib, 0x00, 0xA5EC, 0x00C1)  # wIdent, nFib (Word 97)
    struct.pack_into("<H", fib, 0x0A, 1 << 9)  # flags: the table stream is 1Table
    struct.pack_into("<II", fib, 0x18, _TEXT_AT, _TEXT_AT + text_len)  # fcMin, fcMac
    struct.pack_into("<I", fib, 0x4C, text_len)  # ccpText
    struct.pack_into("<II", fib, 0xA2, 0, len(_STSH))  # fcStshf, lcbStshf (in 1Table)
    struct.pack_into("<II", fib, 0x1A2, len(_STSH), clx_len)  # fcClx, lcbClx (in 1Table)
    return bytes(fib)


def _clx(text_len: int) -> bytes:
    # one piece: CPs 0..text_len, a PCD whose fc has bit 30 set (8-bit text at fc / 2)
    plc = struct.pack("<II", 0, text_len) + struct.pack("<HIH", 0, (_TEXT_AT * 2) | (1 << 30), 0)
    return b"\x02" + struct.pack("<I", len(plc)) + plc


def _pad(data: bytes, minimum: int = 4096) -> bytes:
    size = max(len(data), minimum + 1)
    size = -(-size // _SECTOR) * _SECTOR
    return data + b"\x00" * (size - len(data))


def _entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
    raw = name.encode("utf-16-le") + b"\x00\x00"
    out = bytearray(128)
    out[: len(raw)] = raw
    struct.pack_into("<HBB", out, 0x40, len(raw), kind, 1)
    struct.pack_into("<III", out, 0x44, left, right, child)
    struct.pack_into("<II", out, 0x74, start, size)
    return bytes(out)


def write_doc(path: Path, paragraphs: list[str]) -> Path:
    """Write ``paragraphs`` (plain text, one per item) as a Word 97 .doc file."""
    text = "\r".join(paragraphs).encode("cp1252", "replace") + b"\r"
    clx = _clx(len(text))
    word = _pad(_fib(len(text), len(clx)) + text)
    table = _pad(_STSH + clx)
    n_word, n_table = len(word) // _SECTOR, len(table) // _SECTOR
    first_word, first_table = 2, 2 + n_word  # sector 0: FAT, sector 1: directory
    total = first_table + n_table
    fat = [_FATSECT, _END]
    fat += [first_word + i + 1 for i in range(n_word - 1)] + [_END]
    fat += [first_table + i + 1 for i in range(n_table - 1)] + [_END]
    assert total <= _SECTOR // 4, "document too long for one FAT sector"
    fat += [_FREE] * (_SECTOR // 4 - len(fat))
    directory = (
        _entry("Root Entry", 5, _NOSTREAM, _NOSTREAM, 1, _END, 0)
        + _entry("WordDocument", 2, _NOSTREAM, 2, _NOSTREAM, first_word, len(word))
        + _entry("1Table", 2, _NOSTREAM, _NOSTREAM, _NOSTREAM, first_table, len(table))
        + b"\x00" * 128
    )
    header = bytearray(_SECTOR)
    header[:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 0x2C, 1)  # FAT sectors
    struct.pack_into("<I", header, 0x30, 1)  # first directory sector
    struct.pack_into("<III", header, 0x38, 4096, _END, 0)  # mini cutoff, mini FAT
    struct.pack_into("<II", header, 0x44, _END, 0)  # no DIFAT sectors
    struct.pack_into("<I", header, 0x4C, 0)  # the FAT is sector 0
    for i in range(1, 109):
        struct.pack_into("<I", header, 0x4C + 4 * i, _FREE)
    body = struct.pack(f"<{len(fat)}I", *fat) + directory + word + table
    Path(path).write_bytes(bytes(header) + body)
    return Path(path)
