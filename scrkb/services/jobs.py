"""Background jobs (ingest an upload, run a crawl), recorded in the SQLite store.

A job is a row in ``jobs`` (``index/userdata.py``): whichever API worker started it runs it in a thread, and
every worker can report it because the state is in the shared database, not in memory.
Jobs of one process run one at a time (a second waits as ``queued``): two ingests at
once would only fight over SQLite's single writer.

A worker that dies mid-job leaves a ``running`` row behind; when read, a running job
whose process is gone (same host) is reported as ``failed`` with that reason, so a
client polling it never waits forever.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrkb.config import Settings
from scrkb.index.lexical import LexicalIndex
from scrkb.index.search import Searcher
from scrkb.index.store import Store
from scrkb.index.userdata import JobTable
from scrkb.index.vectors import VectorIndex
from scrkb.models import Job, JobKind, JobStatus

log = logging.getLogger(__name__)

OUTPUT_TAIL_CHARS = 8000

# One job at a time per process: ingest and crawl both end in writes to the one store.
_RUN_LOCK = threading.Lock()


class Jobs:
    """The job registry of one data home."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.table = JobTable(store)
        self.settings = settings

    # ------------------------------------------------------------------ reads
    def get(self, job_id: str) -> Job:
        job, pid, host = self.table.get(job_id)
        if job.status in ("queued", "running") and _orphaned(pid, host):
            message = "the process running this job exited"
            if self.table.store.readonly:  # say so without writing it down
                return job.model_copy(update={"status": "failed", "message": message})
            self.table.finish(job_id, "failed", message=message)
            return self.get(job_id)
        return job

    def recent(self, limit: int = 50) -> list[Job]:
        return [self.get(job_id) for job_id in self.table.recent_ids(limit)]

    def active(self) -> int:
        """How many jobs are queued or running (any worker): searches use a pinned index."""
        # get() retires jobs whose worker died, so a crash cannot pin the index forever.
        return sum(
            1
            for job_id in self.table.unfinished_ids()
            if self.get(job_id).status in ("queued", "running")
        )

    # ------------------------------------------------------------------ starting
    def start_ingest(self, upload_dir: Path, filenames: list[str]) -> Job:
        """Ingest the files saved in ``upload_dir``, then delete them (the store keeps copies)."""

        def work(job_id: str) -> tuple[dict[str, Any], str | None]:
            from scrkb.services.ingest import ingest_paths

            try:
                summary = ingest_paths([upload_dir], self.settings)
            finally:
                _remove_tree(upload_dir)
            result = summary.as_dict()
            for outcome in result["files"]:  # report names as uploaded, not server paths
                outcome["path"] = Path(outcome["path"]).name
            failed = [o for o in result["files"] if o["status"] == "failed"]
            if failed and len(failed) == len(result["files"]):
                reasons = "; ".join(o["message"] or o["path"] for o in failed[:3])
                more = f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
                raise _JobFailed(f"every file failed: {reasons}{more}", result)
            message = f"{result['documents']} document(s) ingested, {len(failed)} failed"
            if failed:
                raise _JobPartial(message, result)
            return result, message

        return self._start("ingest", {"files": filenames}, work)

    def start_crawl(self, source: str, *, limit: int | None = None) -> Job:
        """Crawl and ingest (``scrkb.services.crawl``) in a child process; keep its output tail.

        A subprocess rather than a thread: Scrapy's reactor cannot be restarted within one
        process, and a crawl that crashes must not take the API worker with it.
        """
        params: dict[str, Any] = {"source": source}
        argv = [
            sys.executable,
            "-m",
            "scrkb.services.crawl",
            source,
            "--home",
            str(self.settings.home),
        ]
        if limit is not None:
            params["limit"] = limit
            argv += ["--limit", str(limit)]

        def work(job_id: str) -> tuple[dict[str, Any], str | None]:
            env = dict(os.environ)
            env.setdefault("HF_HUB_OFFLINE", "1")
            env.setdefault("TRANSFORMERS_OFFLINE", "1")
            proc = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                text=True,
                errors="replace",
            )
            tail = _Tail(OUTPUT_TAIL_CHARS)
            assert proc.stdout is not None
            last_write = 0.0
            for line in proc.stdout:
                tail.add(line)
                if time.monotonic() - last_write > 1.0:  # progress, without a write per line
                    self.table.set_tail(job_id, tail.text)
                    last_write = time.monotonic()
            code = proc.wait()
            self.table.set_tail(job_id, tail.text)
            if code != 0:
                raise _JobFailed(f"the crawl exited with status {code}", {"exit_code": code})
            return {"exit_code": code}, "crawl finished"

        return self._start("crawl", params, work)

    # ------------------------------------------------------------------ running
    def _start(
        self,
        kind: JobKind,
        params: dict[str, Any],
        work: Callable[[str], tuple[dict[str, Any], str | None]],
    ) -> Job:
        job_id = "j" + secrets.token_urlsafe(12)
        self.table.insert(job_id, kind, params, os.getpid(), _host())
        thread = threading.Thread(
            target=self._run, args=(job_id, work), name=f"scrkb-job-{job_id}", daemon=True
        )
        thread.start()
        return self.get(job_id)

    def _run(self, job_id: str, work: Callable[[str], tuple[dict[str, Any], str | None]]) -> None:
        with _RUN_LOCK:
            self.table.mark_running(job_id)
            try:
                result, message = work(job_id)
            except _JobPartial as exc:
                self.table.finish(job_id, "partial", message=str(exc), result=exc.result)
            except _JobFailed as exc:
                self.table.finish(job_id, "failed", message=str(exc), result=exc.result)
            except Exception as exc:  # a job failure is data for the client, not a crash
                log.error("job %s failed:\n%s", job_id, traceback.format_exc())
                self.table.finish(job_id, "failed", message=f"{type(exc).__name__}: {exc}")
            else:
                self.table.finish(job_id, "succeeded", message=message, result=result)

    def wait(self, job_id: str, timeout: float = 300.0) -> Job:
        """Block until the job ends (tests and scripts); returns its final state."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job.status in ("succeeded", "partial", "failed") or time.monotonic() > deadline:
                return job
            time.sleep(0.05)


def shown_path(path: str | Path, roots: Sequence[Path]) -> str:
    """A path as a job record shows it: from the folder or file the user named down
    (``reports/2019/child-a.pdf``), never the directories above it. Job records are
    listed over the API (``GET /api/jobs``, to admin-token holders, who need not have the
    server's shell), and a command-line ingest should not tell them how its disks are
    laid out. Paths are compared with ``..`` folded away, so one that leaves its root is
    shown by its name."""
    given = Path(os.path.normpath(path))
    for root in roots:
        for base, candidate in (
            (Path(os.path.normpath(root)), given),
            (root.resolve(), given.resolve()),
        ):
            anchor = base if base.name in ("", "..") else base.parent
            if candidate == base or base in candidate.parents:
                return candidate.relative_to(anchor).as_posix()
    return given.name


def hide_home(text: str, settings: Settings) -> str:
    """``text`` with the home's absolute path written ``<home>``: error messages and
    crawl output kept in job records name files under it."""
    for prefix in sorted({str(settings.home.resolve()), str(settings.home)}, key=len, reverse=True):
        if prefix not in ("", ".", "/"):
            text = text.replace(prefix, "<home>")
    return text


def shown_ingest_result(result: dict[str, Any], roots: Sequence[Path]) -> dict[str, Any]:
    """An ingest summary (``IngestSummary.as_dict``) with every file's path as
    ``shown_path`` gives it, for a job record."""
    files = [{**outcome, "path": shown_path(outcome["path"], roots)} for outcome in result["files"]]
    return {**result, "files": files}


@dataclass
class RecordedJob:
    """How a recorded job ends, as the work says (``recorded_job``)."""

    id: str | None
    status: JobStatus = "succeeded"
    message: str | None = None
    result: dict[str, Any] | None = None


@contextmanager
def recorded_job(
    settings: Settings, kind: JobKind, params: dict[str, Any]
) -> Iterator[RecordedJob]:
    """Record work this process does itself (a command-line ingest or retag) as a running
    job of the home, so that a server on the same home treats it as its own jobs: it keeps
    the indexes it has while the work writes, rather than rebuilding them after every
    report (minutes at 300k passages), and lists it. The job ends as the work sets the
    ``RecordedJob`` it is given (``succeeded`` unless told otherwise), or ``failed`` with
    the error it raised; a process killed outright leaves a row that reads as failed once
    its pid is gone (``Jobs.get``). Nothing is recorded in a read-only home: the work
    itself refuses it."""
    if settings.is_read_only():
        yield RecordedJob(None)
        return
    with Store(settings.db_path) as store:
        table = JobTable(store)
        job = RecordedJob("j" + secrets.token_urlsafe(12))
        assert job.id is not None
        table.insert(job.id, kind, params, os.getpid(), _host())
        table.mark_running(job.id)
        try:
            with _signals_raise():  # the handlers are gone again before the row is finished
                yield job
        except BaseException as exc:
            message = hide_home(f"{type(exc).__name__}: {exc}".rstrip(": "), settings)
            table.finish(job.id, "failed", message=message)
            raise
        table.finish(job.id, job.status, message=job.message, result=job.result)


class Terminated(SystemExit):
    """The process was asked to stop (SIGTERM, SIGHUP): exits quietly, with 128 + signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signal_name = signal.Signals(signum).name

    def __str__(self) -> str:
        return f"stopped by {self.signal_name}"


@contextmanager
def _signals_raise() -> Iterator[None]:
    """While a recorded job runs on the main thread, SIGTERM and SIGHUP raise
    ``Terminated`` there, so the job's row says it stopped instead of staying
    ``running`` (a row from another host is never found orphaned, and would hold a
    server's indexes for good). SIGKILL cannot be caught: ``Jobs.get`` retires such a
    row on this host once its pid is gone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        raise Terminated(signum)

    # Only where the signal would end the process anyway: under ``nohup`` SIGHUP is
    # ignored, and a national ingest left running that way must survive the hang-up.
    before = {
        sig: signal.signal(sig, stop)
        for sig in (signal.SIGTERM, signal.SIGHUP)
        if signal.getsignal(sig) is signal.SIG_DFL
    }
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def _orphaned(pid: int | None, host: str | None) -> bool:
    """A job whose process (on this host) is gone will never finish."""
    if host != _host() or pid is None or pid == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class _JobFailed(Exception):
    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.result = result


class _JobPartial(_JobFailed):
    """Some of the job's work failed: it ends ``partial``, with the result."""


class _Tail:
    """The last ``limit`` characters of a stream: enough to see why a crawl stopped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.text = ""

    def add(self, chunk: str) -> None:
        self.text = (self.text + chunk)[-self.limit :]


def _host() -> str:
    return socket.gethostname()


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


class ServingSearcher(Searcher):
    """A ``Searcher`` that keeps answering from the loaded vector index while a job writes.

    Ingest commits one report at a time and bumps the store generation each time; the
    plain ``Searcher`` would rebuild its FAISS index after every commit. While any job is
    active this one keeps the vector and BM25 indexes it has (new passages wait; replaced
    ones are left out of ranking and counts: ``Searcher.live_mask``), and loads the
    indexes the job saved once the job ends:
    the swap is one reference assignment, so no search ever sees a half-built index.
    """

    def __init__(self, settings: Settings, *, store: Store | None = None) -> None:
        super().__init__(settings, store=store)
        self.jobs = Jobs(self.store, settings)

    def vectors(self) -> VectorIndex:
        index = self._vectors
        if index is not None and index.generation != self.store.generation() and self.jobs.active():
            return index
        return super().vectors()

    def lexical_index(self) -> LexicalIndex:
        # A retag job bumps the store's annotations, not its generation, once per report:
        # either key out of date mid-job means "keep what is loaded", never a rebuild per
        # report (a rebuild at 300k passages takes minutes).
        index = self._lexical
        if index is not None and not index.current_for(self.store) and self.jobs.active():
            return index
        return super().lexical_index()
