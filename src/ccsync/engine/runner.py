"""The one entry point of a run: ``execute_run`` (``resolve_held`` for held actions,
``discard_first_run`` for a first run waiting at its Preview).

Every backend (the CLI's foreground backend, the web app's APScheduler backend) ends here. A run
takes the connector's lease (renewed while it works), does ``engine.steps``, records the run and
releases the lease. Run-level failures end the run without advancing any watermark:

* ``CrmAuthError`` (Vtiger refused the user name / access key) → connector status ``crm_auth``
  (cleared when the Vtiger credentials are saved again, or by the next run that works);
* any other ``AuthError`` (Constant Contact's tokens) → connector status ``reconnect_needed``;
* ``QuotaExhausted`` → status ``quota`` ("quota exhausted until HH:MM UTC"), paused until reset;
* any other ``FatalError`` (bad settings, Vtiger time zone mismatch) or a storm of retriable
  errors → the run fails with the message.

Example::

    result = execute_run(get_settings(), connector_id, "manual", confirm=True)
    print(result.status, result.counts)
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ccsync.connectors.base import Connector, Side
from ccsync.connectors.trace import redact
from ccsync.engine.config import load_config
from ccsync.engine.factory import TraceBuffer, build_cc, build_crm, debug_on
from ccsync.engine.recording import Recorder
from ccsync.engine.result import Progress, RunResult
from ccsync.engine.steps import RunOptions, RunSteps, StepsOutcome, first_run_cutoff
from ccsync.errors import (
    AuthError,
    CrmAuthError,
    FatalError,
    NotFound,
    QuotaExhausted,
    RetriableError,
)
from ccsync.settings import AppSettings
from ccsync.store import repos
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import session_factory
from ccsync.store.engines import make_engine
from ccsync.store.lease import RunLease
from ccsync.store.repos import ConnectorRow, RunItemWrite
from ccsync.store.repos.runs import set_preview_required, waiting_first_run

LEASE_RENEW_S = 30.0
_MAX_ERROR = 500
NOT_RUNNABLE = {
    "not_configured": "not configured yet",
    "needs_sign_in": "not signed in to Constant Contact (sign in first)",
    "paused": "paused",
}


def execute_run(
    settings: AppSettings,
    connector_id: int,
    trigger: str,
    *,
    confirm: bool = False,
    preview: bool = False,
    progress: Progress | None = None,
) -> RunResult:
    """Run one sync of a connector (or only plan it with ``preview=True``).

    Args:
        settings: the installation's settings (database, data directory).
        connector_id: the connector to run.
        trigger: why it runs (``manual``, ``schedule``, ``cli``, ``queued``…).
        confirm: approve a first run that would stop at its Preview.
        preview: plan only; nothing is written, no watermark moves.
        progress: called with ``(stage, done, total)`` while the run works.

    Returns:
        The result; ``status`` is ``busy`` when another run of the connector holds the lease.
    """
    options = RunOptions(confirm=confirm, preview=preview)
    return _leased(settings, connector_id, trigger, options, progress)


def resolve_held(
    settings: AppSettings,
    connector_id: int,
    *,
    confirm: bool,
    progress: Progress | None = None,
) -> RunResult:
    """Confirm (re-check and apply) or Discard the actions held by the circuit breaker.

    Confirm reads every held record again and plans it with the breaker off, so a record that
    came back in the meantime is not deleted. Discard keeps the pairs and logs "delete ignored".
    """
    if not confirm:
        with _sessions(settings) as sessions, sessions.begin() as session:
            held = repos.pop_held(session, connector_id)
        return _discard(settings, connector_id, held)
    options = RunOptions(confirm=True, breaker=False, pop_held=True)
    return _leased(settings, connector_id, "confirm_held", options, progress)


def discard_first_run(settings: AppSettings, connector_id: int) -> bool:
    """Discard a first run that stopped at its Preview: it no longer waits for Confirm.

    Nothing was written; the next run plans again and stops at its Preview again when it would
    still write that much.

    Returns:
        Whether a first run was waiting (``False``: nothing changed).
    """
    with _sessions(settings) as sessions, sessions.begin() as session:
        run = waiting_first_run(session, connector_id)
        if run is None:
            return False
        set_preview_required(session, run.id, False)
    return True


def _take_held(recorder: Recorder, options: RunOptions) -> list[repos.HeldRow]:
    """Pop the held actions (under the lease) and plan their source records again."""
    with recorder.sessions.begin() as session:
        held = repos.pop_held(session, recorder.connector_id)
    for row in held:
        source: Side = "cc" if row.side == "crm" else "crm"
        record_id = row.cc_id if source == "cc" else row.crm_id
        if record_id:
            options.inject[source].append(record_id)
    return held


# -- lease and run record ---------


@contextmanager
def _sessions(settings: AppSettings) -> Iterator[sessionmaker[Session]]:
    configure_encryption(settings.fernet_keys)
    engine = make_engine(settings.database_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _leased(
    settings: AppSettings,
    connector_id: int,
    trigger: str,
    options: RunOptions,
    progress: Progress | None,
) -> RunResult:
    with _sessions(settings) as sessions:
        lease = RunLease(sessions, connector_id, _holder())
        if not lease.acquire():
            return RunResult(None, "busy", error="A run of this connector is going already.")
        try:
            with lease.keep_alive(LEASE_RENEW_S):
                return _run(settings, sessions, connector_id, trigger, options, progress)
        finally:
            lease.release()


def _load(sessions: sessionmaker[Session], connector_id: int) -> ConnectorRow:
    with sessions.begin() as session:
        row = repos.get_connector(session, connector_id)
    if row is None:
        raise NotFound(f"no connector {connector_id}")
    return row


def _run(
    settings: AppSettings,
    sessions: sessionmaker[Session],
    connector_id: int,
    trigger: str,
    options: RunOptions,
    progress: Progress | None,
) -> RunResult:
    started = time.monotonic()
    row = _load(sessions, connector_id)
    recorder = Recorder(sessions, connector_id)
    states: dict[Side, str | None] = {"crm": recorder.state("crm"), "cc": recorder.state("cc")}
    first_run = states["crm"] is None or states["cc"] is None
    paused = _paused(row)
    if paused is not None:
        return RunResult(None, "quota_exhausted", error=paused)
    if row.status in NOT_RUNNABLE:
        return RunResult(None, "failed", error=f"the connector is {NOT_RUNNABLE[row.status]}")
    run_id = recorder.start(trigger if not options.preview else "preview", first_run=first_run)
    result = RunResult(run_id, "failed")
    trace = TraceBuffer() if debug_on(row) else None
    sink = trace.sink if trace else None
    crm = cc = None
    held = _take_held(recorder, options) if options.pop_held else []
    try:
        crm = build_crm(settings, sessions, row, sink)
        cc = build_cc(settings, sessions, row, sink)
        cutoff = _cutoff(sessions, row) if first_run else None
        outcome = RunSteps(row, crm, cc, recorder, options, progress).run(states, cutoff)
        _fill(result, outcome)
        if row.status in ("reconnect_needed", "quota", "crm_auth"):
            recorder.set_status("connected")
    except (FatalError, RetriableError) as exc:
        _failed(recorder, result, exc)
        recorder.hold([_held_back(h) for h in held])  # confirmed, not applied: hold them again
    except Exception as exc:  # a bug, not a provider's answer: record what it was, then raise
        result.error = unexpected_error(exc)
        raise
    finally:
        result.duration_s = time.monotonic() - started
        _close(recorder, result, (crm, cc), trace)
    return result


def _close(
    recorder: Recorder,
    result: RunResult,
    connectors: tuple[Connector | None, Connector | None],
    trace: TraceBuffer | None,
) -> None:
    """Count the calls, close the connectors, store the trace and record how the run ended."""
    crm, cc = connectors
    result.calls = {"crm": crm.calls if crm else 0, "cc": cc.calls if cc else 0}
    for connector in connectors:
        if connector is not None:
            connector.close()
    if trace is not None:
        recorder.debug(trace.drain())
    counts: dict[str, Any] = dict(result.counts)
    if result.status == "preview" and result.matching:
        counts["matching"] = dict(result.matching)  # the Preview page shows the stored plan
    recorder.finish(
        result.status,
        counts,
        result.calls,
        error=result.error,
        preview_required=result.status == "preview",
    )


def _fill(result: RunResult, outcome: StepsOutcome) -> None:
    result.status = outcome.status  # type: ignore[assignment]
    result.counts = outcome.tally.counts
    result.conflicts = outcome.tally.conflicts
    result.held = outcome.held
    result.preview = outcome.preview
    result.matching = outcome.matching


def _failed(recorder: Recorder, result: RunResult, exc: Exception) -> None:
    """A run-level failure: nothing advances; the connector shows why."""
    result.error = str(exc)
    if isinstance(exc, CrmAuthError):
        result.status = "failed"
        recorder.set_status("crm_auth", str(exc))
    elif isinstance(exc, AuthError):
        result.status = "reconnect_needed"
        recorder.set_status("reconnect_needed", str(exc))
    elif isinstance(exc, QuotaExhausted):
        result.status = "quota_exhausted"
        until = exc.resets_at or datetime.now(UTC)
        result.error = f"quota exhausted until {until.astimezone(UTC):%H:%M} UTC"
        recorder.set_status("quota", result.error)
        with recorder.sessions.begin() as session:
            repos.update_connector(session, recorder.connector_id, paused_until=until)
    else:
        result.status = "failed"


def unexpected_error(exc: Exception) -> str:
    """The run's error text for an exception outside the error tree: its class and message,
    with tokens, secrets and keys masked as the Debug Log masks them, capped at ``_MAX_ERROR``."""
    message = redact(str(exc)).strip()
    text = f"unexpected {type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"


def _paused(row: ConnectorRow) -> str | None:
    """Why the connector may not run now (quota pause), or None."""
    now = datetime.now(UTC)
    if row.paused_until is not None and row.paused_until > now:
        return f"quota exhausted until {row.paused_until.astimezone(UTC):%H:%M} UTC"
    return None


def _cutoff(sessions: sessionmaker[Session], row: ConnectorRow) -> datetime | None:
    """The first-run cutoff, fixed once and stored on the connector."""
    if row.first_run_cutoff is not None:
        return row.first_run_cutoff
    cutoff = first_run_cutoff(load_config(row))
    if cutoff is not None:
        with sessions.begin() as session:
            repos.update_connector(session, row.id, first_run_cutoff=cutoff)
    return cutoff


def _discard(settings: AppSettings, connector_id: int, held: list[repos.HeldRow]) -> RunResult:
    """Log discarded held actions ("delete ignored"); the pairs stay linked."""
    with _sessions(settings) as sessions:
        recorder = Recorder(sessions, connector_id)
        run_id = recorder.start("discard_held", first_run=False)
        items = [
            RunItemWrite(
                side=h.side,
                action="skipped",
                crm_id=h.crm_id,
                cc_id=h.cc_id,
                record_name=str(h.payload.get("name") or "") or None,
                reason="delete_ignored" if h.action in ("delete", "unlist") else "create_held",
                message="Discarded by an admin; the pair stays linked.",
            )
            for h in held
        ]
        recorder.items(items)
        result = RunResult(run_id, "succeeded")
        for item in items:
            result.counts[item.side]["skipped"] += 1
        recorder.finish("succeeded", result.counts, result.calls)
    return result


def _held_back(row: repos.HeldRow) -> repos.HeldWrite:
    return repos.HeldWrite(row.side, row.action, row.crm_id, row.cc_id, dict(row.payload))
