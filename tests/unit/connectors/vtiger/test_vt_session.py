"""Login, renewal and the superseded-challenge retry (narrow MockTransport fakes)."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from ccsync.connectors.vtiger.errors import CredentialsRefused
from ccsync.connectors.vtiger.session import RestSession, WebserviceSession, lock_path
from ccsync.connectors.vtiger.settings import VtigerSettings
from ccsync.connectors.vtiger.transport import Pacer, make_transport
from ccsync.errors import AuthError, ConfigError

KEY = "secretAccessKey99"


class FakeVtiger:
    """Just enough of webservice.php: challenge tokens, logins, sessions, one query."""

    def __init__(self, refuse_logins: int = 0) -> None:
        self.refuse_logins = refuse_logins
        self.token = 0
        self.sessions: set[str] = set()
        self.log: list[str] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        params = dict(request.url.params)
        if request.method == "POST":
            params.update(dict(httpx2.QueryParams(request.content.decode())))
        op = params["operation"]
        self.log.append(op)
        return httpx2.Response(200, json=getattr(self, op)(params))

    def getchallenge(self, params: dict[str, str]) -> Any:
        self.token += 1
        return {"success": True, "result": {"token": f"t{self.token}", "serverTime": 1795725596}}

    def login(self, params: dict[str, str]) -> Any:
        good = hashlib.md5(f"t{self.token}{KEY}".encode()).hexdigest()
        if self.refuse_logins > 0 or params["accessKey"] != good:
            self.refuse_logins -= 1
            return _error("INVALID_USER_CREDENTIALS", "Invalid username or password")
        name = f"s{len(self.sessions) + 1}"
        self.sessions.add(name)
        return {
            "success": True,
            "result": {"sessionName": name, "userId": "19x1", "is_admin": "on"},
        }

    def query(self, params: dict[str, str]) -> Any:
        if params.get("sessionName") not in self.sessions:
            return _error("INVALID_SESSIONID", "Session Identifier provided is Invalid")
        return {"success": True, "result": [{"count": "3"}]}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"success": False, "error": {"code": code, "message": message}}


def _session(fake: FakeVtiger, tmp_path: Path, key: str = KEY) -> WebserviceSession:
    settings = VtigerSettings(url="http://crm.test", username="admin", access_key=key)
    http = httpx2.Client(transport=httpx2.MockTransport(fake))
    transport = make_transport(settings, http, Pacer())
    return WebserviceSession(
        settings, transport, lock_path(settings, tmp_path), sleep=lambda s: None
    )


def test_login_sends_the_md5_of_token_and_key(tmp_path: Path) -> None:
    fake = FakeVtiger()
    session = _session(fake, tmp_path)
    ident = session.identity()
    assert ident.user_id == "19x1" and ident.is_admin
    assert fake.log == ["getchallenge", "login"]
    assert KEY not in repr(session)


def test_superseded_challenge_is_retried_twice(tmp_path: Path) -> None:
    fake = FakeVtiger(refuse_logins=2)
    session = _session(fake, tmp_path)
    session.identity()
    assert fake.log == ["getchallenge", "login"] * 3


def test_a_wrong_key_fails_after_three_attempts_without_leaking(tmp_path: Path) -> None:
    fake = FakeVtiger()
    session = _session(fake, tmp_path, key="wrongKey")
    with pytest.raises(CredentialsRefused) as info:
        session.identity()
    assert isinstance(info.value, AuthError)
    assert "wrongKey" not in str(info.value)
    assert fake.log.count("login") == 3


def test_lost_session_is_renewed_once_and_the_call_sent_again(tmp_path: Path) -> None:
    fake = FakeVtiger()
    session = _session(fake, tmp_path)
    session.identity()
    fake.sessions.clear()  # the server forgot every session
    assert session.call("query", {"query": "SELECT count(*) FROM Contacts;"}) == [{"count": "3"}]
    assert fake.log == ["getchallenge", "login", "query", "getchallenge", "login", "query"]


def test_lock_file_is_per_url_and_user(tmp_path: Path) -> None:
    one = VtigerSettings(url="http://a.test", username="u", access_key="k")
    two = VtigerSettings(url="http://a.test/", username="v", access_key="k")
    assert lock_path(one, tmp_path) != lock_path(two, tmp_path)
    assert lock_path(one, tmp_path) == lock_path(
        VtigerSettings(url="http://a.test/webservice.php", username="u", access_key="x"), tmp_path
    )


def test_rest_session_uses_basic_auth_and_me(tmp_path: Path) -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(
            200,
            json={"success": True, "result": {"id": "19x7", "is_admin": "off"}},
            headers={"Date": "Thu, 26 Nov 2026 21:00:00 GMT"},
        )

    settings = VtigerSettings(
        url="https://x.od2.vtiger.com", username="me@example.com", access_key=KEY, flavour="restapi"
    )
    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    session = RestSession(settings, make_transport(settings, http, Pacer()))
    ident = session.identity()
    assert ident.user_id == "19x7" and not ident.is_admin
    assert str(seen[0].url) == "https://x.od2.vtiger.com/restapi/v1/vtiger/default/me"
    assert seen[0].headers["authorization"].startswith("Basic ")


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(ConfigError):
        VtigerSettings(url="crm.example.com", username="u", access_key="k")
    with pytest.raises(ConfigError):
        VtigerSettings(url="http://x", username="u", access_key="k", timezone="Mars/Base")
    settings = VtigerSettings(url="http://x/", username="u", access_key="k")
    assert "k'" not in repr(settings) and "access_key" not in repr(settings)


def test_logins_of_one_user_never_interleave(tmp_path: Path) -> None:
    fake = FakeVtiger()
    gate = threading.Barrier(2)
    original = fake.getchallenge

    def slow_challenge(params: dict[str, str]) -> Any:
        answer = original(params)
        time.sleep(0.05)  # widen the window in which a second challenge could slip in
        return answer

    fake.getchallenge = slow_challenge  # type: ignore[method-assign]
    sessions = [_session(fake, tmp_path) for _ in range(2)]  # two "processes", one lock file

    def login(session: WebserviceSession) -> None:
        gate.wait()
        session.identity()

    threads = [threading.Thread(target=login, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake.log == ["getchallenge", "login", "getchallenge", "login"]
