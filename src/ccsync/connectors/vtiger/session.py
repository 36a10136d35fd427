"""Who we are on the server: webservice login and session renewal, or Cloud's ``me``.

Webservice (open source): ``getchallenge`` then ``login`` with ``md5(token + accessKey)``. A new
challenge for a user kills that user's previous token, so logins are serialised per Vtiger user
across processes with a lock file keyed by URL and user name. A client outside ccsync may still
supersede our challenge between ``getchallenge`` and ``login``; the server then says
``INVALID_USER_CREDENTIALS`` exactly as for a wrong key, so that answer right after a fresh
challenge is retried twice with jitter before it counts as a bad key. A session that vanished
(``INVALID_SESSIONID``, ``AUTHENTICATION_REQUIRED``, ``SESSION_*``) is renewed once per call.
"""

from __future__ import annotations

import hashlib
import random
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol

import httpx2
from filelock import FileLock
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from ccsync.connectors.vtiger.errors import (
    CredentialsRefused,
    ServerFailure,
    SessionLost,
    result_of,
)
from ccsync.connectors.vtiger.settings import VtigerSettings
from ccsync.connectors.vtiger.transport import Transport
from ccsync.errors import AuthError, RetriableError

LOGIN_ATTEMPTS = 3
LOCK_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Identity:
    """The logged-in Vtiger user.

    Attributes:
        user_id: the user's webservice id (``19x1``).
        is_admin: whether the user is a Vtiger administrator.
        server_offset: server clock minus local clock, in seconds.
    """

    user_id: str
    is_admin: bool
    server_offset: float


class Session(Protocol):
    """Runs operations as the configured user."""

    def identity(self) -> Identity:
        """The user (logging in first if needed)."""
        ...

    def call(self, operation: str, params: Mapping[str, str]) -> Any:
        """Run ``operation`` and return its result."""
        ...


def lock_path(settings: VtigerSettings, state_dir: Path | None) -> Path:
    """The lock file that serialises logins of one Vtiger user (one per URL and user name)."""
    key = hashlib.sha256(f"{settings.root}\0{settings.username}".encode()).hexdigest()[:20]
    return (state_dir or Path(tempfile.gettempdir())) / f"ccsync-vtiger-login-{key}.lock"


def _is_admin(value: object) -> bool:
    return str(value).strip().lower() in ("on", "1", "true", "yes")


class WebserviceSession:
    """A ``webservice.php`` session, renewed transparently when the server drops it."""

    def __init__(
        self,
        settings: VtigerSettings,
        transport: Transport,
        lock_file: Path,
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._settings = settings
        self._transport = transport
        self._file_lock = FileLock(str(lock_file), timeout=LOCK_TIMEOUT)
        self._lock = threading.Lock()
        self._sleep = sleep
        self._jitter = jitter
        self._session_name: str | None = None
        self._generation = 0
        self._identity: Identity | None = None
        self.logins = 0

    def __repr__(self) -> str:
        return f"WebserviceSession(user={self._settings.username!r}, logged_in={self.logged_in})"

    @property
    def logged_in(self) -> bool:
        """Whether a session is held right now."""
        return self._session_name is not None

    def identity(self) -> Identity:
        """The logged-in user, logging in first when there is no session yet."""
        self._ensure()
        assert self._identity is not None
        return self._identity

    def call(self, operation: str, params: Mapping[str, str]) -> Any:
        """Run ``operation`` in the session; a lost session is renewed and the call sent again."""
        name, generation = self._ensure()
        try:
            return self._send(operation, params, name)
        except SessionLost:
            name = self._renew(generation)
            return self._send(operation, params, name)

    def drop(self) -> None:
        """Forget the session (``logout`` is HTTP 500 on PHP 8, so it is never sent)."""
        with self._lock:
            self._session_name = None

    def _send(self, operation: str, params: Mapping[str, str], name: str) -> Any:
        response = self._transport.send(operation, {**params, "sessionName": name})
        return result_of(response, operation)

    def _ensure(self) -> tuple[str, int]:
        with self._lock:
            if self._session_name is None:
                self._login()
            assert self._session_name is not None
            return self._session_name, self._generation

    def _renew(self, failed_generation: int) -> str:
        with self._lock:
            # Another thread may have renewed the session while we waited for the lock.
            if self._generation == failed_generation or self._session_name is None:
                self._login()
            assert self._session_name is not None
            return self._session_name

    def _login(self) -> None:
        with self._file_lock:
            for attempt in range(LOGIN_ATTEMPTS):
                try:
                    self._login_once()
                    return
                except CredentialsRefused:
                    if attempt == LOGIN_ATTEMPTS - 1:
                        raise CredentialsRefused(
                            f"Vtiger refused the access key of user {self._settings.username!r}",
                            code="INVALID_USER_CREDENTIALS",
                        ) from None
                    self._sleep(0.2 * (attempt + 1) + 0.3 * self._jitter())

    def _login_once(self) -> None:
        user = self._settings.username
        sent_at = time.time()
        challenge = _passing_faults_retried(
            lambda: result_of(
                self._transport.send("getchallenge", {"username": user}), "getchallenge"
            )
        )
        token = str(challenge["token"])
        offset = float(challenge.get("serverTime", sent_at)) - (sent_at + time.time()) / 2
        # md5 is what the protocol asks for, not a security choice of ours.
        digest = hashlib.md5(
            (token + self._settings.access_key).encode(), usedforsecurity=False
        ).hexdigest()
        result = result_of(
            self._transport.send("login", {"username": user, "accessKey": digest}), "login"
        )
        self._session_name = str(result["sessionName"])
        self._generation += 1
        self.logins += 1
        self._identity = Identity(
            user_id=str(result["userId"]),
            is_admin=_is_admin(result.get("is_admin")),
            server_offset=offset,
        )


class RestSession:
    """Vtiger Cloud: Basic authentication on every request, the user from ``GET /me``."""

    def __init__(self, settings: VtigerSettings, transport: Transport) -> None:
        self._settings = settings
        self._transport = transport
        self._lock = threading.Lock()
        self._identity: Identity | None = None

    def __repr__(self) -> str:
        return f"RestSession(user={self._settings.username!r})"

    def identity(self) -> Identity:
        """The user behind the access key (one ``me`` call, then cached)."""
        with self._lock:
            if self._identity is None:
                self._identity = self._me()
            return self._identity

    def call(self, operation: str, params: Mapping[str, str]) -> Any:
        """Run ``operation``; there is no session to renew."""
        return result_of(self._transport.send(operation, params), operation)

    def _me(self) -> Identity:
        def fetch() -> tuple[httpx2.Response, Any]:
            response = self._transport.send("me", {})
            return response, result_of(response, "me")

        try:
            response, result = _passing_faults_retried(fetch)
        except CredentialsRefused:
            raise AuthError(
                f"Vtiger refused the access key of user {self._settings.username!r}"
            ) from None
        return Identity(
            user_id=str(result["id"]),
            is_admin=_is_admin(result.get("is_admin")),
            server_offset=date_offset(response),
        )


def _passing_faults_retried(call: Callable[[], Any]) -> Any:
    """Retry an idempotent step of logging in on 5xx, dropped connections and timeouts."""
    retrying = Retrying(
        retry=retry_if_exception_type((RetriableError, ServerFailure)),
        stop=stop_after_attempt(LOGIN_ATTEMPTS),
        wait=wait_exponential_jitter(multiplier=0.2, max=3.0, jitter=0.3),
        reraise=True,
    )
    return retrying(call)


def date_offset(response: httpx2.Response) -> float:
    """Server clock minus local clock from the HTTP ``Date`` header (0 when absent)."""
    header = response.headers.get("date")
    if not header:
        return 0.0
    try:
        return parsedate_to_datetime(header).timestamp() - time.time()
    except (TypeError, ValueError):
        return 0.0
