"""Browser-test harness: one real uvicorn server over a small fictional home, one Chromium.

The home is built once per session with the real ingest pipeline from the reviews in
``reports.py``; the server runs the same app ``scrkb serve`` runs (``scrkb.app.create_app``:
the API with the web pages mounted on it). Chromium is
Debian's (``/usr/bin/chromium``, installed by ``.ci/run``/``make test``); Playwright's own
browser downloads are never used. Each page gets axe-core (from ``web/node_modules``) and a
console-error check, and full-page screenshots go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("SCRKB_CHROMIUM", "/usr/bin/chromium"))
AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
CSS = REPO / "web" / "static" / "govuk" / "govuk.css"
ARTIFACTS = REPO / "test-artifacts" / "web"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _require_tools() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    if not AXE.exists() or not CSS.exists():
        pytest.skip("web assets are not built: run `make web-assets`")


@pytest.fixture(scope="session")
def web_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require_tools()
    from scrkb.config import settings_for
    from scrkb.services.ingest import ingest_paths
    from tests.web.reports import FILES

    root = tmp_path_factory.mktemp("web")
    src = root / "reviews"
    src.mkdir()
    for name, text in FILES.items():
        (src / name).write_text(text, encoding="utf-8")
    home = root / "home"
    summary = ingest_paths([src], settings_for(home))
    assert not summary.failures, [f.message for f in summary.failures]
    return home


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PUBLIC_BASE_URL = "https://reviews.example.org"  # fictional: where readers reach the service


def build_app(home: Path):  # noqa: ANN201
    from scrkb.app import create_app
    from scrkb.config import settings_for

    return create_app(settings_for(home).model_copy(update={"public_base_url": PUBLIC_BASE_URL}))


@pytest.fixture(scope="session")
def base_url(web_home: Path) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(build_app(web_home), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="scrkb-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    import urllib.request

    urllib.request.urlopen(url + "/?q=warm+up", timeout=60).read()  # load the model once
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    _require_tools()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class PageErrors(list):
    """Console errors and uncaught exceptions seen by one page."""


@pytest.fixture
def page(browser, base_url: str) -> Iterator:
    context = browser.new_context(base_url=base_url, accept_downloads=True)
    pg = context.new_page()
    errors = PageErrors()
    pg.on(
        "console",
        lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None,
    )
    pg.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    pg.errors = errors
    yield pg
    context.close()
    assert not errors, errors


@pytest.fixture
def nojs_page(browser, base_url: str) -> Iterator:
    context = browser.new_context(
        base_url=base_url, java_script_enabled=False, accept_downloads=True
    )
    pg = context.new_page()
    yield pg
    context.close()


def check_axe(pg, name: str) -> None:
    """Run axe-core on the page as it is now; fail with every violation spelled out.

    axe is evaluated through the DevTools protocol: the pages' Content-Security-Policy
    allows no inline script, so a <script> tag added to the page would be refused."""
    if not pg.evaluate("() => typeof window.axe === 'object'"):
        pg.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result = pg.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        AXE_TAGS,
    )
    violations = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]
    assert not violations, f"axe on {name}:\n" + json.dumps(violations, indent=1)


def screenshot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path
