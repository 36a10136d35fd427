"""How an operation reaches the server: the webservice and Cloud REST transports.

Both take an operation name and its parameters and return the raw ``httpx2.Response``; the
client turns that into a result through ``errors.result_of``. GET operations carry their
parameters in the query string and POST operations in a form body (real Vtiger reads each only
from its own place and answers ``ACCESS_DENIED`` on a mix-up).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol

import httpx2

from ccsync.connectors.vtiger.settings import VtigerSettings
from ccsync.errors import QuotaExhausted, RetriableError

GET_OPS = frozenset(
    {"getchallenge", "retrieve", "query", "sync", "listtypes", "describe", "me", "lookup"}
)
MAX_PACING_SLEEP = 60.0


def is_get(operation: str) -> bool:
    """Whether ``operation`` is sent as GET (everything else is POST)."""
    return operation.lower() in GET_OPS


class Transport(Protocol):
    """Sends one operation and returns the HTTP response."""

    def send(self, operation: str, params: Mapping[str, str]) -> httpx2.Response:
        """Send ``operation`` with ``params`` (method chosen by the operation)."""
        ...


class Pacer:
    """Keeps a client inside the quota the server announces in its usage headers.

    Vtiger Cloud sends ``X-FloodControl-Remaining``/``-Reset`` (per minute) and
    ``X-RateLimit-Remaining`` (per day) on every response. When the minute budget is down to
    ``reserve`` the next request waits until the announced reset; when the day budget is gone the
    run stops with ``QuotaExhausted`` instead of spinning.
    """

    def __init__(self, reserve: int = 1, sleep: Callable[[float], None] = time.sleep) -> None:
        self._reserve = reserve
        self._sleep = sleep
        self._lock = threading.Lock()
        self._wait_until = 0.0
        self._day_left: int | None = None
        self._day_reset: float | None = None
        self.slept = 0.0

    def before(self) -> None:
        """Wait (or refuse) before sending a request."""
        with self._lock:
            if self._day_left is not None and self._day_left <= 0:
                resets = datetime.fromtimestamp(self._day_reset, UTC) if self._day_reset else None
                raise QuotaExhausted("The Vtiger daily API quota is used up", resets_at=resets)
            delay = min(self._wait_until - time.time(), MAX_PACING_SLEEP)
        if delay > 0:
            self.slept += delay
            self._sleep(delay)

    def observe(self, response: httpx2.Response) -> None:
        """Read the usage headers of ``response``."""
        headers = response.headers
        minute_left = _int(headers.get("x-floodcontrol-remaining"))
        minute_reset = _int(headers.get("x-floodcontrol-reset"))
        with self._lock:
            if minute_left is not None and minute_left <= self._reserve and minute_reset:
                self._wait_until = max(self._wait_until, float(minute_reset))
            day_left = _int(headers.get("x-ratelimit-remaining"))
            if day_left is not None:
                self._day_left = day_left
                reset = _int(headers.get("x-ratelimit-reset"))
                self._day_reset = float(reset) if reset else None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


class _BaseTransport:
    def __init__(self, settings: VtigerSettings, http: httpx2.Client, pacer: Pacer) -> None:
        self._settings = settings
        self._http = http
        self._pacer = pacer
        self._lock = threading.Lock()
        self.calls = 0

    def _exchange(
        self, request: httpx2.Request, auth: httpx2.BasicAuth | None = None
    ) -> httpx2.Response:
        self._pacer.before()
        with self._lock:
            self.calls += 1
        try:
            response = self._http.send(request, auth=auth) if auth else self._http.send(request)
            response.read()
        except httpx2.TransportError as exc:
            # Connection problems and timeouts are passing faults; never echo the URL (it may
            # carry a session id).
            raise RetriableError(f"Vtiger unreachable: {type(exc).__name__}") from None
        self._pacer.observe(response)
        return response


class WebserviceTransport(_BaseTransport):
    """``/webservice.php?operation=...`` (open-source Vtiger)."""

    def send(self, operation: str, params: Mapping[str, str]) -> httpx2.Response:
        """Send ``operation`` to ``webservice.php``."""
        data = {"operation": operation, **params}
        url = self._settings.endpoint
        if is_get(operation):
            request = self._http.build_request("GET", url, params=data)
        else:
            request = self._http.build_request("POST", url, data=data)
        return self._exchange(request)


class RestTransport(_BaseTransport):
    """``/restapi/v1/vtiger/default/<operation>`` with HTTP Basic (Vtiger Cloud)."""

    def send(self, operation: str, params: Mapping[str, str]) -> httpx2.Response:
        """Send ``operation`` to the REST root with Basic authentication."""
        url = f"{self._settings.endpoint}/{operation}"
        auth = httpx2.BasicAuth(self._settings.username, self._settings.access_key)
        if is_get(operation):
            request = self._http.build_request("GET", url, params=dict(params))
        else:
            request = self._http.build_request("POST", url, data=dict(params))
        return self._exchange(request, auth)


def make_transport(
    settings: VtigerSettings, http: httpx2.Client, pacer: Pacer
) -> WebserviceTransport | RestTransport:
    """The transport for ``settings.flavour``."""
    if settings.flavour == "restapi":
        return RestTransport(settings, http, pacer)
    return WebserviceTransport(settings, http, pacer)
