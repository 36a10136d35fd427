"""Raw Constant Contact v3 calls: budget, pacing, bearer token, retries, paging, activities.

Every request spends one call of the application's daily budget, waits for the shared limiter,
carries a valid access token (refreshed once on 401) and goes through the single status mapping
of ``errors.py``. Idempotent calls are retried with tenacity on throttling, 5xx and dropped
connections, bounded by attempts and total delay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from tenacity import (
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    wait_exception,
    wait_exponential,
    wait_exponential_jitter,
)

from ccsync.connectors.constantcontact.budget import DailyBudget
from ccsync.connectors.constantcontact.bulk import dumps
from ccsync.connectors.constantcontact.errors import raise_for_response, transport_error
from ccsync.connectors.constantcontact.limiter import CallLimiter
from ccsync.connectors.constantcontact.oauth import TokenManager
from ccsync.connectors.constantcontact.settings import CCSettings
from ccsync.errors import QuotaExhausted, RetriableError

ACTIVITY_RUNNING = ("initialized", "processing")
Params = dict[str, str | int]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds of automatic retries (attempts and total seconds) and of activity polling."""

    attempts: int = 6
    max_delay: float = 90.0
    first_wait: float = 1.0
    max_wait: float = 16.0
    activity_timeout: float = 900.0


def utc_midnight_after(instant: datetime) -> datetime:
    """The next 00:00 UTC after ``instant`` (when CC's daily quota resets)."""
    day = instant.astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _retry_after(exc: BaseException) -> float:
    return float(getattr(exc, "retry_after", None) or 0.0)


class CCClient:
    """The v3 API as JSON in, JSON out.

    Args:
        settings: connector settings (API base URL, client id).
        tokens: supplies bearer tokens.
        http: the HTTP client (tracing hooks attached by the connector).
        limiter: the application's shared limiter.
        budget: the shared daily budget; ``daily_quota`` is its ceiling.
        clock: the current time (aware UTC), for the budget's UTC date.
        policy: retry bounds.
    """

    def __init__(
        self,
        settings: CCSettings,
        tokens: TokenManager,
        http: httpx2.Client,
        limiter: CallLimiter,
        budget: DailyBudget,
        daily_quota: int,
        clock: Callable[[], datetime],
        policy: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self._tokens = tokens
        self._http = http
        self._limiter = limiter
        self._budget = budget
        self._quota = daily_quota
        self._clock = clock
        self.policy = policy or RetryPolicy()
        self.api_calls = 0

    # --- one request -------------------------------------------------------------------

    def url(self, path: str) -> str:
        """Absolute URL of an API path (``/contacts``) or of a ``_links`` href (``/v3/…``)."""
        if path.startswith("http"):
            return path
        if path.startswith("/v3/"):
            return self.settings.api_origin + path
        return self.settings.api_base_url.rstrip("/") + path

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        content: bytes | None = None,
        stream: bool = False,
        accept: str = "application/json",
    ) -> httpx2.Response:
        """One request, without retries (a 401 refreshes the token and repeats once).

        With ``stream=True`` the body of a successful answer is left unread for
        ``iter_bytes()``; the caller closes the response.

        Raises:
            ccsync.errors.SyncError: the mapped error of a failed answer.
        """
        if content is None and json is not None:
            content = dumps(json).encode()
        token = self._tokens.current()
        request = (method, path, params, content, accept, stream)
        response = self._exchange(*request, token.access_token)
        if response.status_code == 401:
            response.close()
            token = self._tokens.refresh(token)
            response = self._exchange(*request, token.access_token)
        if stream and response.status_code >= 300:
            response.read()
            response.close()
        raise_for_response(response, resets_at=self._resets_at())
        return response

    def call(
        self, method: str, path: str, *, params: Params | None = None, json: Any = None
    ) -> Any:
        """An idempotent request with automatic retries; returns the JSON body (or None)."""
        response = self.retrying()(lambda: self.send(method, path, params=params, json=json))
        return response.json() if response.content else None

    def retrying(self) -> Retrying:
        """The tenacity policy for retriable failures (throttling, 5xx, connection loss)."""
        p = self.policy
        return Retrying(
            retry=retry_if_exception_type(RetriableError),
            stop=stop_after_attempt(p.attempts) | stop_after_delay(p.max_delay),
            wait=wait_exception(_retry_after)
            + wait_exponential_jitter(multiplier=p.first_wait, max=p.max_wait, jitter=p.first_wait),
            reraise=True,
        )

    def _exchange(
        self,
        method: str,
        path: str,
        params: Params | None,
        content: bytes | None,
        accept: str,
        stream: bool,
        access_token: str,
    ) -> httpx2.Response:
        self._spend_budget()
        self._limiter.acquire()
        self.api_calls += 1
        headers = {"Authorization": f"Bearer {access_token}", "Accept": accept}
        if content is not None:
            headers["Content-Type"] = "application/json"
        try:
            request = self._http.build_request(
                method, self.url(path), params=params, content=content, headers=headers
            )
            return self._http.send(request, stream=stream)
        except httpx2.TransportError as exc:
            raise transport_error(exc) from None

    def _resets_at(self) -> datetime:
        return utc_midnight_after(self._clock())

    def _spend_budget(self) -> None:
        key, day = self.settings.client_id, self._clock().astimezone(UTC).date()
        if self._budget.spend(key, day) > self._quota:
            self._budget.spend(key, day, -1)
            resets = self._resets_at()
            raise QuotaExhausted(
                f"daily budget of {self._quota} calls used up; resets at {resets.isoformat()}",
                resets_at=resets,
            )

    # --- collections ---------------------------------------------------------------------

    def pages(self, path: str, params: Params | None = None) -> Iterator[dict[str, Any]]:
        """Every page of a collection, following ``_links.next.href`` exactly as given."""
        page: dict[str, Any] = self.call("GET", path, params=params) or {}
        yield page
        while (href := ((page.get("_links") or {}).get("next") or {}).get("href")) is not None:
            page = self.call("GET", href) or {}
            yield page

    def items(self, path: str, key: str, params: Params | None = None) -> Iterator[dict[str, Any]]:
        """Every item under ``key`` across all pages."""
        for page in self.pages(path, params):
            yield from page.get(key) or []

    # --- bulk activities -----------------------------------------------------------------

    def wait_activity(self, activity: dict[str, Any]) -> dict[str, Any]:
        """Poll ``GET /activities/{id}`` until the activity leaves initialized/processing."""
        activity_id = str(activity["activity_id"])

        def poll() -> dict[str, Any]:
            return dict(self.call("GET", f"/activities/{activity_id}") or {})

        if activity.get("state") not in ACTIVITY_RUNNING:
            return activity
        retrying = Retrying(
            retry=retry_if_result(lambda a: a.get("state") in ACTIVITY_RUNNING),
            stop=stop_after_delay(self.policy.activity_timeout),
            wait=wait_exponential(multiplier=0.25, min=0.25, max=4),
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else {},
        )
        result: dict[str, Any] = retrying(poll)
        return result
