"""Files read in a child process: the same text as in-process, and a memory ceiling and a
time limit that hold even when the checks in guards.py are switched off."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from scrkb.errors import ExtractionError
from scrkb.ingest.extract import extract
from scrkb.ingest.guards import ExtractLimits
from scrkb.ingest.isolate import IsolatedExtractor
from tests.hostile import pdf_flate_bomb

MB = 2**20
GUARDS_OFF = ExtractLimits(part_bytes=2**40, unpacked_bytes=2**40)


def _pdf(path: Path) -> Path:
    canvas = Canvas(str(path), pagesize=A4)
    for n in range(3):
        canvas.drawString(72, 700, f"Page {n + 1}: the health visitor did not see the baby.")
        canvas.showPage()
    canvas.save()
    return path


def _files(tmp_path: Path) -> list[Path]:
    text = tmp_path / "notes.txt"
    text.write_text("# Findings\n\nThe child was not seen.\n\fPage two.\n", encoding="utf-8")
    page = tmp_path / "page.html"
    page.write_text("<html><body><main><h1>Review</h1><p>Not seen.</p></main></body></html>")
    return [_pdf(tmp_path / "report.pdf"), text, page]


def test_isolate_gives_the_same_text_and_reuses_one_child(tmp_path: Path) -> None:
    with IsolatedExtractor(max_bytes=10 * MB, max_pages=100) as extractor:
        pids = set()
        for path in _files(tmp_path):
            assert extractor.extract(path) == extract(path)
            assert extractor._proc is not None
            pids.add(extractor._proc.pid)
        assert len(pids) == 1, "one child serves the batch"
        with pytest.raises(ExtractionError) as err:
            extractor.extract(tmp_path / "missing.pdf")
        assert err.value.reason == "unreadable"


def test_isolate_memory_ceiling_holds_without_the_guards(tmp_path: Path) -> None:
    bomb = pdf_flate_bomb(tmp_path / "bomb.pdf", 300 * MB)  # ~6 GB once pdfium parses it
    started = time.monotonic()
    with IsolatedExtractor(
        max_bytes=10 * MB, max_pages=100, limits=GUARDS_OFF, memory_mb=400
    ) as extractor:
        with pytest.raises(ExtractionError) as err:
            extractor.extract(bomb)
        assert err.value.reason == "too_large"
        assert err.value.message == (
            "bomb.pdf needs more than 400 MB of memory to read (SCRKB_EXTRACT_MEMORY_MB raises it)."
        )
        assert time.monotonic() - started < 60
        # the next file gets a fresh child
        ok = _pdf(tmp_path / "after.pdf")
        assert extractor.extract(ok).page_count == 3


class _Stuck(IsolatedExtractor):
    grace_seconds = 0.0

    def command(self) -> list[str]:
        return [sys.executable, "-c", "import time; time.sleep(60)"]


class _Crashing(IsolatedExtractor):
    def command(self) -> list[str]:
        return [sys.executable, "-c", "import sys; sys.stdin.readline(); sys.exit(7)"]


def test_isolate_time_limit_kills_a_stuck_reader(tmp_path: Path) -> None:
    path = _files(tmp_path)[1]
    started = time.monotonic()
    with _Stuck(max_bytes=MB, max_pages=10, limits=ExtractLimits(seconds=0.5)) as extractor:
        with pytest.raises(ExtractionError) as err:
            extractor.extract(path)
        proc = extractor._proc
    assert time.monotonic() - started < 10
    assert err.value.reason == "too_slow"
    assert err.value.message == (
        "notes.txt took longer than 0.5 s to read (SCRKB_EXTRACT_TIMEOUT raises it)."
    )
    assert proc is None, "the stuck child was killed"


def test_isolate_a_reader_that_dies_is_a_clear_refusal(tmp_path: Path) -> None:
    with _Crashing(max_bytes=MB, max_pages=10) as extractor, pytest.raises(ExtractionError) as err:
        extractor.extract(_files(tmp_path)[1])
    assert err.value.reason == "unreadable"
    assert "exit status 7" in err.value.message


def test_isolate_start_readies_the_child_that_then_reads_the_first_file(tmp_path: Path) -> None:
    with IsolatedExtractor(max_bytes=10 * MB, max_pages=100) as extractor:
        extractor.start()
        assert extractor._proc is not None and extractor._proc.poll() is None
        started = extractor._proc.pid
        readers = Path(f"/proc/{started}/maps").read_text() if Path("/proc").exists() else ""
        assert not readers or "pdfium" in readers, "the child loaded its readers as it started"
        path = _files(tmp_path)[0]
        assert extractor.extract(path) == extract(path)
        assert extractor._proc.pid == started, "the first file went to the started child"


def test_isolate_start_of_a_child_that_cannot_answer_leaves_the_error_to_the_file(
    tmp_path: Path,
) -> None:
    with _Crashing(max_bytes=MB, max_pages=10) as extractor:
        extractor.start()  # the child exits at once: no answer, and no exception here
        assert extractor._proc is None
        with pytest.raises(ExtractionError) as err:
            extractor.extract(_files(tmp_path)[1])
    assert err.value.reason == "unreadable" and "exit status 7" in err.value.message


class _OddAnswer(IsolatedExtractor):
    def command(self) -> list[str]:
        return [
            sys.executable,
            "-c",
            "import sys; sys.stdin.readline(); print('[1, 2]', flush=True)",
        ]


def test_isolate_start_with_an_answer_that_is_not_ready_stops_the_child_quietly() -> None:
    with _OddAnswer(max_bytes=MB, max_pages=10) as extractor:
        extractor.start()  # JSON, but not the "ready" object: no exception, no child kept
        assert extractor._proc is None
