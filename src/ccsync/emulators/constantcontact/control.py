"""``/_emulator/*``: test and benchmark controls (never rate-limited, never faulted)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ccsync.emulators.constantcontact import activities, seed
from ccsync.emulators.constantcontact import contacts as ops
from ccsync.emulators.constantcontact.oauth import OAuthError, grant_directly
from ccsync.emulators.constantcontact.owner import owner_router
from ccsync.emulators.constantcontact.runtime import ApiError, bad_request, runtime
from ccsync.emulators.faults import FaultRule

router = APIRouter(prefix="/_emulator")
router.include_router(owner_router)


async def _optional_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise bad_request("The request body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise bad_request("The request body must be a JSON object")
    return data


def _int(body: dict[str, Any], key: str, default: int = 0) -> int:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise bad_request(f"{key} must be a non-negative integer")
    return value


@router.get("/health")
def health() -> dict[str, bool]:
    """Liveness for ``start_ccsync``."""
    return {"ok": True}


@router.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    """Empty every account (optionally seed ``seed_contacts`` per account); OAuth stays.

    The clock goes back to how the emulator started (``--clock``) first, so seeded contacts are
    dated relative to it, never to the real date.
    """
    body = await _optional_json(request)
    rt = runtime(request)
    count, seed_value = _int(body, "seed_contacts"), _int(body, "seed")
    rt.state.clock.restart()
    with rt.state.lock:
        rt.state.reset_accounts()
        if count:
            seed.seed_all(rt.state, count, seed_value)
    rt.quota.clear()
    rt.window.set_rate(rt.state.config.rate_limit)
    rt.token_window.set_rate(rt.state.config.token_rate_limit)
    return {"ok": True}


@router.get("/clock")
def get_clock(request: Request) -> dict[str, object]:
    """``Clock.snapshot()``."""
    return runtime(request).state.clock.snapshot()


@router.post("/clock")
async def set_clock(request: Request) -> dict[str, object]:
    """``Clock.apply(body)``: ``{"set": iso, "advance": seconds, "freeze": bool}``."""
    clock = runtime(request).state.clock
    try:
        clock.apply(await _optional_json(request))
    except ValueError as exc:
        raise bad_request(str(exc)) from exc
    return clock.snapshot()


@router.get("/counters")
def get_counters(request: Request) -> dict[str, object]:
    """Requests to ``/v3`` and ``/oauth2`` per endpoint (429s included), and per application
    (``by_key``: admitted, throttled, quota_exceeded, peak_per_second)."""
    rt = runtime(request)
    return {**rt.counters.snapshot(), "by_key": rt.by_key.snapshot()}


@router.delete("/counters")
def clear_counters(request: Request) -> dict[str, object]:
    """Reset the counters to zero."""
    rt = runtime(request)
    rt.counters.clear()
    rt.by_key.clear()
    return {**rt.counters.snapshot(), "by_key": rt.by_key.snapshot()}


@router.post("/faults")
async def set_faults(request: Request) -> dict[str, Any]:
    """Replace the fault rules: ``{"rules": [FaultRule fields], "seed": int}``."""
    body = await _optional_json(request)
    rules = body.get("rules") or []
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise bad_request("rules must be an array of objects")
    faults = runtime(request).faults
    try:
        parsed = [FaultRule.from_json(r) for r in rules]
    except TypeError as exc:
        raise bad_request(str(exc)) from exc
    faults.set_rules(parsed, _int(body, "seed"))
    return {"rules": faults.describe()}


@router.get("/faults")
def get_faults(request: Request) -> dict[str, Any]:
    """The fault rules, each with how often it fired."""
    return {"rules": runtime(request).faults.describe()}


@router.delete("/faults")
def clear_faults(request: Request) -> dict[str, Any]:
    """Remove every fault rule."""
    faults = runtime(request).faults
    faults.clear()
    return {"rules": faults.describe()}


@router.get("/config")
def get_config(request: Request) -> dict[str, Any]:
    """The current settings (no client secret)."""
    return runtime(request).state.config.public()


@router.post("/config")
async def set_config(request: Request) -> dict[str, Any]:
    """Change settings at run time (a ``profile`` key first, then single settings)."""
    body = await _optional_json(request)
    rt = runtime(request)
    with rt.state.lock:
        try:
            rt.state.config.apply(body)
        except (ValueError, TypeError) as exc:
            raise bad_request(str(exc)) from exc
    rt.sync_limits()
    return rt.state.config.public()


@router.post("/grant")
async def grant(request: Request) -> JSONResponse:
    """A token response as the token endpoint gives it, without the browser."""
    body = await _optional_json(request)
    rt = runtime(request)
    with rt.state.lock:
        try:
            account = _int(body, "account", 1)
            tokens = grant_directly(rt.state, account, str(body.get("scope") or ""))
        except OAuthError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
    return JSONResponse(tokens)


@router.get("/accounts")
def accounts(request: Request) -> list[dict[str, Any]]:
    """Every account with its owner login and contact count."""
    state = runtime(request).state
    with state.lock:
        return [
            {
                "number": a.number,
                "account_id": a.account_id,
                "login": a.login,
                "password": a.password,
                "contacts": len(a.contacts),
            }
            for a in state.accounts.values()
        ]


@router.post("/contacts/{contact_id}/unsubscribe")
def contact_unsubscribes(contact_id: str, request: Request) -> dict[str, Any]:
    """The contact clicks "unsubscribe" (``opt_out_source`` and ``update_source`` Contact)."""
    state = runtime(request).state
    with state.lock:
        account, contact = _find_anywhere(request, contact_id)
        activities.run_due(state, account)
        bump = state.config.optout_bumps_updated
        ops.unsubscribe(contact, "Contact", "Unsubscribed by the contact", state.now(), bump=bump)
        state.dirty = True
        return ops.serialize(contact, ops.SUBRESOURCES)


@router.post("/contacts/{contact_id}/resubscribe")
def contact_resubscribes(contact_id: str, request: Request) -> dict[str, Any]:
    """The contact confirms a resubscribe email: ``explicit``, ``opt_in_source`` Contact."""
    state = runtime(request).state
    with state.lock:
        account, contact = _find_anywhere(request, contact_id)
        now = state.now()
        ops.set_permission(contact, "explicit", now)
        contact["email_address"]["opt_in_source"] = "Contact"
        lists = account.resubscribe_sent.pop(contact_id, [])
        contact["list_memberships"] = list(dict.fromkeys([*contact["list_memberships"], *lists]))
        contact.update(update_source="Contact", updated_at=now)
        state.dirty = True
        return ops.serialize(contact, ops.SUBRESOURCES)


def _find_anywhere(request: Request, contact_id: str) -> tuple[Any, dict[str, Any]]:
    for account in runtime(request).state.accounts.values():
        contact = account.contacts.get(contact_id)
        if contact is not None:
            return account, contact
    raise ApiError(404, [{"error_key": "not_found", "error_message": "No such contact"}])
