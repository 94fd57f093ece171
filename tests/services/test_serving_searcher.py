"""The server's searcher while a job writes: it keeps the indexes it has and takes up the
changes once the job ends, whether they moved the store's generation (new passages) or
only its tags (a retag)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from scrkb.config import Settings
from scrkb.index.store import Store, utcnow
from scrkb.models import ReportMetadata, SearchQuery, ThemeTag
from scrkb.services.jobs import Jobs, ServingSearcher, recorded_job
from tests.factories import embed, embedding_form, make_passage, make_report

pytestmark = pytest.mark.slow

# Fictional passages in the register of published reviews.
TEXTS = [
    "The health visitor saw a bruise on the baby's ear and accepted the mother's account.",
    "Bruising to a baby who is not independently mobile must always be referred.",
    "The school nurse was not invited to the strategy discussion about the older sister.",
]


def test_a_retag_during_a_job_reaches_search_when_the_job_ends_never_midway(tmp_path) -> None:
    settings = Settings(home=tmp_path)
    passages = [make_passage("rj", i, t) for i, t in enumerate(TEXTS)]
    with Store(tmp_path / "scrkb.sqlite") as store:
        store.replace_report(make_report("rj"), passages, embed(TEXTS), form=embedding_form())
    searcher = ServingSearcher(settings)
    before = searcher.lexical_index()
    column = before.theme_ids.index("non_mobile_injury")
    assert not before.theme_conf[:, column].any()

    # An ingest job of this server, running (this process is its live worker), while a
    # `scrkb retag` from the command line swaps one report's tags.
    with searcher.store.transaction() as conn:
        conn.execute(
            "INSERT INTO jobs (id, kind, status, params_json, pid, host, created_at) "
            "VALUES ('jingest', 'ingest', 'running', ?, ?, ?, ?)",
            (json.dumps({}), os.getpid(), socket.gethostname(), utcnow()),
        )
    tag = ThemeTag(
        theme_id="non_mobile_injury", confidence=0.8, evidence=TEXTS[1][:40], start=0, end=40
    )
    searcher.store.replace_annotations("rj", ReportMetadata(), [], {passages[1].id: [tag]})
    assert searcher.jobs.active() == 1
    assert searcher.lexical_index() is before  # mid-job: what is loaded, no rebuild

    with searcher.store.transaction() as conn:
        conn.execute("UPDATE jobs SET status = 'succeeded' WHERE id = 'jingest'")
    after = searcher.lexical_index()
    assert after is not before
    assert after.theme_conf[:, column].astype(bool).tolist() == [False, True, False]
    searcher.store.close()


# Two fictional reviews that both speak of bruising; one is re-ingested mid-job.
FIRST = [
    "Bruising to the baby's cheek was seen by the GP and put down to teething.",
    "The bruise on the baby's arm was not referred to children's social care.",
    "A second bruise was seen at nursery; the nursery manager spoke to the mother.",
]
SECOND = [
    "The health visitor noted a bruise on the infant's forehead at the home visit.",
    "Bruising in a non-mobile baby was not discussed at the strategy meeting.",
]


def test_passages_a_job_replaced_are_neither_counted_nor_leave_a_page_short(tmp_path) -> None:
    settings = Settings(home=tmp_path)
    with Store(tmp_path / "scrkb.sqlite") as store:
        for rid, texts in (("ra", FIRST), ("rb", SECOND)):
            passages = [make_passage(rid, i, t) for i, t in enumerate(texts)]
            store.replace_report(make_report(rid), passages, embed(texts), form=embedding_form())
    searcher = ServingSearcher(settings)
    query = SearchQuery(text="bruise on a baby", k=3, per_report=0)
    assert searcher.search(query).total == 5
    loaded = searcher.lexical_index()
    with searcher.store.transaction() as conn:  # an ingest job of this server, running
        conn.execute(
            "INSERT INTO jobs (id, kind, status, params_json, pid, host, created_at) "
            "VALUES ('jingest', 'ingest', 'running', ?, ?, ?, ?)",
            (json.dumps({}), os.getpid(), socket.gethostname(), utcnow()),
        )
    # the job adds a review: nothing the index holds was deleted, so nothing is masked
    added = ["The bruise was photographed and shown to the paediatrician (fictional)."]
    searcher.store.replace_report(
        make_report("rc"), [make_passage("rc", 0, added[0])], embed(added), form=embedding_form()
    )
    assert searcher.live_mask(loaded) is None
    assert searcher.search(query).total == 5, "the new review waits for the job's end"
    # the job re-reads review A from a new copy of its file: its passages are replaced
    renewed = ["The review found no record of the bruise in the GP notes (fictional)."]
    searcher.store.replace_report(
        make_report("ra"),
        [make_passage("ra", 0, renewed[0])],
        embed(renewed),
        form=embedding_form(),
    )
    assert searcher.lexical_index() is loaded  # mid-job: no rebuild

    results = searcher.search(query)
    assert results.total == 2, "only review B's passages are still stored and indexed"
    assert [h.report_id for h in results.hits] == ["rb", "rb"]
    assert all(h.text in SECOND for h in results.hits)
    second_page = searcher.search(query.model_copy(update={"offset": 3}))
    assert (second_page.total, second_page.hits) == (2, [])

    with searcher.store.transaction() as conn:
        conn.execute("UPDATE jobs SET status = 'succeeded' WHERE id = 'jingest'")
    after = searcher.search(query)
    assert after.total == 4 and {h.report_id for h in after.hits} <= {"ra", "rb", "rc"}
    assert searcher._live is None, "the index the mask was for is not kept alive"
    searcher.store.close()


def test_command_line_work_recorded_as_a_job_holds_a_servers_indexes(tmp_path) -> None:
    settings = Settings(home=tmp_path)
    with Store(tmp_path / "scrkb.sqlite") as store:
        passages = [make_passage("rk", i, t) for i, t in enumerate(TEXTS)]
        store.replace_report(make_report("rk"), passages, embed(TEXTS), form=embedding_form())
    searcher = ServingSearcher(settings)
    loaded = searcher.lexical_index()
    with recorded_job(settings, "retag", {"from": "command line"}) as job:
        assert searcher.jobs.active() == 1
        searcher.store.replace_annotations("rk", ReportMetadata(), [], {})
        assert searcher.lexical_index() is loaded  # held, as for the server's own jobs
        job.message = "re-tagged 1 reports, 0 failed"
    (done,) = searcher.jobs.recent()
    assert (done.kind, done.status, done.message) == (
        "retag",
        "succeeded",
        "re-tagged 1 reports, 0 failed",
    )
    assert searcher.jobs.active() == 0 and searcher.lexical_index() is not loaded

    with pytest.raises(KeyboardInterrupt), recorded_job(settings, "ingest", {}):
        raise KeyboardInterrupt
    (stopped,) = [j for j in searcher.jobs.recent() if j.kind == "ingest"]
    assert (stopped.status, stopped.message) == ("failed", "KeyboardInterrupt")

    # a failure that names a file under the home is recorded with the home as <home>
    log = tmp_path / "crawl" / "logs" / "site.log"
    with pytest.raises(OSError), recorded_job(settings, "crawl", {}):
        raise OSError(f"crawl of site failed; log {log}")
    (failed,) = [j for j in searcher.jobs.recent() if j.kind == "crawl"]
    assert failed.message == "OSError: crawl of site failed; log <home>/crawl/logs/site.log"
    searcher.store.close()


def test_job_records_name_paths_from_what_was_given_down(tmp_path, monkeypatch) -> None:
    from scrkb.services.jobs import shown_path

    monkeypatch.chdir(tmp_path)
    nested = tmp_path / "srv" / "reviews" / "2019"
    nested.mkdir(parents=True)
    (nested / "a.pdf").write_bytes(b"%PDF")
    (tmp_path / "secret").mkdir()
    roots = [Path("srv/reviews")]
    assert shown_path("srv/reviews/2019/a.pdf", roots) == "reviews/2019/a.pdf"
    assert shown_path(tmp_path / "srv/reviews/2019/a.pdf", roots) == "reviews/2019/a.pdf"
    assert shown_path("srv/reviews", roots) == "reviews"
    assert shown_path("./srv/reviews/2019/a.pdf", [Path("./srv/reviews/")]) == "reviews/2019/a.pdf"
    # a path that climbs out of its root, or lies outside every root, shows its name only
    assert shown_path("srv/reviews/../../secret/x.pdf", roots) == "x.pdf"
    assert shown_path("/etc/passwd", roots) == "passwd"
    # a root given as "." or through ".." shows paths from the folder it names down
    assert shown_path("srv/reviews/2019/a.pdf", [Path(".")]) == "srv/reviews/2019/a.pdf"
    via = [Path("srv/reviews/2019/..")]
    assert shown_path("srv/reviews/2019/a.pdf", via) == "reviews/2019/a.pdf"
    monkeypatch.chdir(nested)
    assert shown_path("../2019/a.pdf", [Path("..")]) == "2019/a.pdf"
    for shown in ("reviews/2019/a.pdf", "x.pdf", "passwd"):
        assert not shown.startswith("/") and ".." not in shown


def test_a_recorded_job_stopped_by_sigterm_says_so(tmp_path) -> None:
    import subprocess
    import sys

    script = (
        "import os, signal, sys\n"
        "from scrkb.config import Settings\n"
        "from scrkb.services.jobs import recorded_job\n"
        "with recorded_job(Settings(home=sys.argv[1]), 'retag', {}):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    signal.pause()\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], timeout=60)
    assert done.returncode == 128 + 15
    with Store(tmp_path / "scrkb.sqlite") as store:
        (job,) = Jobs(store, Settings(home=tmp_path)).recent()
    assert (job.kind, job.status, job.message) == (
        "retag",
        "failed",
        "Terminated: stopped by SIGTERM",
    )


def test_a_recorded_job_under_nohup_survives_a_hangup(tmp_path) -> None:
    import subprocess
    import sys

    script = (
        "import os, signal, sys\n"
        "signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup leaves it\n"
        "from scrkb.config import Settings\n"
        "from scrkb.services.jobs import recorded_job\n"
        "with recorded_job(Settings(home=sys.argv[1]), 'ingest', {}) as job:\n"
        "    os.kill(os.getpid(), signal.SIGHUP)\n"
        "    job.message = 'carried on'\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], timeout=60)
    assert done.returncode == 0
    with Store(tmp_path / "scrkb.sqlite") as store:
        (job,) = Jobs(store, Settings(home=tmp_path)).recent()
    assert (job.status, job.message) == ("succeeded", "carried on")
