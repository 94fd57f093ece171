"""`scrkb serve` wiring, and the job registry's handling of a dead worker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scrkb.cli import app as cli_app
from scrkb.config import Settings
from scrkb.index.store import Store, utcnow
from scrkb.services.jobs import Jobs


def test_serve_command_passes_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[dict] = []

    def fake_serve(settings: Settings, **kwargs: object) -> None:
        calls.append({"home": settings.home, **kwargs})

    monkeypatch.setattr("scrkb.app.serve", fake_serve)
    result = CliRunner().invoke(
        cli_app,
        ["serve", "--home", str(tmp_path), "--port", "8123", "--workers", "2", "--host", "0.0.0.0"],
    )
    assert result.exit_code == 0, result.output
    assert calls == [{"home": tmp_path, "host": "0.0.0.0", "port": 8123, "workers": 2}]
    bad = CliRunner().invoke(cli_app, ["serve", "--workers", "0"])
    assert bad.exit_code == 2


def test_worker_factory_reads_settings_from_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from scrkb.app import SETTINGS_ENV, app_from_env

    settings = Settings(home=tmp_path, admin_token="t", cors_origins=["https://a.example"])
    monkeypatch.setenv(SETTINGS_ENV, settings.model_dump_json())
    app = app_from_env()
    assert app.state.settings == settings


def test_job_of_a_dead_worker_is_reported_failed(tmp_path: Path) -> None:
    store = Store(tmp_path / "scrkb.sqlite")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    import socket

    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO jobs (id, kind, status, params_json, pid, host, created_at) "
            "VALUES ('jdead', 'ingest', 'running', ?, ?, ?, ?)",
            (json.dumps({}), pid, socket.gethostname(), utcnow()),
        )
    jobs = Jobs(store, Settings(home=tmp_path))
    job = jobs.get("jdead")
    assert job.status == "failed" and "exited" in (job.message or "")
    assert jobs.active() == 0
    store.close()
