"""Benchmark GET /api/search over HTTP: p50/p95 latency and requests/s, 1 and 2 workers.

Builds (once) a synthetic knowledge base of ``--passages`` passages: report-like text
assembled from the sample corpus's sentences (so FTS5 sees realistic vocabulary and
passage lengths), random unit vectors for the dense arm (FAISS cost depends on count and
dimension, not content), and random theme tags. Then, for each worker count, starts
``scrkb serve --workers N`` as a real uvicorn process and drives it with concurrent
clients for ``--duration`` seconds.

Query mix: 60% fresh word combinations (no embedding-cache hits), 25% fixed phrases
(repeats, as real users send), 15% empty-query theme browsing with filters.

    .venv/bin/python bench/api_latency.py                 # 100k passages, workers 1 and 2
    .venv/bin/python bench/api_latency.py --passages 20000 --duration 10

Writes JSON to bench/results/api_latency.json (or ``--out``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DIMENSION = 384
NATIONS = ["England", "England", "England", "Wales", "Scotland", "Northern Ireland"]
REVIEW_TYPES = ["scr", "lcspr", "cpr", "lr", "cmr", "rapid", "national"]
AGE_BANDS = ["under 1", "1-4", "5-9", "10-14", "15-17"]
PHRASES = [
    "baby with a bruise seen in hospital and sent home",
    "mother's new boyfriend never assessed",
    "school worried but nobody escalated",
    "teenager groomed by older men and going missing",
    "missed health appointments was not brought",
    "domestic abuse police call-outs not shared with school",
    "neglect over many years start again syndrome",
    "co-sleeping on a sofa after drinking alcohol",
    "information not shared between adult mental health and children's services",
    "threshold not met referral closed with no further action",
]
THEMES_FOR_BROWSE = ["neglect", "domestic_abuse", "information_sharing", "unseen_men"]


def sentences() -> list[str]:
    out: list[str] = []
    for path in sorted((ROOT / "samples" / "reviews").glob("*.md")):
        text = path.read_text(encoding="utf-8").split("---", 2)[-1]
        for para in text.split("\n\n"):
            if para.startswith("#"):
                continue
            out += [s.strip() for s in re.split(r"(?<=[.!?])\s+", para) if len(s.split()) >= 6]
    return out


def build_home(home: Path, passages: int, *, per_report: int = 100, seed: int = 7) -> None:
    """Write a synthetic store of ``passages`` passages, then its FAISS index."""
    sys.path.insert(0, str(ROOT))
    from scrkb.config import Settings
    from scrkb.index.store import Store
    from scrkb.index.vectors import sync_vector_index
    from scrkb.models import Passage, Recommendation, Report, ReportMetadata, ThemeTag
    from scrkb.nlp.taxonomy import default_taxonomy

    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    pool = sentences()
    theme_ids = default_taxonomy().ids
    settings = Settings(home=home)
    home.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with Store(settings.db_path) as store:
        for r in range(passages // per_report):
            rid = f"rbench{r:06d}"
            year = rng.randint(2008, 2025)
            report = Report(
                id=rid,
                title=f"Serious Case Review: Child {chr(65 + r % 26)}{r}",
                source=f"https://example.org/reviews/{rid}.pdf",
                source_url=f"https://example.org/reviews/{rid}.pdf",
                sha256=f"{r:064x}",
                format="pdf",
                size_bytes=1_000_000,
                page_count=per_report // 2,
                metadata=ReportMetadata(
                    review_type=rng.choice(REVIEW_TYPES),
                    nation=rng.choice(NATIONS),
                    partnership=f"Partnership {r % 150}",
                    year=year,
                    age_band=rng.choice(AGE_BANDS),
                ),
                recommendations=[
                    Recommendation(
                        number=str(i + 1), text=rng.choice(pool), themes=[rng.choice(theme_ids)]
                    )
                    for i in range(3)
                ],
            )
            items: list[Passage] = []
            for i in range(per_report):
                text = " ".join(rng.sample(pool, rng.randint(5, 9)))
                tags = [
                    ThemeTag(
                        theme_id=t,
                        confidence=round(rng.uniform(0.5, 1.0), 3),
                        evidence=text[:80],
                        start=0,
                        end=min(80, len(text)),
                    )
                    for t in rng.sample(theme_ids, rng.randint(0, 3))
                ]
                items.append(
                    Passage(
                        id=f"{rid}-{i:04d}",
                        report_id=rid,
                        ordinal=i,
                        text=text,
                        heading_path=[f"{1 + i // 20}. Section"],
                        page_start=1 + i // 2,
                        page_end=1 + i // 2,
                        char_start=0,
                        char_end=len(text),
                        themes=tags,
                    )
                )
            vecs = nprng.standard_normal((per_report, DIMENSION)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            # random unit vectors, filed as the configured form (queries are embedded in it)
            store.replace_report(report, items, vecs, form=settings.embedding_form_for(None))
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sync_vector_index(store, settings.vectors_dir, model_path=settings.resolved_model_path())
    print(
        f"built {passages} passages in {time.perf_counter() - started:.0f}s at {home}", flush=True
    )


def make_request(rng: random.Random, words: list[str]) -> dict[str, object]:
    roll = rng.random()
    if roll < 0.60:
        return {"q": " ".join(rng.sample(words, rng.randint(3, 7)))}
    if roll < 0.85:
        return {"q": rng.choice(PHRASES)}
    return {"theme": rng.choice(THEMES_FOR_BROWSE), "year_from": rng.randint(2008, 2020)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def drive(base: str, duration: float, concurrency: int, seed: int) -> dict[str, object]:
    import httpx

    words = sorted({w.lower() for s in sentences() for w in re.findall(r"[A-Za-z]{5,}", s)})
    rng = random.Random(seed)
    latencies: list[float] = []
    errors = 0
    deadline = 0.0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            params = make_request(rng, words)
            t = time.perf_counter()
            r = await client.get("/api/search", params=params)
            latencies.append((time.perf_counter() - t) * 1000)
            if r.status_code != 200:
                errors += 1

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        for _ in range(30):  # warm-up, not measured
            await client.get("/api/search", params=make_request(rng, words))
        started = time.perf_counter()
        deadline = started + duration
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 1),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(latencies), 1),
    }


def run_server(home: Path, workers: int, duration: float, concurrency: int) -> dict[str, object]:
    import httpx

    port = free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "SCRKB_ADMIN_TOKEN": "",
    }
    cmd = [
        sys.executable, "-c", "from scrkb.cli import app; app()", "serve",
        "--home", str(home), "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        ready = 0
        while ready < 5 * workers:  # several answers in a row: every worker has loaded
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()[-2000:] if proc.stderr else "exited")
            if time.monotonic() > deadline:
                raise RuntimeError("server never became ready")
            try:
                ok = httpx.get(f"{base}/readyz", timeout=5).status_code == 200
            except httpx.HTTPError:
                ok = False
            ready = ready + 1 if ok else 0
            time.sleep(0.2 if ok else 1.0)
        result = asyncio.run(drive(base, duration, concurrency, seed=workers))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {"workers": workers, "concurrency": concurrency, **result}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--home", type=Path, default=None, help="Default: data/bench/api-<N>")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--duration", type=float, default=20.0, help="Seconds of load per run.")
    parser.add_argument("--concurrency", type=int, default=8, help="Concurrent clients.")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "api_latency.json")
    args = parser.parse_args()

    home = args.home or ROOT / "data" / "bench" / f"api-{args.passages}"
    if args.rebuild or not (home / "scrkb.sqlite").exists():
        if home.exists():
            import shutil

            shutil.rmtree(home)
        build_home(home, args.passages)
    runs = []
    for workers in args.workers:
        print(
            f"workers={workers}: {args.duration:.0f}s of load at concurrency {args.concurrency}",
            flush=True,
        )
        run = run_server(home, workers, args.duration, args.concurrency)
        print(json.dumps(run), flush=True)
        runs.append(run)
    result = {
        "benchmark": "api_latency",
        "endpoint": "GET /api/search",
        "passages": args.passages,
        "query_mix": "60% fresh word combinations, 25% repeated phrases, 15% theme browse",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
