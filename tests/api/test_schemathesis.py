"""Property-based run against the OpenAPI schema: no input may produce a 5xx.

Schemathesis generates valid and invalid requests for every operation from the schema
the app publishes, sends them to the app in-process (ASGI) and checks each response.
Examples are bounded (``MAX_EXAMPLES`` per operation and mode) so the whole run stays
well under a minute; admin operations get the token so their bodies are exercised too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from scrkb.api.app import create_app
from scrkb.config import Settings
from tests.api.conftest import ADMIN_TOKEN

MAX_EXAMPLES = 20
# A crawl would start a real subprocess per example: its validation and its running
# are covered in test_routes_admin instead.
SKIP = {"POST /api/crawl"}


def _labels() -> list[str]:
    """Operation labels from the published schema (no data needed to build it)."""
    app = create_app(Settings(home=Path("/nonexistent-scrkb-home")), warm=False)
    spec = app.openapi()
    methods = ("get", "post", "put", "patch", "delete")
    return [
        f"{m.upper()} {path}"
        for path, ops in spec["paths"].items()
        for m in ops
        if m in methods and f"{m.upper()} {path}" not in SKIP
    ]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("label", _labels())
def test_api_never_answers_5xx(client: TestClient, label: str, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])

    try:
        run()
    except Unsatisfiable:
        # No parameters or body to make invalid (e.g. GET /api/themes): nothing to send.
        assert mode is GenerationMode.NEGATIVE, label
