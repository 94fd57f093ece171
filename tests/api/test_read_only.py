"""A data home mounted read-only: `scrkb search`, `report`, `stats` and `serve` work on
it without writing a byte, a stale vector index is an error naming the command that
rebuilds it, and two `scrkb serve` processes serve one snapshot side by side (the shape
of a replicated deployment, docs/serving.md)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.readonly import listing, read_only

SCRKB = str(Path(sys.executable).parent / "scrkb")


def run(
    prefix: list[str], *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, SCRKB, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def bump_generation(home: Path) -> None:
    """What a write the vector index has not seen looks like."""
    db = sqlite3.connect(home / "scrkb.sqlite")
    with db:
        db.execute(
            "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
            "WHERE key = 'generation'"
        )
    db.close()  # the last connection checkpoints: no -wal file is left behind


def test_read_only_cli_commands_work_without_writing(fresh_home: Path) -> None:
    before = listing(fresh_home)
    with read_only(fresh_home) as prefix:
        stats = run(prefix, "stats", "--json", "--home", str(fresh_home))
        assert stats.returncode == 0, stats.stdout + stats.stderr
        assert json.loads(stats.stdout)["reports"] == 4
        found = run(
            prefix,
            "search",
            "bruise on the baby's ear",
            "-k",
            "3",
            "--json",
            "--home",
            str(fresh_home),
        )
        assert found.returncode == 0, found.stdout + found.stderr
        hits = json.loads(found.stdout)["results"]
        assert hits
        shown = run(prefix, "report", hits[0]["report_id"], "--json", "--home", str(fresh_home))
        assert shown.returncode == 0, shown.stdout + shown.stderr
        assert json.loads(shown.stdout)["id"] == hits[0]["report_id"]
        refused = run(prefix, "ingest", str(fresh_home / "files"), "--home", str(fresh_home))
        assert refused.returncode == 2 and "read-only" in refused.stderr
    assert listing(fresh_home) == before, "nothing written: no WAL, no index rewrite"
    assert not list(fresh_home.glob("*-wal")) and not list(fresh_home.glob("*-shm"))


def test_read_only_stale_index_names_the_command_that_rebuilds_it(fresh_home: Path) -> None:
    bump_generation(fresh_home)
    before = listing(fresh_home)
    with read_only(fresh_home) as prefix:
        stale = run(prefix, "search", "bruise", "--home", str(fresh_home))
        assert stale.returncode == 3, stale.stdout + stale.stderr
        assert f"scrkb reindex --home {fresh_home}" in " ".join(stale.stderr.split())
        lexical = run(
            prefix, "search", "bruise", "--mode", "bm25", "--json", "--home", str(fresh_home)
        )
        assert lexical.returncode == 0 and json.loads(lexical.stdout)["results"]
        serve = run(prefix, "serve", "--home", str(fresh_home), "--port", str(_free_port()))
        assert serve.returncode == 3 and "scrkb reindex" in " ".join(serve.stderr.split())
    assert listing(fresh_home) == before
    rebuilt = run([], "reindex", "--home", str(fresh_home))
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    from scrkb.config import Settings
    from scrkb.index.store import Store
    from scrkb.services.jobs import Jobs

    settings = Settings(home=fresh_home)
    with Store(settings.db_path) as store:  # recorded like ingest: a server lists it
        (job,) = [j for j in Jobs(store, settings).recent() if j.kind == "reindex"]
    assert (job.status, job.params) == ("succeeded", {"from": "command line"})
    assert job.result is not None and job.result["passages"] > 0
    with read_only(fresh_home) as prefix:
        assert run(prefix, "search", "bruise", "--home", str(fresh_home)).returncode == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, **kwargs: object) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, **kwargs)  # type: ignore[arg-type]
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.communicate()[0]}")
        try:
            if _get(url + "/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"{url} never became ready")


def test_read_only_two_servers_share_one_snapshot(fresh_home: Path) -> None:
    before = listing(fresh_home)
    ports = [_free_port(), _free_port()]
    with read_only(fresh_home) as prefix:
        procs = [
            subprocess.Popen(
                [*prefix, SCRKB, "serve", "--home", str(fresh_home), "--port", str(port)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                # one is told, the other finds out that the home cannot be written
                env={**os.environ, **({"SCRKB_READ_ONLY": "true"} if i == 0 else {})},
            )
            for i, port in enumerate(ports)
        ]
        try:
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            for url, proc in zip(urls, procs, strict=True):
                _wait_ready(url, proc)
            answers = []
            for url in urls:
                status, _, body = _get(url + "/api/search?q=bruise+on+the+ear&k=5")
                assert status == 200
                answers.append([h["passage_id"] for h in json.loads(body)["hits"]])
                status, headers, _ = _get(url + "/")
                assert status == 200 and headers["content-type"].startswith("text/html")
                status, _, body = _get(
                    url + "/api/packs",
                    data=b'{"title": "x"}',
                    headers={"Content-Type": "application/json"},
                    method="POST",
                )
                assert status == 403 and json.loads(body)["error"]["code"] == "read_only"
                status, _, body = _get(url + "/readyz")
                assert json.loads(body)["read_only"] is True
            assert answers[0] == answers[1] and answers[0]
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    assert listing(fresh_home) == before
