"""The path every report takes through ingest and retag, on all cores at once.

    prepare  worker  extract the file, structure it, split passages, read title, metadata
                     and recommendations (``ingest.extract``, ``nlp.structure``,
                     ``nlp.passages``, ``nlp.annotate.describe``)
    embed    here    passages and recommendations, several reports at a time (``nlp.embedding``)
    tag      worker  the theme tagger, given those vectors (``nlp.annotate.tag_report``)
    write    here    one store transaction per report (the unit's own ``tagged``)

While this process embeds one report, the workers extract the next ones and tag the last:
on two cores the embedder has one and the CPU stages share both. Worker processes are
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
PARALLEL_MIN_UNITS = 8  # below this, spawning workers (spaCy + tagger each) costs more than it saves

Call = tuple[Callable[..., Any], tuple[Any, ...]]


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


def _worker_environment(settings: Settings) -> dict[str, str]:
    """What a worker must share with this process: the embedding form and model above all
    (settings may have been built in code, not read from the environment)."""
    env = {
        "SCRKB_EMBEDDING_FORM": settings.embedding_form,
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
    from scrkb.nlp.themes import get_tagger

    get_tagger()  # spaCy, the taxonomy's matchers and the trained weights: once per process


def _ready() -> int:
    return os.getpid()


class Workers:
    """The worker processes of a batch (none: ``count`` 0 runs every stage here).

    Started on first use, or ahead with ``warm``; a pool whose process died (a parser that
    crashed on a file, the kernel's OOM killer) is replaced, up to ``MAX_RESTARTS`` times.
    """

    MAX_RESTARTS = 3

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = count
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
                initargs=(_worker_environment(self.settings),),
            )
        return self._pool

    def warm(self) -> list[int]:
        """Start every worker and wait until each has loaded its models; their pids."""
        if not self.count:
            return []
        executor = self.executor()
        return sorted({f.result() for f in [executor.submit(_ready) for _ in range(self.count)]})

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


# --------------------------------------------------------------------------- the tag stage
@dataclass
class TagJob:
    passages: list[Passage]
    vectors: np.ndarray
    recommendations: list[Recommendation]
    recommendation_vectors: np.ndarray | None


@dataclass
class Tagged:
    passages: list[Passage]
    recommendations: list[Recommendation]
    seconds: float


def tag_stage(job: TagJob) -> Tagged:
    """Worker side of ``tag``: passages and recommendations tagged with the given vectors."""
    from scrkb.nlp.annotate import tag_report

    t = time.perf_counter()
    passages = tag_report(
        job.passages, job.vectors, job.recommendations, job.recommendation_vectors
    )
    return Tagged(passages, job.recommendations, time.perf_counter() - t)


# --------------------------------------------------------------------------- units
class Unit:
    """One report on its way through the stages; ingest and retag say what each stage is.

    ``prepared`` and ``tagged`` return False when the unit is finished (written, failed,
    nothing more to do); ``fail`` records an unexpected error in any stage.
    """

    def prepare_call(self) -> Call | None:
        return None

    def prepared(self, result: Any) -> bool:
        return True

    def embed_texts(self) -> list[str]:
        return []

    def tag_call(self, vectors: np.ndarray) -> Call | None:
        return None

    def tagged(self, result: Any) -> None:
        return None

    def fail(self, message: str) -> None:
        raise NotImplementedError


@dataclass
class StageSeconds:
    """Busy seconds per stage, summed over processes (with workers, more than wall time)."""

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
    the batch. The fp32 embedder batches across reports (ready reports are embedded
    together once four batches of texts have gathered); int8 runs text by text anyway, so
    it takes each report as soon as it is ready and hands it straight on to be tagged.
    Beside workers the embedder gets one core; without them, all of them.

    When a worker process dies, every call it took down is tried once more in a new pool;
    a unit whose call fails that way twice is failed (it is most likely the cause).
    """
    queue: deque[Unit] = deque(units)
    inflight: dict[Future, tuple[str, Unit, Call, int]] = {}
    ready: deque[Unit] = deque()
    retried: set[int] = set()
    window = 2 * max(workers.count, 1) + 1
    onnx = embedder.runtime == "onnxruntime-cpu"
    group_texts = 1 if onnx else 4 * embedder.batch_size
    embed_threads = (EMBED_THREADS or os.cpu_count() or 1) if onnx else (1 if workers.count else None)

    def finish(unit: Unit) -> None:
        if on_done:
            on_done(unit)

    def submit(stage: str, unit: Unit, call: Call) -> None:
        epoch = workers.epoch
        try:
            future = workers.executor().submit(call[0], *call[1])
        except BrokenProcessPool:
            future = Future()
            future.set_exception(BrokenProcessPool("the worker pool is down"))
        inflight[future] = (stage, unit, call, epoch)

    def preparing() -> int:
        return sum(1 for entry in inflight.values() if entry[0] == "prepare")

    def settle(done: Iterable[Future]) -> None:
        for future in done:
            stage, unit, call, epoch = inflight.pop(future)
            try:
                result = future.result()
            except BrokenProcessPool:
                workers.replace(epoch)
                if workers.usable and id(unit) not in retried:
                    retried.add(id(unit))
                    submit(stage, unit, call)
                else:
                    unit.fail(
                        f"a worker process died during {stage} (a parser crash, or out of memory)"
                    )
                    finish(unit)
                continue
            except Exception as exc:  # one report's failure never stops the batch
                unit.fail(f"unexpected error in {stage}: {type(exc).__name__}: {exc}")
                finish(unit)
                continue
            try:
                if stage == "prepare":
                    if unit.prepared(result):
                        ready.append(unit)
                        continue
                else:
                    unit.tagged(result)
            except Exception as exc:
                unit.fail(f"unexpected error after {stage}: {type(exc).__name__}: {exc}")
            finish(unit)

    while queue or inflight or ready:
        while queue and preparing() < window:
            unit = queue.popleft()
            call = unit.prepare_call()
            if call is None:
                ready.append(unit)
            else:
                submit("prepare", unit, call)
        settle([f for f in inflight if f.done()])
        gathered = sum(len(u.embed_texts()) for u in ready)
        if ready and (gathered >= group_texts or (not queue and not preparing())):
            group = _take_group(ready, group_texts)
            texts = [text for unit in group for text in unit.embed_texts()]
            t = time.perf_counter()
            try:
                vectors = embedder.encode(texts, threads=embed_threads)
            except Exception as exc:
                for unit in group:
                    unit.fail(f"unexpected error in embed: {type(exc).__name__}: {exc}")
                    finish(unit)
                continue
            seconds.add("embed", time.perf_counter() - t)
            start = 0
            for unit in group:
                n = len(unit.embed_texts())
                call = unit.tag_call(vectors[start : start + n])
                start += n
                if call is None:
                    finish(unit)
                else:
                    submit("tag", unit, call)
            continue
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
