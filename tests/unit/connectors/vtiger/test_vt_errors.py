"""Every way a Vtiger answer becomes a ccsync error (the one mapping place)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx2
import pytest

from ccsync.connectors.vtiger.errors import (
    CredentialsRefused,
    RecordGone,
    ServerFailure,
    SessionLost,
    result_of,
    retry_after,
)
from ccsync.errors import (
    AuthError,
    ConfigError,
    FatalError,
    RateLimited,
    RetriableError,
    SkippableRecordError,
)

try:  # the test tree is importable as ``tests`` or (rootdir-relative) as its sub-packages
    from tests.support.paths import VTIGER_FIXTURES
except ImportError:  # pragma: no cover - depends on how pytest was invoked
    from support.paths import VTIGER_FIXTURES  # type: ignore[no-redef]

FIXTURES = VTIGER_FIXTURES


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "error_examples.json").read_text())
    return data["examples"][name]  # type: ignore[no-any-return]


def _replay(name: str) -> tuple[httpx2.Response, str]:
    example = _example(name)
    body = example["response"]["body"]
    status = example["response"]["http_status"]
    content = json.dumps(body).encode() if isinstance(body, dict) else str(body).encode()
    return httpx2.Response(status, content=content), example["request"]["params"]["operation"]


@pytest.mark.parametrize(
    ("name", "expected", "reason"),
    [
        ("err_invalid_session", SessionLost, None),
        ("err_no_session", SessionLost, None),
        ("err_login_bad_key", CredentialsRefused, None),
        ("err_login_no_token", CredentialsRefused, None),
        ("err_retrieve_deleted", RecordGone, "not_found"),
        ("err_delete_deleted", RecordGone, "not_found"),
        ("err_revise_deleted", RecordGone, "not_found"),
        ("err_retrieve_mismatched_prefix", RecordGone, "not_found"),
        ("err_create_missing_lastname", SkippableRecordError, "missing_mandatory"),
        ("err_create_bad_reference", SkippableRecordError, "invalid_reference"),
        ("err_create_duplicate_prevented", SkippableRecordError, "crm_duplicate"),
        ("err_query_unknown_column", ConfigError, None),
        ("err_query_no_semicolon", FatalError, None),
        ("err_getchallenge_unknown_user", AuthError, None),
        ("err_unknown_operation", ServerFailure, None),
        ("logout", ServerFailure, None),
    ],
)
def test_fixture_errors_map_to_the_right_class(
    name: str, expected: type[Exception], reason: str | None
) -> None:
    response, operation = _replay(name)
    with pytest.raises(expected) as info:
        result_of(response, operation)
    if reason is not None:
        assert isinstance(info.value, SkippableRecordError)
        assert info.value.reason == reason
    assert "SESSION_NAME" not in str(info.value)


def test_duplicate_code_is_the_integer_zero() -> None:
    response, _ = _replay("err_create_duplicate_prevented")
    assert response.json()["error"]["code"] == 0


def test_hidden_record_is_told_apart_from_a_deleted_one() -> None:
    hidden = httpx2.Response(
        200,
        json={
            "success": False,
            "error": {
                "code": "ACCESS_DENIED",
                "message": "Permission to read given object is denied",
            },
        },
    )
    with pytest.raises(RecordGone) as info:
        result_of(hidden, "retrieve")
    assert info.value.hidden is True
    deleted, _ = _replay("err_retrieve_deleted")
    with pytest.raises(RecordGone) as info2:
        result_of(deleted, "retrieve")
    assert info2.value.hidden is False


def test_success_returns_the_result() -> None:
    response = httpx2.Response(200, json={"success": True, "result": [{"count": "7"}]})
    assert result_of(response, "query") == [{"count": "7"}]


def test_non_json_200_is_a_server_failure() -> None:
    with pytest.raises(ServerFailure):
        result_of(httpx2.Response(200, content=b"<html>"), "query")


def test_restapi_reason_phrase_carries_the_message() -> None:
    response = httpx2.Response(
        400, extensions={"reason_phrase": b"Permission to perform the operation is denied"}
    )
    with pytest.raises(RecordGone) as info:
        result_of(response, "delete")
    assert info.value.hidden is False
    mandatory = httpx2.Response(400, extensions={"reason_phrase": b"email does not have a value"})
    with pytest.raises(SkippableRecordError) as skip:
        result_of(mandatory, "create")
    assert skip.value.reason == "missing_mandatory"


def test_restapi_401_is_refused_credentials_and_5xx_retriable() -> None:
    with pytest.raises(CredentialsRefused):
        result_of(httpx2.Response(401, extensions={"reason_phrase": b"Unauthorized"}), "me")
    with pytest.raises(RetriableError):
        result_of(httpx2.Response(503, content=b"busy"), "query")


def test_429_is_rate_limited_with_the_wait() -> None:
    response = httpx2.Response(429, headers={"Retry-After": "7"})
    with pytest.raises(RateLimited) as info:
        result_of(response, "query")
    assert info.value.retry_after == 7.0
    reset = str(int(time.time()) + 30)
    waited = retry_after(httpx2.Response(429, headers={"X-FloodControl-Reset": reset}))
    assert waited is not None and 28 <= waited <= 30
