"""Legacy Word (.doc, Word 97-2003) to lines, through Debian's ``antiword``.

Older reviews (before about 2010) were often published as .doc files, and some sites
still serve them. antiword reads the text out of the OLE2 file; with ``-w 0`` it writes
each paragraph on one line, so every output line becomes one ``Line`` that starts a
paragraph, like a DOCX paragraph without its styles. Headings are found later from the
text itself (numbering, capitals, known section names).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from scrkb.errors import ExtractionError
from scrkb.models import Line, PageText

ANTIWORD_TIMEOUT_S = 120


def antiword_path() -> str | None:
    """The antiword program, if installed (``make install`` installs it)."""
    return shutil.which("antiword")


def doc_text(path: Path, *, timeout: float = ANTIWORD_TIMEOUT_S) -> str:
    """The text of a .doc file, one paragraph per line (UTF-8)."""
    name = Path(path).name
    program = antiword_path()
    if program is None:
        raise ExtractionError(
            "unsupported",
            f"{name} is an old-style Word (.doc) file and antiword is not installed "
            "(`make install` installs it; or save the file as .docx or PDF).",
        )
    try:
        done = subprocess.run(
            [program, "-m", "UTF-8.txt", "-w", "0", str(path)],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtractionError(
            "corrupt", f"{name}: reading the Word (.doc) file took over {timeout:g} s."
        ) from exc
    if done.returncode != 0:
        said = " ".join(done.stderr.decode("utf-8", "replace").split())[:200]
        if "encrypt" in said.lower():
            raise ExtractionError(
                "encrypted",
                f"{name} is a password-protected Word file; ask for an unprotected copy.",
            )
        raise ExtractionError(
            "corrupt",
            f"{name} is an old-style Word file that cannot be read"
            + (f" ({said})" if said else "")
            + "; save it as .docx or PDF.",
        )
    return done.stdout.decode("utf-8", "replace")


def extract_doc(
    path: Path, *, timeout: float = ANTIWORD_TIMEOUT_S
) -> tuple[list[PageText], str | None, list[str]]:
    """Return (one page of paragraph lines, title, warnings) for a .doc file."""
    text = doc_text(path, timeout=timeout)
    lines: list[Line] = []
    for row in text.replace("\r", "\n").split("\n"):
        row = " ".join(row.replace("\f", " ").split())
        if row:
            lines.append(Line(text=row, new_block=True))
    if not lines:
        raise ExtractionError("empty", f"{Path(path).name} is a Word file with no text in it.")
    return [PageText(number=1, lines=lines)], None, []
