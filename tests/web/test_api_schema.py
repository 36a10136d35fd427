"""schemathesis over the JSON API, signed in as an admin: no 5xx, answers match the document.

Operations that reach a provider (sync, preview, confirm, held actions, revoke, "link this one")
are left out: fuzzed OAuth settings could point them at any host, and tests stay on loopback.
Their behaviour is covered by the page tests and the browser test against the emulators.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from starlette.testclient import TestClient

from .conftest import ADMIN, WebEnv, csrf, login, make_env

EXAMPLES = 10
PROVIDER_CALLS = (
    r"/(sync|preview|confirm|revoke|held/confirm|held/discard|attention/\{attention_id\}/link)$"
    # Ending sessions would sign the fuzzing admin out (tested in test_security.py).
    r"|/sessions/end$"
)


@pytest.fixture(scope="module")
def api_env(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[WebEnv, dict[str, str], str]]:
    """One app for the whole module (hypothesis runs many examples per test)."""
    env = make_env(tmp_path_factory.mktemp("api"))
    with TestClient(env.app, follow_redirects=False) as client:
        login(client, *ADMIN)
        yield env, dict(client.cookies), csrf(client)


@pytest.fixture(scope="module")
def api_schema(api_env: tuple[WebEnv, dict[str, str], str]) -> schemathesis.BaseSchema:
    env, cookies, _ = api_env
    # The document is for signed-in users only.
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", env.app, cookies=cookies)
    return schema.exclude(path_regex=PROVIDER_CALLS)


def test_the_api_never_fails_and_matches_its_document(
    api_schema: schemathesis.BaseSchema, api_env: tuple[WebEnv, dict[str, str], str]
) -> None:
    # schemathesis' own pytest plugin does not run on pytest 9, so each operation gets its own
    # hypothesis test here, built from the operation's strategy.
    _, cookies, token = api_env
    tested = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(
                headers={"x-csrftoken": token},
                cookies=cookies,
                # Schema-valid values may still be refused for what the schema cannot say (an
                # unknown time zone, a frequency over the API budget): a 400 with the reason.
                excluded_checks=[positive_data_acceptance],
            )

        check()
        tested.append(operation.label)
    assert len(tested) >= 15


def test_the_document_lists_every_feature(api_env: tuple[WebEnv, dict[str, str], str]) -> None:
    env, cookies, _ = api_env
    with TestClient(env.app, cookies=cookies) as client:
        paths = client.get("/api/openapi.json").json()["paths"]
    for path in [
        "/api/connectors",
        "/api/connectors/{connector_id}/oauth",
        "/api/connectors/{connector_id}/settings",
        "/api/connectors/{connector_id}/sync",
        "/api/connectors/{connector_id}/runs/{run_id}/items",
        "/api/connectors/{connector_id}/runs/{run_id}/items.csv",
        "/api/connectors/{connector_id}/debug",
        "/api/connectors/{connector_id}/preview",
        "/api/connectors/{connector_id}/held/confirm",
        "/api/connectors/{connector_id}/dead/{entry_id}/retry",
        "/api/connectors/{connector_id}/attention/{attention_id}/link",
        "/api/connectors/{connector_id}/revoke",
    ]:
        assert path in paths
    assert not any(p.startswith("/connectors") for p in paths)
