"""What every request handler shares: the state, the limiters, the counters, the faults, and the
helpers that turn problems into CC-shaped error responses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from ccsync.emulators.constantcontact import activities
from ccsync.emulators.constantcontact.limits import (
    QUOTA_EXCEEDED,
    THROTTLED,
    CallCounters,
    DailyQuota,
    KeyCounters,
    SlidingWindow,
)
from ccsync.emulators.constantcontact.state import Account, EmulatorState, Record
from ccsync.emulators.constantcontact.validation import is_uuid
from ccsync.emulators.faults import FaultInjector

VALIDATION = "contacts.api.validation.error"
UNAUTHORIZED = {"error_key": "unauthorized", "error_message": "Unauthorized"}


class ApiError(Exception):
    """An error answer; ``body`` is sent as JSON with ``status``."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status = status
        self.body = body

    def response(self) -> JSONResponse:
        """The JSON response for this error."""
        return JSONResponse(self.body, status_code=self.status)


def errors(status: int, key: str, *messages: str) -> ApiError:
    """An error with CC's usual array body ``[{error_key, error_message}, …]``."""
    return ApiError(status, [{"error_key": key, "error_message": m} for m in messages])


def bad_request(*messages: str) -> ApiError:
    """A 400 validation error."""
    return errors(400, VALIDATION, *messages)


@dataclass
class Runtime:
    """The emulator's shared parts, stored on ``app.state.rt``."""

    state: EmulatorState
    window: SlidingWindow
    token_window: SlidingWindow
    quota: DailyQuota
    counters: CallCounters
    faults: FaultInjector
    by_key: KeyCounters

    @classmethod
    def create(cls, state: EmulatorState) -> Runtime:
        """Limiters configured from ``state.config``."""
        config = state.config
        return cls(
            state=state,
            window=SlidingWindow(state.clock, config.rate_limit),
            token_window=SlidingWindow(state.clock, config.token_rate_limit),
            quota=DailyQuota(state.clock, config.daily_quota),
            counters=CallCounters(),
            faults=FaultInjector(),
            by_key=KeyCounters(state.clock),
        )

    def sync_limits(self) -> None:
        """Push config changes into the limiters."""
        config = self.state.config
        if self.window.per_second != config.rate_limit:
            self.window.set_rate(config.rate_limit)
        if self.token_window.per_second != config.token_rate_limit:
            self.token_window.set_rate(config.token_rate_limit)
        self.quota.per_day = config.daily_quota


@dataclass
class Ctx:
    """One authorised ``/v3`` request: the runtime and the caller's account."""

    rt: Runtime
    account: Account
    scope: set[str]

    @property
    def state(self) -> EmulatorState:
        """The emulator state."""
        return self.rt.state


def runtime(request: Request) -> Runtime:
    """The runtime of the app serving ``request``."""
    rt: Runtime = request.app.state.rt
    return rt


def api_context(request: Request) -> Ctx:
    """FastAPI dependency for ``/v3``: token, scope, quota and window, then due activities."""
    return _context(request, {"contact_data"})


def account_context(request: Request) -> Ctx:
    """Like ``api_context`` for ``/v3/account/*``, which CC grants with ``account_read``.

    ``contact_data`` is accepted too, so a sync holding only ``contact_data offline_access`` can
    learn which account it is connected to (documented as a leniency of the emulator).
    """
    return _context(request, {"account_read", "contact_data"})


def _context(request: Request, any_of: set[str]) -> Ctx:
    rt = runtime(request)
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    state = rt.state
    with state.lock:
        record = state.oauth["access"].get(token) if token else None
        if record is None or float(record["expires"]) <= state.clock.time():
            raise ApiError(401, UNAUTHORIZED)
        account = state.accounts.get(int(record["account"]))
        if account is None:
            raise ApiError(401, UNAUTHORIZED)
        scope = set(str(record["scope"]).split())
    if not any_of & scope:
        needed = " or ".join(sorted(any_of))
        raise errors(403, "forbidden", f"The access token lacks the {needed} scope.")
    _limit(rt, str(record["client_id"]))
    with state.lock:
        activities.run_due(state, account)
    return Ctx(rt, account, scope)


def _limit(rt: Runtime, client_id: str) -> None:
    if not rt.quota.admit(client_id):
        rt.by_key.record(client_id, "quota_exceeded")
        raise ApiError(429, QUOTA_EXCEEDED)
    if not rt.window.admit(client_id):
        rt.by_key.record(client_id, "throttled")
        raise ApiError(429, THROTTLED)
    rt.by_key.record(client_id, "admitted")


async def json_body(request: Request) -> Any:
    """The request's JSON body: 415 unless it is ``application/json``, 400 if malformed."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise errors(415, "unsupported_media_type", "Content-Type must be application/json")
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request("The request body is not valid JSON") from exc


def mutated(state: EmulatorState) -> None:
    """Mark the state for the next save of the state file."""
    state.dirty = True


def contact_or_404(account: Account, contact_id: str) -> Record:
    """The contact ``contact_id`` of ``account``."""
    contact = account.contacts.get(contact_id)
    if contact is None and not is_uuid(contact_id):
        raise errors(404, "contacts.api.not_found", "contact_id is in an invalid format.")
    if contact is None:
        raise errors(404, "contacts.api.not_found", "The contact was not found.")
    return contact
