"""Every file read in a child process with a memory ceiling and a time limit.

The parsers are C libraries (pdfium, libxml2) fed files from strangers. ``guards.py``
refuses the hostile files we know of with a clear reason; this is the backstop for the
ones we do not: the file is read by a child process whose address space is capped
(``RLIMIT_AS``) and which is killed when it overruns its time, so a file can cost the
server neither its memory nor a worker. Only the extracted text comes back.

One child serves a whole batch (``IsolatedExtractor``), so the interpreter starts once
per ingest rather than once per file; a child that failed, overran or grew is replaced
before the next file. ``python -m scrkb.ingest.isolate MEMORY_MB`` is the child: it
reads one JSON request per line on stdin and answers each with a JSON status line
(followed, on success, by the ``ExtractedDoc`` as one JSON line).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrkb.errors import ExtractionError
from scrkb.ingest.guards import ExtractLimits
from scrkb.ingest.ocr import OcrOptions
from scrkb.models import ExtractedDoc

if TYPE_CHECKING:
    from scrkb.config import Settings

GRACE_SECONDS = 5.0  # on top of the file's own time limit: the child's start and reply


class InProcessExtractor:
    """``extract()`` with a batch's limits, in this process (``SCRKB_EXTRACT_MEMORY_MB=0``):
    the limits in ``guards.py`` hold, a memory ceiling and a hard time limit do not.
    ``IsolatedExtractor`` adds them."""

    def __init__(
        self,
        *,
        max_bytes: int,
        max_pages: int,
        limits: ExtractLimits | None = None,
        ocr: OcrOptions | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_pages = max_pages
        self.limits = limits or ExtractLimits()
        self.ocr = ocr

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Load the readers now rather than with the first file (a worker warming up)."""
        import scrkb.ingest.extract  # noqa: F401 - the import is the point

    def extract(self, path: Path, *, sha256: str | None = None) -> ExtractedDoc:
        """The file's text (``sha256``: its digest, when the caller has hashed it)."""
        from scrkb.ingest.extract import extract

        return extract(
            path,
            max_bytes=self.max_bytes,
            max_pages=self.max_pages,
            ocr=self.ocr,
            limits=self.limits,
            sha256=sha256,
        )

    def close(self) -> None:
        pass


class IsolatedExtractor(InProcessExtractor):
    """``extract()`` in a child process; use as a context manager around a batch."""

    grace_seconds = GRACE_SECONDS

    def __init__(self, *, memory_mb: int = 512, **batch: Any) -> None:
        super().__init__(**batch)
        self.memory_mb = memory_mb
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = bytearray()
        self._overran = False
        self.cpu_seconds = 0.0  # CPU the child (and its OCR) spent on the last file read

    # ------------------------------------------------------------------ parent side
    def extract(self, path: Path, *, sha256: str | None = None) -> ExtractedDoc:
        """The file's text, or the ``ExtractionError`` saying why not."""
        path = Path(path).absolute()
        request = {
            "path": str(path),
            "sha256": sha256,
            "max_bytes": self.max_bytes,
            "max_pages": self.max_pages,
            "limits": self.limits.as_dict(),
            "ocr": asdict(self.ocr) if self.ocr is not None else None,
        }
        proc = self._child()
        try:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._stop()
            proc = self._child()
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            proc.stdin.flush()
        deadline = time.monotonic() + self.limits.seconds + self.grace_seconds
        status_line = self._read_line(deadline)
        if status_line is None:
            self._fail(path)
        status = json.loads(status_line)
        if status["status"] == "error":
            if status.get("restart"):
                self._stop()
            raise ExtractionError(status["reason"], status["message"])
        doc_line = self._read_line(deadline)
        if doc_line is None:
            self._fail(path)
        self.cpu_seconds = float(status.get("cpu_s", 0.0))
        if status.get("rss_mb", 0) > self.memory_mb / 2:
            self._stop()  # a fresh child for the next file: memory is not given back
        return ExtractedDoc.model_validate_json(doc_line)

    def start(self) -> None:
        """Start the child now and wait until it has imported every reader, so that the
        first file costs only its own reading (a worker warming up). A child that does not
        answer is stopped; the first file then starts another and says what went wrong."""
        proc = self._child()
        try:
            assert proc.stdin is not None
            proc.stdin.write(b'{"ping": true}\n')
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._stop()
            return
        line = self._read_line(time.monotonic() + self.limits.seconds + self.grace_seconds)
        try:
            answer = json.loads(line) if line is not None else None
        except ValueError:
            answer = None
        ready = isinstance(answer, dict) and answer.get("status") == "ready"
        if not ready:
            self._overran = False
            self._stop()

    def close(self) -> None:
        self._stop()

    def _child(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._buffer.clear()
            self._proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,  # the child's own complaints go to the server's log
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
                start_new_session=True,  # its own process group: its helpers die with it
            )
        return self._proc

    def command(self) -> list[str]:
        """The child's command line: this module, run by this interpreter."""
        return [sys.executable, "-m", "scrkb.ingest.isolate", str(self.memory_mb)]

    def _read_line(self, deadline: float) -> bytes | None:
        """One line from the child, or None when it died or overran ``deadline``."""
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        fd = proc.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                end = self._buffer.find(b"\n")
                if end >= 0:
                    line = bytes(self._buffer[:end])
                    del self._buffer[: end + 1]
                    return line
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self._overran = True
                    return None
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return None  # the child is gone
                self._buffer.extend(chunk)

    def _fail(self, path: Path) -> None:
        """The child died or overran: say which, and start afresh next time."""
        proc = self._proc
        assert proc is not None
        timed_out, self._overran = self._overran, False
        if not timed_out:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)  # its output closed: let it finish dying
        self._stop()
        code = proc.returncode
        name = path.name
        if timed_out:
            raise ExtractionError(
                "too_slow",
                f"{name} took longer than {self.limits.seconds:g} s to read "
                "(SCRKB_EXTRACT_TIMEOUT raises it).",
            )
        if code in (-signal.SIGKILL, -signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS, 3):
            raise ExtractionError(
                "too_large",
                f"{name} needs more than {self.memory_mb} MB of memory to read "
                "(SCRKB_EXTRACT_MEMORY_MB raises it).",
            )
        raise ExtractionError(
            "unreadable", f"{name} could not be read: the reader stopped (exit status {code})."
        )

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        self._buffer.clear()
        if proc is None:
            return
        if proc.poll() is None:
            # The child and what it started (antiword, Tesseract) go together.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def extractor_for(
    settings: Settings, *, ocr: bool = True
) -> IsolatedExtractor | InProcessExtractor:
    """How files from outside are read under ``settings``: in a child with a memory
    ceiling (``SCRKB_EXTRACT_MEMORY_MB``), or in this process when that is 0. Scanned
    pages are read by OCR as the settings say, unless ``ocr`` is off (an upload)."""
    common: dict[str, Any] = {
        "max_bytes": settings.max_file_mb * 2**20,
        "max_pages": settings.max_pages,
        "limits": ExtractLimits.from_settings(settings),
        "ocr": OcrOptions.from_settings(settings) if ocr else None,
    }
    if settings.extract_memory_mb > 0:
        return IsolatedExtractor(**common, memory_mb=settings.extract_memory_mb)
    return InProcessExtractor(**common)


# --------------------------------------------------------------------------- child side
def _limit_memory(memory_mb: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX: the time limit still holds
        return
    limit = memory_mb * 2**20
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _rss_mb() -> float:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return 0.0


def _cpu_seconds() -> float:
    """CPU seconds of this child and the helpers it waited for (antiword, Tesseract)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + helpers.ru_utime + helpers.ru_stime


def _reply(out: Any, status: dict[str, Any], doc: str | None = None) -> None:
    out.write(json.dumps(status).encode() + b"\n")
    if doc is not None:
        out.write(doc.encode() + b"\n")
    out.flush()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    memory_mb = int(args[0]) if args else 512
    # Every reader is imported before the ceiling: imports are not the file's cost.
    import bs4  # noqa: F401
    import lxml.etree  # noqa: F401
    import pypdf  # noqa: F401
    import pypdfium2  # noqa: F401

    from scrkb.ingest.extract import extract

    _limit_memory(memory_mb)
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("ping"):  # the parent waits for this before its first file
            _reply(out, {"status": "ready"})
            continue
        path = Path(request["path"])
        started = _cpu_seconds()
        try:
            doc = extract(
                path,
                max_bytes=request["max_bytes"],
                max_pages=request["max_pages"],
                ocr=OcrOptions(**request["ocr"]) if request.get("ocr") else None,
                limits=ExtractLimits(**request["limits"]),
                sha256=request.get("sha256"),
            )
            text = doc.model_dump_json()
        except ExtractionError as exc:
            _reply(out, {"status": "error", "reason": exc.reason, "message": exc.message})
            continue
        except MemoryError:
            _reply(
                out,
                {
                    "status": "error",
                    "reason": "too_large",
                    "message": f"{path.name} needs more than {memory_mb} MB of memory to read "
                    "(SCRKB_EXTRACT_MEMORY_MB raises it).",
                    "restart": True,
                },
            )
            return 0
        except RecursionError:
            _reply(
                out,
                {
                    "status": "error",
                    "reason": "too_complex",
                    "message": f"{path.name} is nested too deeply to read safely.",
                    "restart": True,
                },
            )
            return 0
        except Exception as exc:  # a reader's bug: the file fails, the batch goes on
            import traceback

            traceback.print_exc()
            _reply(
                out,
                {
                    "status": "error",
                    "reason": "unreadable",
                    "message": f"{path.name} could not be read ({type(exc).__name__}: {exc}).",
                    "restart": True,
                },
            )
            return 0
        status = {
            "status": "ok",
            "rss_mb": round(_rss_mb(), 1),
            "cpu_s": round(_cpu_seconds() - started, 4),
        }
        _reply(out, status, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
