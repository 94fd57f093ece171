"""Ingest throughput beside plain torch embedding of the same passages, in the same run.

For each workload the whole ingest (extract, structure, embed, tag, store, vector index)
runs into a fresh data home with every model already loaded in every process (the
worker processes too: ``Ingestor.warm``, timed apart as "start"), and the passages it
stored are then embedded by plain sentence-transformers on torch (fp32, torch's own
threads, batches of 32) — the reference the ratio is taken against. Ingest and reference
alternate for ``--rounds`` rounds (default 2) and the ratio is total ingest time over
total reference time, so a change in the machine's load during the run touches both;
each round's own ratio is printed too. Peak memory is the largest sum of the resident
sets of this process and its workers, sampled every 0.2 s.

Workloads: the bundled sample corpus (27 fictional reviews rendered to PDF, DOCX, HTML
and text; ``--copies N`` ingests N renderings of it, each with its own last sentence)
and one 60-page PDF (a single file: it runs in one process, no workers). Where torch
sees a CUDA GPU, the fp32 bulk re-embedding path (``scrkb reembed --form fp32``) is timed
on the same passages too.

    .venv/bin/python bench/ingest_throughput.py [--copies 1] [--json]

National-scale dry run (``--national N``): N passages (default 100,000) of generated
report text — sentences of the sample corpus recombined into ~120-word paragraphs, 150
paragraphs to a plain-text report — through the same whole pipeline into one store,
reporting hours per 100k passages and peak memory; the torch reference is measured on
2,000 of those passages in the same run. About an hour on 2 cores:

    .venv/bin/python bench/ingest_throughput.py --national 100000 [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from samples.render import build_samples, parse_review, render_pdf  # noqa: E402
from scrkb.config import Settings, default_model_path  # noqa: E402
from scrkb.index.store import Store  # noqa: E402
from scrkb.nlp.embedding import embedding_text, get_embedder  # noqa: E402
from scrkb.nlp.passages import split_sentences  # noqa: E402
from scrkb.services.ingest import Ingestor  # noqa: E402


class PeakMemory:
    """The largest total resident set of this process and its descendants, sampled."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float:
        return round(self.peak / 2**20, 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(os.getpid()))
            self._stop.wait(self.every)


SKIP: set[int] = set()  # the reference's process: not part of the ingest


def _tree(root: int) -> list[list[str]]:
    """/proc/PID/stat fields (after the name) of ``root`` and every process below it,
    but for the processes in ``SKIP``."""
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    stats[int(entry)] = fh.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        if pid in stats and pid not in SKIP:
            out.append(stats[pid])
            stack.extend(child for child, f in stats.items() if int(f[1]) == pid)
    return out


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and every process below it (Linux /proc)."""
    return sum(int(f[21]) for f in _tree(root)) * os.sysconf("SC_PAGE_SIZE")


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and the processes below it."""
    return sum(int(f[11]) + int(f[12]) for f in _tree(root)) / os.sysconf("SC_CLK_TCK")


def stored_texts(home: Path) -> list[str]:
    with Store(home / "scrkb.sqlite") as store:
        rows = store.execute("SELECT text, heading_path_json FROM passages ORDER BY rowid")
    return [embedding_text(r[0], json.loads(r[1])) for r in rows]


def _torch_embed(texts: list[str]) -> tuple[float, float, int]:
    """Wall and CPU seconds (every torch thread) for plain torch to embed ``texts``."""
    embedder = get_embedder(default_model_path(), 32, form="fp32", runtime="torch-cpu")
    cpu, start = time.process_time(), time.perf_counter()
    embedder.encode(texts, batch_size=32)
    return time.perf_counter() - start, time.process_time() - cpu, os.getpid()


def _cuda_embed(texts: list[str]) -> float | None:
    """Seconds for the fp32 form on a CUDA GPU (the bulk re-embedding path), if torch sees one."""
    from scrkb.nlp.embedding import cuda_available

    if not cuda_available():
        return None
    embedder = get_embedder(default_model_path(), 128, form="fp32", runtime="torch-cuda")
    embedder.encode(texts[:8])
    start = time.perf_counter()
    embedder.encode(texts)
    return time.perf_counter() - start


_REFERENCE: ProcessPoolExecutor | None = None
REFERENCE_CPU: list[float] = []  # CPU seconds of each torch_reference call


def torch_reference(texts: list[str]) -> float:
    """Seconds for plain sentence-transformers (fp32, torch, its own threads, batches of 32)
    to embed ``texts``. It runs in a process of its own, kept warm between calls, so that
    this one holds no torch and its memory is what ``scrkb ingest`` would hold."""
    global _REFERENCE
    if _REFERENCE is None:
        _REFERENCE = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    seconds, cpu, pid = _REFERENCE.submit(_torch_embed, texts).result()
    SKIP.add(pid)
    REFERENCE_CPU.append(cpu)
    return seconds


def cuda_bulk(texts: list[str]) -> float | None:
    torch_reference(["warm up"])
    assert _REFERENCE is not None
    return _REFERENCE.submit(_cuda_embed, texts).result()


def run(files: list[Path], home: Path, settings: Settings, *, progress: int = 0) -> dict:
    """One whole ingest of ``files`` into ``home``; ``progress``: print a line to stderr
    every that many files (wall and CPU seconds, passages, peak memory so far), so a run
    stopped early still says what it reached."""
    ingestor = Ingestor(settings.model_copy(update={"home": home}))
    start = time.perf_counter()
    ingestor.warm(len(files))  # spawn the workers and load every model before the clock
    warm_seconds = time.perf_counter() - start
    with PeakMemory() as memory:
        cpu = tree_cpu(os.getpid())
        start = time.perf_counter()
        done = {"files": 0, "passages": 0}

        def on_file(_path: Path, outcome) -> None:  # noqa: ANN001
            done["files"] += 1
            done["passages"] += outcome.passages
            if progress and done["files"] % progress == 0:
                wall, used = time.perf_counter() - start, tree_cpu(os.getpid()) - cpu
                print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC] {done['files']}/"
                      f"{len(files)} files, {done['passages']} passages, {wall:.0f} s wall, "
                      f"{used:.0f} CPU-s (live processes), peak {memory.mb:.0f} MB",
                      file=sys.stderr, flush=True)  # fmt: skip

        summary = ingestor.ingest(files, on_file=on_file)
        seconds = time.perf_counter() - start
        cpu = tree_cpu(os.getpid()) - cpu
    ingestor.close()
    return {
        "files": len(files),
        "pages": summary.pages,
        "passages": summary.passages,
        "failures": len(summary.failures),
        "workers": summary.workers,
        "embedding": summary.embedding,
        "start_seconds": round(warm_seconds, 2),
        "seconds": round(seconds, 2),
        "pages_per_s": round(summary.pages / seconds, 2),
        "passages_per_s": round(summary.passages / seconds, 2),
        "cpu_seconds": round(cpu, 1),
        "cores_used": round(cpu / seconds, 2),
        "cpu_seconds_by_stage": {k: round(v, 1) for k, v in summary.seconds.items() if v},
        "peak_memory_mb": memory.mb,
    }


def compare(files: list[Path], tmp: Path, settings: Settings, rounds: int) -> dict:
    """Ingest and the torch reference on the passages it stored, alternating."""
    runs, references, reference_cpu = [], [], []
    for i in range(rounds):
        home = tmp / f"home-{i}"
        runs.append(run(files, home, settings))
        texts = stored_texts(home)
        references.append(torch_reference(texts))
        reference_cpu.append(REFERENCE_CPU[-1])
    result = dict(runs[-1])
    cpu = sum(r["cpu_seconds"] for r in runs) / rounds
    seconds = sum(r["seconds"] for r in runs) / rounds
    reference = sum(references) / rounds
    own = get_embedder(default_model_path(), form=settings.embedding_form_for(None))
    start = time.perf_counter()
    own.encode(texts, threads=os.cpu_count() or 1)
    own_seconds = time.perf_counter() - start
    cuda = cuda_bulk(texts)
    result.update(
        seconds=round(seconds, 2),
        pages_per_s=round(result["pages"] / seconds, 2),
        passages_per_s=round(result["passages"] / seconds, 2),
        peak_memory_mb=max(r["peak_memory_mb"] for r in runs),
        rounds=[
            {
                "ingest_seconds": r["seconds"],
                "reference_seconds": round(ref, 2),
                "ratio": round(r["seconds"] / ref, 3),
            }
            for r, ref in zip(runs, references, strict=True)
        ],  # fmt: skip
        reference_seconds=round(reference, 2),
        reference_passages_per_s=round(len(texts) / reference, 2),
        embedder_alone_passages_per_s=round(len(texts) / own_seconds, 2),
        cuda_fp32_passages_per_s=round(len(texts) / cuda, 1) if cuda else None,
        ratio=round(seconds / reference, 3),
        cpu_seconds=round(cpu, 1),
        reference_cpu_seconds=round(sum(reference_cpu) / rounds, 1),
        cpu_ratio=round(cpu / (sum(reference_cpu) / rounds), 3),
    )
    return result


def sample_files(out: Path, copies: int) -> list[Path]:
    """The sample corpus rendered ``copies`` times; each copy after the first ends every
    review with a sentence naming the copy, so none is skipped as a duplicate."""
    files: list[Path] = []
    for copy in range(copies):
        source = ROOT / "samples" / "reviews"
        if copy:
            source = out / f"sources{copy}"
            source.mkdir(parents=True, exist_ok=True)
            for review in sorted((ROOT / "samples" / "reviews").glob("*.md")):
                text = review.read_text(encoding="utf-8").rstrip()
                (source / review.name).write_text(
                    f"{text}\n\nThis is rendering {copy + 1} of the review, for a benchmark.\n",
                    encoding="utf-8",
                )
        files.extend(build_samples(source, out / f"copy{copy}"))
    return files


def national_files(out: Path, passages: int) -> list[Path]:
    """Plain-text reports of recombined sample sentences, ~``passages`` paragraphs in all."""
    sentences: list[str] = []
    for path in sorted((ROOT / "samples" / "reviews").glob("*.md")):
        body = path.read_text(encoding="utf-8").split("---", 2)[2]
        for para in body.split("\n\n"):
            text = " ".join(para.split())
            if len(text.split()) > 30 and not text.startswith("#"):
                sentences.extend(
                    text[s:e] for s, e in split_sentences(text) if len(text[s:e].split()) > 5
                )
    rng = random.Random(100_000)
    out.mkdir(parents=True, exist_ok=True)
    files, made, per_report = [], 0, 150
    while made < passages:
        n = min(per_report, passages - made)
        lines = [f"Child Safeguarding Practice Review: Child G{len(files):05d} (generated)", ""]
        for i in range(n):
            if i % 15 == 0:
                lines += [f"{i // 15 + 1}. Findings part {i // 15 + 1}", ""]
            words, parts = 0, []
            while words < 120:
                sentence = rng.choice(sentences)
                parts.append(sentence)
                words += len(sentence.split())
            lines += [f"{i // 15 + 1}.{i % 15 + 1} " + " ".join(parts), ""]
        path = out / f"generated-{len(files):05d}.txt"
        path.write_text("\n".join(lines), encoding="utf-8")
        files.append(path)
        made += n
    return files


def national(passages: int, tmp: Path, settings: Settings) -> dict:
    files = national_files(tmp / "national", passages)
    result = run(files, tmp / "home-national", settings, progress=20)
    texts = stored_texts(tmp / "home-national")
    sample = random.Random(1).sample(texts, min(2000, len(texts)))
    reference = torch_reference(sample)
    reference_cpu = REFERENCE_CPU[-1]
    per_100k = 100_000 / result["passages_per_s"] / 3600
    reference_per_100k = 100_000 / (len(sample) / reference) / 3600
    # On a shared machine wall time depends on the neighbours; CPU seconds do not (much).
    # Two dedicated cores kept busy finish in CPU seconds / 2: the dedicated-core estimate.
    cpu_per_100k = result["cpu_seconds"] / result["passages"] * 100_000
    reference_cpu_per_100k = reference_cpu / len(sample) * 100_000
    result.update(
        hours_per_100k=round(per_100k, 2),
        reference_hours_per_100k=round(reference_per_100k, 2),
        reference_sample=len(sample),
        ratio=round(per_100k / reference_per_100k, 3),
        cpu_hours_per_100k=round(cpu_per_100k / 3600, 2),
        two_core_hours_per_100k=round(cpu_per_100k / 2 / 3600, 2),
        reference_cpu_hours_per_100k=round(reference_cpu_per_100k / 3600, 2),
        cpu_ratio=round(cpu_per_100k / reference_cpu_per_100k, 3),
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=1, help="renderings of the sample corpus")
    parser.add_argument("--rounds", type=int, default=2, help="ingest/reference alternations")
    parser.add_argument("--workers", type=int, default=None, help="SCRKB_INGEST_WORKERS")
    parser.add_argument("--form", choices=["int8", "fp32"], default=None)
    parser.add_argument("--national", type=int, nargs="?", const=100_000, default=None,
                        help="passages for the national-scale dry run (alone)")  # fmt: skip
    parser.add_argument(
        "--reference-only",
        type=Path,
        default=None,
        metavar="HOME",
        help="only the torch reference, on --sample passages stored in HOME "
        "(a national run stopped early: its store is left in the temp folder)",
    )
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.reference_only:
        texts = stored_texts(args.reference_only)
        sample = random.Random(1).sample(texts, min(args.sample, len(texts)))
        torch_reference(["warm up"])
        seconds = torch_reference(sample)
        cpu = REFERENCE_CPU[-1]
        print(json.dumps({"stored": len(texts), "sample": len(sample),
                          "reference_seconds": round(seconds, 2),
                          "reference_cpu_seconds": round(cpu, 2),
                          "reference_cpu_hours_per_100k": round(cpu / len(sample) * 1e5 / 3600, 3),
                          }))  # fmt: skip
        return
    update = {k: v for k, v in (("ingest_workers", args.workers), ("embedding_form", args.form))
              if v is not None}  # fmt: skip
    settings = Settings().model_copy(update=update)
    torch_reference(["warm up"])  # load torch and the model outside every timing
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if args.national:
            results["national dry run"] = national(args.national, tmp_path, settings)
        else:
            files = sample_files(tmp_path / "samples", args.copies)
            name = "sample corpus" + (f" x{args.copies}" if args.copies > 1 else "")
            results[name] = compare(files, tmp_path / "samples-run", settings, args.rounds)
            long_pdf = render_pdf(
                parse_review(ROOT / "samples" / "reviews" / "ivelsham-child-j-2010.md"),
                tmp_path / "long.pdf",
                repeat=8,
            )
            results["60-page PDF"] = compare(
                [long_pdf], tmp_path / "long-run", settings, args.rounds
            )
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, r in results.items():
        print(
            f"{name}: {r['files']} files ({r['failures']} failed), {r['pages']} pages, "
            f"{r['passages']} passages, {r['workers']} workers, embedding {r['embedding']}"
        )
        print(
            f"  ingest {r['seconds']:.1f} s = {r['passages_per_s']:.1f} passages/s "
            f"({r['pages_per_s']:.1f} pages/s); workers and models started beforehand in "
            f"{r['start_seconds']:.1f} s"
        )
        if "hours_per_100k" in r:
            print(
                f"  {r['hours_per_100k']:.2f} h per 100k passages; plain torch embedding "
                f"{r['reference_hours_per_100k']:.2f} h per 100k (measured on "
                f"{r['reference_sample']} of them); ratio {r['ratio']:.2f}"
            )
            print(
                f"  by CPU: {r['cpu_hours_per_100k']:.2f} CPU-hours per 100k passages, so "
                f"{r['two_core_hours_per_100k']:.2f} h per 100k on two dedicated cores; "
                f"plain torch {r['reference_cpu_hours_per_100k']:.2f} CPU-hours per 100k; "
                f"CPU ratio {r['cpu_ratio']:.2f}"
            )
        else:
            print(
                f"  plain torch embedding of the same passages {r['reference_seconds']:.1f} s "
                f"= {r['reference_passages_per_s']:.1f} passages/s; ratio ingest/torch "
                f"{r['ratio']:.2f} (rounds: "
                + ", ".join(
                    f"{x['ingest_seconds']:.1f}/{x['reference_seconds']:.1f} s = {x['ratio']:.2f}"
                    for x in r["rounds"]
                )
                + ")"
            )
            print(
                f"  CPU seconds: ingest {r['cpu_seconds']:.0f}, plain torch "
                f"{r['reference_cpu_seconds']:.0f}; CPU ratio {r['cpu_ratio']:.2f}"
            )
            print(
                f"  the {settings.embedding_form_for(None)} embedder alone on all cores: "
                f"{r['embedder_alone_passages_per_s']:.1f} passages/s"
            )
            cuda = r["cuda_fp32_passages_per_s"]
            print(
                "  bulk re-embedding on CUDA (fp32): "
                + (f"{cuda:.1f} passages/s" if cuda else "no CUDA GPU here, not measured")
            )
        print(
            f"  CPU: {r['cpu_seconds']:.0f} s over {r['cores_used']:.2f} cores on average; by "
            f"stage (summed over processes): {r['cpu_seconds_by_stage']}"
        )
        print(f"  peak memory (this process and its workers): {r['peak_memory_mb']:.0f} MB")


if __name__ == "__main__":
    main()
