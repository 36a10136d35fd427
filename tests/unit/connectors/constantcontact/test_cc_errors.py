"""Every CC status and error body becomes the right ccsync error (errors.py is the one place)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest

from ccsync.connectors.constantcontact.client import RetryPolicy
from ccsync.connectors.constantcontact.connector import ConstantContactConnector
from ccsync.connectors.constantcontact.errors import (
    Unauthorized,
    error_parts,
    raise_for_response,
    raise_for_token_response,
)
from ccsync.connectors.constantcontact.settings import CCSettings
from ccsync.connectors.constantcontact.tokens import FileTokenStore, TokenSet
from ccsync.errors import (
    AuthError,
    ConfigError,
    FatalError,
    QuotaExhausted,
    RateLimited,
    ReconnectNeeded,
    RecordConflict,
    RecordNotFound,
    RetriableError,
    SkippableRecordError,
)

RESETS = datetime(2026, 11, 27, tzinfo=UTC)
HOLDER = "1618ae62-4752-11e9-9c8a-fa163e6b01c1"


def _response(status: int, body: Any = None, text: str | None = None) -> httpx2.Response:
    request = httpx2.Request("POST", "https://api.cc.email/v3/contacts")
    if text is not None:
        return httpx2.Response(status, text=text, request=request)
    return httpx2.Response(status, json=body, request=request)


def _err(key: str, message: str) -> list[dict[str, str]]:
    return [{"error_key": key, "error_message": message}]


UNAUTHORIZED = {"error_key": "unauthorized", "error_message": "Unauthorized"}
CONFLICT = _err("contacts.api.conflict", f"Email already exists for contact {HOLDER}")
THROTTLED = {"error_key": "throttled", "error_message": "Too Many Requests"}
QUOTA = {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"}

CASES = [
    pytest.param(401, UNAUTHORIZED, Unauthorized, id="401"),
    pytest.param(403, _err("forbidden", "no scope"), AuthError, id="403"),
    pytest.param(404, _err("contacts.api.not_found", "gone"), RecordNotFound, id="404"),
    pytest.param(409, CONFLICT, RecordConflict, id="409"),
    pytest.param(400, _err("validation", "first_name too long"), SkippableRecordError, id="400"),
    pytest.param(415, _err("unsupported", "json only"), ConfigError, id="415"),
    pytest.param(429, THROTTLED, RateLimited, id="429-throttled"),
    pytest.param(429, QUOTA, QuotaExhausted, id="429-quota"),
    pytest.param(429, None, RateLimited, id="429-activity-queue"),
    pytest.param(500, None, RetriableError, id="500-empty"),
    pytest.param(503, _err("unavailable", "later"), RetriableError, id="503"),
    pytest.param(405, _err("method", "not allowed"), FatalError, id="405"),
]


@pytest.mark.parametrize(("status", "body", "expected"), CASES)
def test_status_maps_to_error_class(status: int, body: Any, expected: type[Exception]) -> None:
    with pytest.raises(expected) as info:
        raise_for_response(_response(status, body), resets_at=RESETS)
    assert type(info.value) is expected
    if expected is not SkippableRecordError:  # a rejection's text is CC's message, shown as is
        assert str(status) in str(info.value)


def test_success_raises_nothing() -> None:
    raise_for_response(_response(200, {"contacts": []}), resets_at=RESETS)
    raise_for_response(_response(204, text=""), resets_at=RESETS)


def test_conflict_names_the_holder() -> None:
    body = _err(
        "contacts.api.conflict", f"Validation failed: Email already exists for contact {HOLDER}"
    )
    with pytest.raises(RecordConflict) as info:
        raise_for_response(_response(409, body), resets_at=RESETS)
    assert info.value.holder_id == HOLDER
    assert info.value.reason == "cc_email_in_use"


def test_rejection_keeps_cc_message_as_reason_text() -> None:
    with pytest.raises(SkippableRecordError) as info:
        raise_for_response(_response(400, _err("x", "last_name is too long")), resets_at=RESETS)
    assert info.value.reason == "cc_rejected"
    assert info.value.message == "last_name is too long"


def test_quota_carries_reset_time_and_throttle_a_backoff() -> None:
    with pytest.raises(QuotaExhausted) as quota:
        raise_for_response(_response(429, {"error_key": "quota_exceeded"}), resets_at=RESETS)
    assert quota.value.resets_at == RESETS
    with pytest.raises(RateLimited) as throttled:
        raise_for_response(_response(429, {"error_key": "throttled"}), resets_at=RESETS)
    assert throttled.value.retry_after == 1.0


def test_error_parts_accepts_array_object_and_text() -> None:
    assert error_parts(_response(400, _err("k", "m"))) == ("k", "m")
    assert error_parts(_response(401, {"error_key": "k", "error_message": "m"})) == ("k", "m")
    assert error_parts(_response(400, {"error": "invalid_grant", "error_description": "d"})) == (
        "invalid_grant",
        "d",
    )
    assert error_parts(_response(502, text="<html>bad gateway</html>"))[1].startswith("<html>")


INVALID_GRANT = {"error": "invalid_grant", "error_description": "The refresh token is invalid."}
TOKEN_CASES = [
    pytest.param(400, INVALID_GRANT, ReconnectNeeded, id="invalid_grant"),
    pytest.param(401, {"error": "invalid_client"}, AuthError, id="invalid_client"),
    pytest.param(429, {"error": "too_many_requests"}, RateLimited, id="429"),
    pytest.param(503, None, RetriableError, id="503"),
]


@pytest.mark.parametrize(("status", "body", "expected"), TOKEN_CASES)
def test_token_endpoint_errors(status: int, body: Any, expected: type[Exception]) -> None:
    with pytest.raises(expected) as info:
        raise_for_token_response(_response(status, body))
    assert type(info.value) is expected


# --- the mapping as the client uses it (MockTransport, no emulator) ---------------------------


class _Server:
    """Answers token and API requests from scripted queues; records what it saw."""

    def __init__(self, api: list[httpx2.Response]) -> None:
        self.api = api
        self.seen: list[str] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        if request.url.path.endswith("/token"):
            return httpx2.Response(
                200,
                json={"access_token": "new-access", "refresh_token": "new-refresh",
                      "expires_in": 86400, "scope": "contact_data offline_access"},
            )  # fmt: skip
        return self.api.pop(0)


def _connector(tmp_path: Path, server: _Server) -> ConstantContactConnector:
    settings = CCSettings.for_base_url("http://cc.test", "cid", "secret")
    store = FileTokenStore(tmp_path / "tokens.json")
    future = datetime(2100, 1, 1, tzinfo=UTC)
    store.swap(None, TokenSet("old-access", "old-refresh", future, "contact_data offline_access"))
    http = httpx2.Client(transport=httpx2.MockTransport(server))
    policy = RetryPolicy(attempts=3, max_delay=5, first_wait=0.01, max_wait=0.02)
    return ConstantContactConnector(settings, store, http=http, rate=1000, retry_policy=policy)


def test_401_refreshes_once_then_gives_up(tmp_path: Path) -> None:
    unauthorized = {"error_key": "unauthorized", "error_message": "Unauthorized"}
    server = _Server([httpx2.Response(401, json=unauthorized) for _ in range(2)])
    connector = _connector(tmp_path, server)
    with pytest.raises(AuthError):
        connector.account_identity()
    assert server.seen == [
        "GET /v3/account/summary",
        "POST /oauth2/default/v1/token",
        "GET /v3/account/summary",
    ]


def test_throttle_is_retried_then_succeeds(tmp_path: Path) -> None:
    throttled = {"error_key": "throttled", "error_message": "Too Many Requests"}
    server = _Server(
        [
            httpx2.Response(429, json=throttled),
            httpx2.Response(200, json={"encoded_account_id": "A1"}),
        ]
    )
    connector = _connector(tmp_path, server)
    connector.client.policy = RetryPolicy(attempts=3, max_delay=5, first_wait=0.01, max_wait=0.02)
    started = datetime.now(UTC)
    assert connector.account_identity() == "A1"
    assert (datetime.now(UTC) - started).total_seconds() >= 1.0  # CC's one-second back-off
    assert connector.calls == 2


def test_quota_is_not_retried(tmp_path: Path) -> None:
    quota = {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"}
    server = _Server([httpx2.Response(429, json=quota), httpx2.Response(200, json={})])
    connector = _connector(tmp_path, server)
    with pytest.raises(QuotaExhausted) as info:
        connector.account_identity()
    assert info.value.resets_at is not None and info.value.resets_at.hour == 0
    assert len(server.seen) == 1


def test_links_next_href_resolves_against_the_api_origin(tmp_path: Path) -> None:
    """Paging: ``_links.next.href`` is path-relative (``/v3/…``) and is requested as given."""
    client = _connector(tmp_path, _Server([])).client
    assert client.url("/v3/contacts?cursor=bGltaXQ9MSZuZXh0PTI") == (
        "http://cc.test/v3/contacts?cursor=bGltaXQ9MSZuZXh0PTI"
    )
    assert client.url("/contacts") == "http://cc.test/v3/contacts"
    assert client.url("https://api.cc.email/v3/contacts?cursor=x") == (
        "https://api.cc.email/v3/contacts?cursor=x"
    )
