"""A threaded local HTTP server for fixture sites: no test touches the internet.

Each ``FixtureSite`` serves one folder under ``tests/crawl/sites/`` on its own port (so
robots.txt and per-host politeness behave as on real hosts), plus generated files (PDFs
made with reportlab) and special routes (slow, flaky, redirects, endless calendars).
Text files may name other sites as ``{{base:NAME}}``; static responses carry an ETag and
Last-Modified and answer conditional requests with 304, like a real server. Every request
is logged so tests can assert what was (and was not) fetched.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SITES_DIR = Path(__file__).parent / "sites"
LAST_MODIFIED = "Mon, 06 Jan 2025 10:00:00 GMT"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass
class Hit:
    method: str
    path: str  # with query
    status: int
    headers: dict[str, str]


Reply = tuple[int, dict[str, str], bytes]
Route = Callable[["FixtureSite", str, dict[str, list[str]], dict[str, str]], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A crawler that gives up on a slow response resets the connection: not an error.
        return


class FixtureSite:
    """One fixture site on 127.0.0.1:<free port>."""

    def __init__(self, name: str, folder: str | None = None) -> None:
        self.name = name
        self.folder = SITES_DIR / (folder or name)
        self.files: dict[str, tuple[bytes, str]] = {}  # path -> (body, content type)
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.counters: dict[str, int] = {}
        self.bases: dict[str, str] = {}
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FixtureSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self, status: int | None = None) -> list[str]:
        return [h.path for h in self.hits if status is None or h.status == status]

    def clear(self) -> None:
        self.hits.clear()

    # ------------------------------------------------------------------ serving
    def render(self, text: str) -> str:
        for name, base in self.bases.items():
            text = text.replace("{{base:" + name + "}}", base)
        return text.replace("{{base}}", self.base)

    def static(self, path: str, query: str) -> tuple[bytes, str] | None:
        if path in self.files and not query:
            return self.files[path]
        rel = path.lstrip("/")
        candidates = []
        if query:
            candidates.append(self.folder / f"{rel}@{query}.html")
            candidates.append(self.folder / f"{rel}@{query}")
        candidates += [
            self.folder / rel,
            self.folder / f"{rel}.html",
            self.folder / f"{rel}.json",
            self.folder / rel / "index.html",
        ]
        for file in candidates:
            if file.is_file():
                body = file.read_bytes()
                suffix = file.suffix if file.suffix in TYPES else ".html"
                if suffix in (".html", ".json", ".txt"):
                    body = self.render(body.decode("utf-8")).encode("utf-8")
                return body, TYPES[suffix]
        return None

    def serve(self, method: str, raw_path: str, headers: dict[str, str]) -> Reply:
        parts = urlsplit(raw_path)
        route = self.routes.get(parts.path)
        if route is not None:
            return route(self, parts.path, parse_qs(parts.query), headers)
        found = self.static(parts.path, parts.query)
        if found is None:
            return (
                404,
                {"Content-Type": "text/html"},
                b"<html><body><h1>Not found</h1></body></html>",
            )
        body, content_type = found
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        reply_headers = {"Content-Type": content_type, "ETag": etag, "Last-Modified": LAST_MODIFIED}
        if headers.get("if-none-match") == etag or (
            "if-none-match" not in headers and headers.get("if-modified-since") == LAST_MODIFIED
        ):
            return 304, reply_headers, b""
        return 200, reply_headers, body


def _handler_for(site: FixtureSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                status, reply_headers, body = site.serve("GET", self.path, headers)
            except Exception as exc:  # a fixture bug must show, not hang the crawl
                status, reply_headers, body = 500, {"Content-Type": "text/plain"}, str(exc).encode()
            site.hits.append(Hit("GET", self.path, status, headers))
            self.send_response(status)
            for key, value in reply_headers.items():
                self.send_header(key, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    return Handler
