"""The one place errors become HTTP responses: one shape, no stack traces.

``scrkb.errors`` says *what* went wrong (and carries a status); this handler says it
in JSON, ``{"error": {"code", "message", "status", "details"}}``, for every route, for
FastAPI's own validation errors and for Starlette's 404/405. Anything unexpected is
logged with its traceback on the server and answered with a bare 500, so a response
never leaks code, paths or data.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from scrkb.errors import ExtractionError, ScrkbError

log = logging.getLogger("scrkb.api")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "not_ready",
}
# ExtractionError reasons that are really about the upload, not its content.
_EXTRACTION_STATUS = {"too_large": 413, "wrong_type": 415, "unsupported": 415}


class ApiError(ScrkbError):
    """An HTTP-specific refusal raised in routes and deps (413, 415, 401, 403...)."""

    def __init__(
        self, status_code: int, message: str, *, code: str | None = None, details: Any = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code or _CODES.get(status_code, "error")
        self.details = details


def error_body(status: int, code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, "details": details}}


def _code_for(exc: ScrkbError, status: int) -> str:
    if isinstance(getattr(exc, "code", None), str):
        return exc.code  # type: ignore[attr-defined]
    if isinstance(exc, ExtractionError):
        return exc.reason
    # InvalidQuery -> invalid_query, IndexNotReady -> index_not_ready, NotFound -> not_found
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """Translate any exception into the one error shape."""
    headers: dict[str, str] | None = None
    if isinstance(exc, ScrkbError):
        status = exc.status_code
        if isinstance(exc, ExtractionError):
            status = _EXTRACTION_STATUS.get(exc.reason, 422)
        body = error_body(
            status, _code_for(exc, status), exc.message, getattr(exc, "details", None)
        )
        if status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(exc, RequestValidationError):
        status = 422
        problems = [_problem(e) for e in exc.errors()]
        first = problems[0] if problems else {"where": "request", "message": "invalid"}
        message = f"{first['where']}: {first['message']}"
        if len(problems) > 1:
            message += f" (and {len(problems) - 1} more problem(s))"
        body = error_body(status, "invalid_request", message, problems)
    elif isinstance(exc, StarletteHTTPException):
        status = exc.status_code
        message = exc.detail if isinstance(exc.detail, str) else _CODES.get(status, "error")
        if status == 404 and message == "Not Found":
            message = f"no such endpoint: {request.url.path} (see /docs)"
        elif status == 405:
            message = f"{request.method} is not allowed on {request.url.path} (see /docs)"
        body = error_body(status, _CODES.get(status, "error"), message)
        headers = dict(exc.headers) if exc.headers else None
    else:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        status = 500
        body = error_body(500, "internal_error", "internal error: the server log has details")
    return JSONResponse(body, status_code=status, headers=headers)


def _problem(error: dict[str, Any]) -> dict[str, Any]:
    loc = [str(part) for part in error.get("loc", ())]
    if loc and loc[0] in ("query", "path", "body", "header", "cookie"):
        where = f"{loc[0]} " + ".".join(loc[1:]) if len(loc) > 1 else loc[0]
    else:
        where = ".".join(loc) or "request"
    return {
        "where": where.strip(),
        "message": str(error.get("msg", "invalid")),
        "type": error.get("type"),
    }


def install(app: FastAPI) -> None:
    """Route every error through ``handle_error``."""
    for exc_type in (ScrkbError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(exc_type, handle_error)
