"""Property-based run against the OpenAPI schema: no input may produce a 5xx.

Schemathesis generates valid and invalid requests for every operation from the schema
the app publishes and checks each response. Examples are bounded so the run takes well
under a minute; admin operations get the token so their bodies are exercised too.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.api.conftest import ADMIN_TOKEN


@pytest.fixture(scope="session")
def api_schema(client: TestClient):  # noqa: ANN201 - schemathesis schema
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    # A crawl would start a real subprocess per example: its validation is covered here,
    # its running in test_routes_admin.
    return schema.exclude(path="/api/crawl", method="POST")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_never_answers_5xx(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, checks=[not_a_server_error]
    )
