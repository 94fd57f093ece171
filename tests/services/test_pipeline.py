"""The parallel path of ingest and retag: what it stores is what one process would store,
an unchanged folder costs seconds, a store never mixes embedding forms, a worker that
dies takes down only its own file, and the workers read files as main's hardening says
(a bounded child each; a hostile file refused with its one-line reason, nothing of it
written)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from samples.render import render_text
from scrkb.cli import app
from scrkb.config import Settings
from scrkb.index.search import Searcher
from scrkb.index.store import Store
from scrkb.index.vectors import VectorIndex
from scrkb.models import SearchQuery
from scrkb.nlp.embedding import embedding_text, get_embedder
from scrkb.services.ingest import Ingestor, ingest_paths
from scrkb.services.jobs import Jobs
from scrkb.services.pipeline import InlineExecutor, StageSeconds, Unit, Workers, run_units
from scrkb.services.retag import retag_store
from tests.hostile import docx_entity_bomb, html_deep, pdf_flate_bomb
from tests.services.test_ingest import _review

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _contents(settings: Settings, sources: set[str] | None = None) -> dict:
    """Everything a report stores, by source: text, vectors (bytes), tags, metadata."""
    with Store(settings.db_path) as store:
        out = {}
        for report_id in store.report_ids():
            report = store.get_report(report_id)
            if sources is not None and report.source not in sources:
                continue
            rows = store.execute(
                "SELECT embedding FROM passages WHERE report_id = ? ORDER BY ordinal", (report_id,)
            )
            out[report.source] = {
                "report": report.model_dump(exclude={"ingested_at", "provenance"}),
                "passages": [p.model_dump() for p in store.passages_for_report(report_id)],
                "vectors": [bytes(r[0]) for r in rows],
            }
    return out


def _exact(contents: dict) -> dict:
    """All but the tag confidences: the tagger's float32 matrix products round their last
    bit by batch shape and BLAS threads (~3e-7, today's pipeline too), which now and then
    moves a confidence kept to 4 decimals by one unit."""
    passages = [
        {**p, "themes": [{**t, "confidence": None} for t in p["themes"]]}
        for p in contents["passages"]
    ]
    return {**contents, "passages": passages}


def _confidences(contents: dict) -> list[float]:
    return [t["confidence"] for p in contents["passages"] for t in p["themes"]]


def test_pipeline_workers_store_what_one_process_stores(sample_corpus, tmp_path):
    if (os.cpu_count() or 1) > 1:
        assert sample_corpus.summary.workers >= 2  # the session corpus took the parallel path
    # every file reported once, when it was finished (the progress bar counts these)
    assert sorted(sample_corpus.reported) == sorted(sample_corpus.files)
    by_suffix = {p.suffix: p for p in sorted(sample_corpus.files)}
    some = [by_suffix[s] for s in (".pdf", ".docx", ".html", ".txt")]
    alone = Settings(home=tmp_path / "one", ingest_workers=1)
    summary = ingest_paths(some, alone)
    assert summary.workers == 0 and summary.count("added") == 4
    sources = {str(p.resolve()) for p in some}
    one = _contents(alone, sources)
    many = _contents(sample_corpus.settings, sources)
    assert set(one) == sources
    for source in sources:
        # the same passages, the same vectors to the bit, so the same tags and evidence
        assert _exact(one[source]) == _exact(many[source]), source
        assert np.allclose(_confidences(one[source]), _confidences(many[source]), atol=2e-4)


def test_pipeline_reingesting_an_unchanged_folder_costs_seconds(sample_corpus):
    folder = sample_corpus.files[0].parent
    code = (
        "import json, sys, time\n"
        "from scrkb.config import Settings\n"
        "from scrkb.services.ingest import ingest_paths\n"
        "start = time.perf_counter()\n"
        f"summary = ingest_paths([{str(folder)!r}], Settings(home={str(sample_corpus.settings.home)!r}))\n"
        "print(json.dumps({'seconds': time.perf_counter() - start,\n"
        "    'unchanged': summary.count('unchanged'), 'files': len(summary.outcomes),\n"
        "    'workers': summary.workers, 'busy': summary.seconds,\n"
        "    'loaded': [m for m in ('torch', 'onnxruntime', 'spacy') if m in sys.modules]}))\n"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)  # fmt: skip
    wall = time.perf_counter() - start
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["unchanged"] == result["files"] == len(sample_corpus.files)
    assert result["workers"] == 0 and result["loaded"] == []  # no model, no worker
    assert result["busy"]["extract"] == 0 and result["busy"]["embed"] == 0
    assert result["seconds"] < 5, result  # hashing the files is all it does
    assert wall < 30  # the interpreter and imports included, on a busy machine


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _isolate_children(parents: list[int]) -> dict[int, int]:
    """The extraction children (``python -m scrkb.ingest.isolate``) of the processes
    ``parents``, each with its address-space ceiling in bytes (/proc, Linux)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            limits = Path(f"/proc/{entry}/limits").read_text()
        except OSError:
            continue
        if int(stat[1]) in parents and b"scrkb.ingest.isolate" in cmdline:
            line = next(x for x in limits.splitlines() if x.startswith("Max address space"))
            found[int(entry)] = int(line.split()[3])
    return found


@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="reads /proc (Linux)")
def test_pipeline_workers_read_files_in_bounded_children_and_refuse_hostile_ones(tmp_path):
    good = [render_text(_review(c, f"Child {c.upper()}"), tmp_path / f"{c}.txt")
            for c in "abcdef"]  # fmt: skip
    bad = {
        "flate.pdf": ("too_large", pdf_flate_bomb(tmp_path / "flate.pdf")),
        "nested.html": ("too_complex", html_deep(tmp_path / "nested.html")),
        "laughs.docx": ("too_complex", docx_entity_bomb(tmp_path / "laughs.docx")),
    }
    settings = Settings(home=tmp_path / "home", ingest_workers=2, extract_memory_mb=700)
    ingestor = Ingestor(settings)
    children: dict[int, int] = {}
    try:
        workers = ingestor.warm(len(good) + len(bad))
        assert len(workers) == 2
        # warming started each worker's reader before its first file
        assert sorted(_parent_of(c) for c in _isolate_children(workers)) == workers
        summary = ingestor.ingest(
            [*good, *(path for _reason, path in bad.values())],
            on_file=lambda _path, _outcome: children.update(_isolate_children(workers)),
        )
    finally:
        ingestor.close()
    assert summary.workers == 2
    # every worker that read a file did so in a child of its own under the ceiling
    assert children and set(children.values()) == {700 * 2**20}
    assert not _isolate_children(workers), "the children end with the batch"
    by_name = {Path(o.path).name: o for o in summary.outcomes}
    for name, (reason, _path) in bad.items():
        outcome = by_name[name]
        assert (outcome.status, outcome.reason) == ("failed", reason), outcome
        assert outcome.message.startswith(name) and "\n" not in outcome.message
    assert all(by_name[p.name].status == "added" for p in good)
    with Store(settings.db_path) as store:  # nothing of a refused file was written
        stored = {store.get_report(r).source for r in store.report_ids()}
        assert stored == {str(p.resolve()) for p in good}
        assert not store.execute(
            "SELECT 1 FROM passages WHERE report_id NOT IN (SELECT id FROM reports)"
        )


def test_pipeline_a_store_of_another_form_is_reembedded_never_mixed(tmp_path):
    home = tmp_path / "home"
    first = render_text(_review("a", "Child A"), tmp_path / "a.txt")
    ingest_paths([first], Settings(home=home, embedding_form="fp32"))
    with Store(home / "scrkb.sqlite") as store:
        assert store.embedding_form() == "fp32"
        generation = store.generation()

    second = render_text(_review("b", "Child B", extra="The family was known to MARAC."),
                         tmp_path / "b.txt")  # fmt: skip
    seen: list[tuple[int, int]] = []
    summary = ingest_paths([second], Settings(home=home, embedding_form="int8"),
                           on_reembed=lambda done, total: seen.append((done, total)))  # fmt: skip
    assert summary.count("added") == 1 and summary.seconds["reembed"] > 0
    assert seen and seen[-1][0] == seen[-1][1] > 0  # progress reached the end
    int8 = get_embedder(Settings().resolved_model_path(), form="int8")
    with Store(home / "scrkb.sqlite") as store:
        assert store.embedding_form() == "int8" and store.generation() > generation
        rows = store.execute("SELECT text, heading_path_json, embedding FROM passages")
    texts = [embedding_text(r[0], json.loads(r[1])) for r in rows]
    stored = np.vstack([np.frombuffer(r[2], dtype=np.float32) for r in rows])
    assert np.array_equal(stored, int8.encode(texts))  # every vector, old and new: int8
    # a searcher configured for fp32 embeds its queries in the store's form
    searcher = Searcher(Settings(home=home, embedding_form="fp32"))
    assert searcher.vectors().form == "int8" and searcher.embedder.form == "int8"
    hits = searcher.search(SearchQuery(text="known to MARAC", k=1), mode="dense").hits
    assert "MARAC" in hits[0].text

    result = CliRunner().invoke(app, ["reembed", "--form", "fp32", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "int8 → fp32" in result.output
    with Store(home / "scrkb.sqlite") as store:
        assert store.embedding_form() == "fp32"
        again = np.vstack([np.frombuffer(r[0], dtype=np.float32)
                           for r in store.execute("SELECT embedding FROM passages")])  # fmt: skip
    fp32 = get_embedder(Settings().resolved_model_path(), form="fp32")
    assert np.array_equal(again, fp32.encode(texts))
    assert VectorIndex.load(home / "vectors").form == "fp32"  # the index was rebuilt
    with Store(home / "scrkb.sqlite") as store:  # recorded: a server holds its indexes
        (job,) = Jobs(store, Settings(home=home)).recent()
    assert (job.kind, job.status, job.params["form"]) == ("reembed", "succeeded", "fp32")

    # with the form unset, a store keeps the one it holds: no surprise re-embedding
    third = render_text(_review("c", "Child C"), tmp_path / "c.txt")
    summary = ingest_paths([third], Settings(home=home, embedding_form=None))
    assert summary.count("added") == 1 and "reembed" not in summary.seconds
    assert summary.embedding.startswith("fp32")
    with Store(home / "scrkb.sqlite") as store:
        assert store.embedding_form() == "fp32"


class _Step(Unit):
    """A unit whose prepare call is ``call``; it records how it ended."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def prepare_call(self):  # noqa: ANN201
        return str.upper, (self.name,)

    def prepared(self, result: str) -> bool:
        self.log.append(f"{self.name}:{result}")
        return False

    def fail(self, message: str) -> None:
        self.log.append(f"{self.name}:failed:{message}")


class _CrashingPool(InlineExecutor):
    """A pool whose process dies whenever it is handed the cursed name."""

    def submit(self, fn, /, *args, **kwargs):  # noqa: ANN001, ANN202
        if args == ("cursed",):
            future: Future = Future()
            future.set_exception(BrokenProcessPool("a worker died"))
            return future
        return super().submit(fn, *args, **kwargs)


class _Workers(Workers):
    def __init__(self) -> None:
        super().__init__(Settings(), count=2)
        self.started = 0

    def executor(self):  # noqa: ANN201
        self.started += self._pool is None
        self._pool = self._pool or _CrashingPool()  # type: ignore[assignment]
        return self._pool


def test_pipeline_a_dead_worker_takes_down_only_its_own_file():
    log: list[str] = []
    workers = _Workers()
    units = [_Step(name, log) for name in ("a", "cursed", "b", "c")]
    run_units(units, workers=workers, embedder=get_embedder(Settings().resolved_model_path()),
              seconds=StageSeconds())  # fmt: skip
    assert sorted(log) == ["a:A", "b:B", "c:C", "cursed:failed:a worker process died during "
                           "prepare (a parser crash, or out of memory)"]  # fmt: skip
    assert workers.restarts == 2 and workers.started == 2  # a new pool for the one retry


class _Held(_Step):
    """A unit holding a large buffer until it is released, and saying when that was."""

    def __init__(self, name: str, log: list[str]) -> None:
        super().__init__(name, log)
        self.buffer: bytes | None = b"x" * 1_000_000

    def release(self) -> None:
        self.log.append(f"{self.name}:released")
        self.buffer = None


def test_pipeline_done_units_let_go_of_what_they_held():
    """The batch keeps every unit to its end: each drops its text and vectors as soon as
    it is done (after ``on_done``), so memory does not grow with the corpus."""
    log: list[str] = []
    units = [_Held(name, log) for name in ("a", "b", "c")]
    run_units(units, workers=Workers(Settings(), count=0),
              embedder=get_embedder(Settings().resolved_model_path()), seconds=StageSeconds(),
              on_done=lambda unit: log.append(f"{unit.name}:done"))  # fmt: skip
    for name in ("a", "b", "c"):
        assert log.index(f"{name}:done") < log.index(f"{name}:released")
    assert all(u.buffer is None for u in units)


def test_retag_on_the_parallel_path_gives_the_same_tags_for_the_same_vectors(
    sample_corpus, tmp_path
):
    home = tmp_path / "home"
    home.mkdir()
    source = sample_corpus.settings.home
    with Store(source / "scrkb.sqlite") as store:  # a consistent copy of the session store
        store.execute(f"VACUUM INTO '{home / 'scrkb.sqlite'}'")
    shutil.copytree(source / "files", home / "files")
    settings = Settings(home=home)
    before = _contents(settings)
    with Store(settings.db_path) as store:
        generation = store.generation()
        store.execute("DELETE FROM passage_themes")
        store.execute("UPDATE recommendations SET themes_json = '[]'")
        store._conn.commit()
    started: list[int] = []
    result = retag_store(settings, on_start=started.append)
    assert started == [len(before)] and result["reports"] == len(before)
    assert not result["failed"]
    if (os.cpu_count() or 1) > 1:
        assert result["workers"] >= 2
    after = _contents(settings)
    assert {k: _exact(v) for k, v in after.items()} == {k: _exact(v) for k, v in before.items()}
    for source in before:  # tags, evidence, metadata, recommendations; confidences to 4 d.p.
        assert np.allclose(_confidences(after[source]), _confidences(before[source]), atol=2e-4)
    with Store(settings.db_path) as store:
        assert store.generation() == generation  # nothing re-embedded


def test_pipeline_workers_abort_stops_calls_in_flight_without_waiting(tmp_path):
    """An interrupted batch (Ctrl-C, SIGTERM) must not wait for the files in flight: a
    file can take minutes to read, and a service manager kills what outlives its stop."""
    workers = Workers(Settings(home=tmp_path), 2)
    pool = workers.executor()
    pids = {pool.submit(os.getpid).result() for _ in range(8)}
    stuck = [pool.submit(time.sleep, 120) for _ in range(2)]
    time.sleep(0.5)  # both sleeping now
    started = time.monotonic()
    workers.abort()
    assert time.monotonic() - started < 15, "abort waited for the calls in flight"
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    from concurrent.futures import wait as wait_for

    assert not wait_for(stuck, timeout=10).not_done, "the calls in flight were ended too"
    workers.close()  # nothing left to close: a no-op
