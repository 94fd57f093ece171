"""What the query glossary costs: search latency of shorthand-heavy queries with the
glossary on and off, side by side in one run, over a generated corpus.

Shorthand groups bring back long posting lists ("cp" is also "child protection", and
"child" is in most passages), so their cost is measured on queries full of it, not on
the writers' mix that ``bench/search_latency.py`` samples.

    .venv/bin/python bench/search_latency.py --sizes 300000   # generates the corpus once
    .venv/bin/python bench/glossary_latency.py [--home data/bench/300000-v2] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search_latency import BENCH_HOMES, latency_stats  # noqa: E402
from scrkb.config import settings_for  # noqa: E402
from scrkb.index.search import Searcher  # noqa: E402
from scrkb.models import SearchQuery  # noqa: E402

# Written for this bench in the way practitioners type (fictional; no query set's text).
SHORTHAND = [
    "hv missed new birth visit",
    "cp plan transferred late",
    "CAMHS waiting list self harm",
    "mum new boyfriend never checked",
    "nan looked after the baby",
    "DV MARAC referral",
    "LAC placement breakdown",
    "A&E attendance bruise 4 month old",
    "SUDI co-sleeping dad drinking",
    "CSE missing episodes",
    "s47 strategy discussion",
    "health visitor hv records",
    "CIN plan drift",
    "EHE child not seen",
    "DSL referral MASH",
    "stepdad not assessed",
    "PND mum GP",
    "CCE county lines",
    "FII repeated hospital visits",
    "IRO challenge drift",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=BENCH_HOMES / "300000-v2")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if not (args.home / "scrkb.sqlite").exists():
        sys.exit(f"{args.home} has no store: run bench/search_latency.py first")
    settings = settings_for(args.home)
    searchers = {
        "glossary on": Searcher(settings),
        "glossary off": Searcher(settings.model_copy(update={"query_glossary": False})),
    }
    for searcher in searchers.values():
        searcher.warm()
        searcher.search(SearchQuery(text="warm up", k=10))
    times: dict[str, list[float]] = {name: [] for name in searchers}
    for _ in range(args.repeats):
        for query in SHORTHAND:
            for name, searcher in searchers.items():  # alternating: both see the same load
                start = time.perf_counter()
                searcher.search(SearchQuery(text=query, k=10))
                times[name].append((time.perf_counter() - start) * 1000)
    out: dict = {name: latency_stats(v) for name, v in times.items()}
    out["passages"] = searchers["glossary on"].lexical_index().size
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
