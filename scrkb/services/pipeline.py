"""The path every report takes through ingest and retag, on all cores at once.

    prepare  worker  extract the file, structure it, split passages, read title, metadata
                     and recommendations (``ingest.extract``, ``nlp.structure``,
                     ``nlp.passages``, ``nlp.annotate.describe``)
    embed    here    passages and recommendations, several reports at a time (``nlp.embedding``)
    tag      worker  the theme tagger, given those vectors (``nlp.annotate.tag_report``)
    write    here    one store transaction per report (the unit's own ``tagged``)

While this process embeds one report (a text per core at a time), the workers extract
the next ones and tag the last: the stages share the cores, and none waits on a spinning
barrier, so every core stays busy. Worker processes are
spawned, never forked (this process may hold model threads, or serve requests), load
spaCy and the tagger once each, keep their numeric libraries to one thread, and never
import torch (the embedder is ONNX Runtime; spaCy's thinc would import torch eagerly:
190 MB and seconds per process).

Batches too small to repay starting workers (``PARALLEL_MIN_UNITS``) run the very same
functions in this process, in the same order (``InlineExecutor``), so the two paths store
the same passages and, given the same vectors, the same tags.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scrkb.config import Settings
from scrkb.models import Passage, Recommendation
from scrkb.nlp.embedding import Embedder

EMBED_THREADS = 0  # texts embedded at once (0: one per core, beside the workers too)
TAG_BATCH = 64  # passages per tag call: spaCy's batches fill (a third less CPU than per report)
PARALLEL_MIN_UNITS = (
    8  # below this, spawning workers (spaCy + tagger each) costs more than it saves
)

Call = tuple[Callable[..., Any], tuple[Any, ...]]


def cpu_now() -> float:
    """CPU seconds used so far by this process (every thread) and the children it has
    waited for (Tesseract, for OCR)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def worker_count(settings: Settings, units: int) -> int:
    """Worker processes for a batch of ``units`` reports: 0 means run in this process."""
    wanted = settings.ingest_workers or os.cpu_count() or 1
    if wanted <= 1 or units < PARALLEL_MIN_UNITS:
        return 0
    return wanted


# --------------------------------------------------------------------------- executors
class InlineExecutor(Executor):
    """Runs each call at once, in this process: the pipeline without workers."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, as a pool would
            future.set_exception(exc)
        return future


def _worker_environment(settings: Settings, form: str) -> dict[str, str]:
    """What a worker must share with this process: the embedding form and model above all
    (settings may have been built in code, not read from the environment)."""
    env = {
        "SCRKB_EMBEDDING_FORM": form,
        "SCRKB_EMBED_BATCH_SIZE": str(settings.embed_batch_size),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "OMP_NUM_THREADS": "1",
    }
    if settings.model_path is not None:
        env["SCRKB_MODEL_PATH"] = str(settings.model_path)
    if settings.model_cache is not None:
        env["SCRKB_MODEL_CACHE"] = str(settings.model_cache)
    return env


def _init_worker(environ: dict[str, str]) -> None:
    os.environ.update(environ)
    if "torch" not in sys.modules:  # a worker embeds on ONNX Runtime: torch is dead weight
        sys.modules["torch"] = None  # type: ignore[assignment] - `import torch` now fails fast
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)  # BLAS/OpenMP pools: the workers are the parallelism
    except ImportError:  # pragma: no cover - scikit-learn brings it
        pass
    from scrkb.config import get_settings

    get_settings.cache_clear()
    # spaCy, the taxonomy's matchers and the trained weights load on first use, once per
    # process (or ahead, in ``_ready``): a batch whose files are all refused at
    # extraction never pays their memory.


def _ready(load: Callable[[], None] | None = None) -> int:
    from scrkb.nlp.themes import get_tagger

    get_tagger()  # every model this worker will use, loaded now
    if load is not None:
        load()  # and whatever the batch's own stages need (ingest: the readers)
    time.sleep(0.05)  # long enough that one worker cannot answer for another
    return os.getpid()


class Workers:
    """The worker processes of a batch (none: ``count`` 0 runs every stage here).

    Started on first use, or ahead with ``warm``; a pool whose process died (a parser that
    crashed on a file, the kernel's OOM killer) is replaced, up to ``MAX_RESTARTS`` times.
    """

    MAX_RESTARTS = 3

    def __init__(self, settings: Settings, count: int, *, form: str | None = None) -> None:
        self.settings = settings
        self.count = count
        self.form = form or settings.embedding_form_for(None)
        self.restarts = 0
        self.epoch = 0  # which pool: calls that died with an older one need no new restart
        self._pool: ProcessPoolExecutor | None = None
        self._inline = InlineExecutor()

    def executor(self) -> Executor:
        if not self.count:
            return self._inline
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.count,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(_worker_environment(self.settings, self.form),),
            )
        return self._pool

    def warm(self, load: Callable[[], None] | None = None) -> list[int]:
        """Start every worker and wait until each has loaded its models (the tagger's, and
        ``load``'s: a picklable callable); their pids."""
        if not self.count:
            return []
        seen: set[int] = set()
        for _ in range(100):  # a worker answers only once its initializer has run
            executor = self.executor()
            calls = [executor.submit(_ready, load) for _ in range(self.count)]
            seen |= {f.result() for f in calls}
            if len(seen) >= self.count:
                break
        return sorted(seen)

    def replace(self, epoch: int) -> None:
        """After a worker of pool ``epoch`` died: drop that pool (the next call starts a
        new one). Calls that went down with an already replaced pool change nothing."""
        if epoch != self.epoch:
            return
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self.restarts += 1
        self.epoch += 1

    @property
    def usable(self) -> bool:
        return self.restarts <= self.MAX_RESTARTS

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def abort(self) -> None:
        """Stop at once (a batch interrupted by Ctrl-C or SIGTERM): calls not started are
        cancelled and the worker processes terminated, not waited for; each worker's
        extraction child ends when its input closes."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list(pool._processes.values()) if pool._processes else []  # noqa: SLF001 - no public way before Python 3.14
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=10)


# --------------------------------------------------------------------------- the tag stage
@dataclass
class TagJob:
    """One report's share of a tag call."""

    passages: list[Passage]
    vectors: np.ndarray
    recommendations: list[Recommendation]
    recommendation_vectors: np.ndarray | None


@dataclass
class Tagged:
    passages: list[Passage]
    recommendations: list[Recommendation]
    seconds: float  # this report's share of the call's CPU time


def tag_stage(jobs: list[TagJob]) -> list[Tagged]:
    """Worker side of ``tag``: several reports in one call of the tagger."""
    from scrkb.nlp.annotate import tag_reports

    t = cpu_now()
    tagged = tag_reports(
        [(j.passages, j.vectors, j.recommendations, j.recommendation_vectors) for j in jobs]
    )
    seconds = cpu_now() - t
    texts = sum(len(j.passages) + len(j.recommendations) for j in jobs) or 1
    return [
        Tagged(p, j.recommendations, seconds * (len(j.passages) + len(j.recommendations)) / texts)
        for p, j in zip(tagged, jobs, strict=True)
    ]


# --------------------------------------------------------------------------- units
class Unit:
    """One report on its way through the stages; ingest and retag say what each stage is.

    ``prepared`` returns False when the unit is finished (written, failed, nothing more to
    do); ``tag_job`` returns None when there is nothing to tag; ``fail`` records an
    unexpected error in any stage.
    """

    def prepare_call(self) -> Call | None:
        return None

    def prepared(self, result: Any) -> bool:
        return True

    def embed_texts(self) -> list[str]:
        return []

    def tag_job(self, vectors: np.ndarray) -> TagJob | None:
        return None

    def tagged(self, result: Tagged) -> None:
        return None

    def fail(self, message: str) -> None:
        raise NotImplementedError

    def release(self) -> None:
        """Drop what the stages held (text, passages, vectors) once the unit is done: the
        caller keeps every unit to the end of the batch, and a national batch holds
        hundreds of thousands of passages."""
        return None


@dataclass
class StageSeconds:
    """CPU seconds per stage, summed over processes."""

    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, value: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + value


def run_units(
    units: Iterable[Unit],
    *,
    workers: Workers,
    embedder: Embedder,
    seconds: StageSeconds,
    on_done: Callable[[Unit], None] | None = None,
) -> None:
    """Drive every unit through prepare → embed → tag → write.

    At most ``2 × workers + 1`` prepares are in flight, so memory stays bounded however long
    the batch. The ONNX embedder runs text by text on a thread per core, so it takes each
    report as soon as it is ready; torch batches across reports (four batches of texts at
    a time). Embedded reports are tagged together, ``TAG_BATCH`` passages to a call, or
    sooner when a worker would otherwise wait.

    A worker process that dies takes its calls with it: each report in them is tried once
    more, alone, in a new pool; a report whose call dies twice is failed (it is most
    likely the cause). A tag call of several reports that raises is split the same way,
    so one report's error never costs another its tags.
    """
    queue: deque[Unit] = deque(units)
    inflight: dict[Future, tuple[str, list[Unit], int]] = {}
    ready: deque[Unit] = deque()  # prepared, waiting for the embedder
    to_tag: list[tuple[Unit, TagJob]] = []  # embedded, waiting for a tag call
    retried: set[int] = set()
    window = 2 * max(workers.count, 1) + 1
    onnx = embedder.runtime == "onnxruntime-cpu"
    group_texts = 1 if onnx else 4 * embedder.batch_size
    embed_threads = (
        (EMBED_THREADS or os.cpu_count() or 1) if onnx else (1 if workers.count else None)
    )
    jobs: dict[int, TagJob] = {}  # id(unit) -> its tag job, while it is being tagged

    def finish(unit: Unit) -> None:
        jobs.pop(id(unit), None)
        if on_done:
            on_done(unit)
        unit.release()

    def submit(stage: str, group: list[Unit], call: Call) -> None:
        epoch = workers.epoch
        try:
            future = workers.executor().submit(call[0], *call[1])
        except BrokenProcessPool:
            future = Future()
            future.set_exception(BrokenProcessPool("the worker pool is down"))
        inflight[future] = (stage, group, epoch)

    def submit_tags(group: list[Unit]) -> None:
        submit("tag", group, (tag_stage, ([jobs[id(u)] for u in group],)))

    def again(stage: str, unit: Unit) -> None:
        if stage == "prepare":
            call = unit.prepare_call()
            assert call is not None
            submit(stage, [unit], call)
        else:
            submit_tags([unit])

    def preparing() -> int:
        return sum(1 for entry in inflight.values() if entry[0] == "prepare")

    def settle(done: Iterable[Future]) -> None:
        for future in done:
            stage, group, epoch = inflight.pop(future)
            try:
                result = future.result()
            except BrokenProcessPool:
                workers.replace(epoch)
                for unit in group:
                    if workers.usable and id(unit) not in retried:
                        retried.add(id(unit))
                        again(stage, unit)
                    else:
                        unit.fail(f"a worker process died during {stage} "
                                  "(a parser crash, or out of memory)")  # fmt: skip
                        finish(unit)
                continue
            except Exception as exc:  # one report's failure never stops the batch
                if len(group) > 1:  # find out whose it was
                    for unit in group:
                        submit_tags([unit])
                    continue
                group[0].fail(f"unexpected error in {stage}: {type(exc).__name__}: {exc}")
                finish(group[0])
                continue
            results = [result] if stage == "prepare" else result
            for unit, unit_result in zip(group, results, strict=True):
                try:
                    if stage == "prepare":
                        if unit.prepared(unit_result):
                            ready.append(unit)
                            continue
                    else:
                        unit.tagged(unit_result)
                except Exception as exc:
                    unit.fail(f"unexpected error after {stage}: {type(exc).__name__}: {exc}")
                finish(unit)

    def flush_tags(force: bool) -> None:
        waiting = sum(len(job.passages) for _, job in to_tag)
        idle = len(inflight) < max(workers.count, 1)
        if to_tag and (force or waiting >= TAG_BATCH or (workers.count and idle)):
            group = [unit for unit, _ in to_tag]
            to_tag.clear()
            submit_tags(group)

    while queue or inflight or ready or to_tag:
        while queue and preparing() + len(ready) < window:
            unit = queue.popleft()
            call = unit.prepare_call()
            if call is None:
                ready.append(unit)
            else:
                submit("prepare", [unit], call)
        settle([f for f in inflight if f.done()])
        gathered = sum(len(u.embed_texts()) for u in ready)
        last = not queue and not preparing()
        if ready and (gathered >= group_texts or not preparing()):
            group = _take_group(ready, group_texts)
            texts = [text for unit in group for text in unit.embed_texts()]
            t = cpu_now()
            try:
                vectors = embedder.encode(texts, threads=embed_threads)
            except Exception as exc:
                for unit in group:
                    unit.fail(f"unexpected error in embed: {type(exc).__name__}: {exc}")
                    finish(unit)
                continue
            seconds.add("embed", cpu_now() - t)
            start = 0
            for unit in group:
                n = len(unit.embed_texts())
                job = unit.tag_job(vectors[start : start + n])
                start += n
                if job is None:
                    finish(unit)
                else:
                    jobs[id(unit)] = job
                    to_tag.append((unit, job))
            flush_tags(force=not ready and last)
            continue
        flush_tags(force=not ready and (last or not inflight))
        if inflight:
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            settle(done)


def _take_group(ready: deque[Unit], group_texts: int) -> list[Unit]:
    group: list[Unit] = []
    count = 0
    while ready and (not group or count < group_texts):
        unit = ready.popleft()
        group.append(unit)
        count += len(unit.embed_texts())
    return group
