"""Raw Vtiger operations with retries for idempotent reads.

Reads (``query``, ``retrieve``, ``describe``, ``sync``) are retried with tenacity on passing
faults: HTTP 5xx, dropped connections, timeouts, 429. Writes are sent once, because a lost answer
to ``create`` may still have created the record (the caller finds it again by e-mail); a 429 is
the exception, since a throttled request was never run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from ccsync.connectors.vtiger.errors import ServerFailure
from ccsync.connectors.vtiger.session import Identity, Session
from ccsync.errors import FatalError, RateLimited, RetriableError

MAX_RETRY_WAIT = 60.0
_backoff = wait_exponential_jitter(multiplier=0.2, max=5.0, jitter=0.3)


def _wait(state: RetryCallState) -> float:
    """Honour ``retry_after`` (429 / flood control), else exponential back-off with jitter."""
    outcome = state.outcome
    exc = outcome.exception() if outcome is not None else None
    if isinstance(exc, RetriableError) and exc.retry_after is not None:
        return min(exc.retry_after, MAX_RETRY_WAIT)
    return float(_backoff(state))


class VtigerClient:
    """One Vtiger user's operations on one server, flavour-independent.

    Args:
        session: the webservice session or the Cloud identity.
        read_attempts: attempts for an idempotent read before its error is raised.
    """

    def __init__(self, session: Session, *, read_attempts: int = 3) -> None:
        self._session = session
        self._read_attempts = max(1, read_attempts)

    def identity(self) -> Identity:
        """The logged-in user."""
        return self._session.identity()

    def query(self, vtql: str) -> list[dict[str, Any]]:
        """Rows of a VTQL query (at most 100; the server caps every page)."""
        result = self._read("query", {"query": vtql})
        if not isinstance(result, list):
            raise FatalError("Vtiger query answered something that is not a list")
        return [row for row in result if isinstance(row, dict)]

    def count(self, vtql: str) -> int:
        """The number a ``SELECT count(*) ...`` query returns (Vtiger sends it as a string)."""
        rows = self.query(vtql)
        try:
            return int(rows[0]["count"])
        except (IndexError, KeyError, TypeError, ValueError):
            raise FatalError("Vtiger count(*) answered an unexpected shape") from None

    def retrieve(self, record_id: str) -> dict[str, Any]:
        """One full record."""
        return self._record(self._read("retrieve", {"id": record_id}))

    def describe(self, element_type: str) -> dict[str, Any]:
        """The ``describe`` of a module."""
        return self._record(self._read("describe", {"elementType": element_type}))

    def sync(
        self, modified_time: int, element_type: str, sync_type: str | None, *, retry: bool = True
    ) -> dict[str, Any]:
        """One ``sync`` page (``updated``, ``deleted``, ``more``, ``lastModifiedTime``)."""
        params = {"modifiedTime": str(int(modified_time)), "elementType": element_type}
        if sync_type:
            params["syncType"] = sync_type
        result = self._read("sync", params) if retry else self._session.call("sync", params)
        return self._record(result)

    def create(self, element_type: str, element: Mapping[str, Any]) -> dict[str, Any]:
        """Create a record; returns it as stored."""
        params = {"elementType": element_type, "element": json.dumps(dict(element))}
        return self._record(self._write("create", params))

    def revise(self, element: Mapping[str, Any]) -> dict[str, Any]:
        """Change only the fields in ``element`` (which holds ``id``); returns the record."""
        return self._record(self._write("revise", {"element": json.dumps(dict(element))}))

    def delete(self, record_id: str) -> None:
        """Soft-delete a record."""
        self._write("delete", {"id": record_id})

    def _read(self, operation: str, params: Mapping[str, str]) -> Any:
        retrying = Retrying(
            retry=retry_if_exception_type((RetriableError, ServerFailure)),
            stop=stop_after_attempt(self._read_attempts),
            wait=_wait,
            reraise=True,
        )
        return retrying(self._session.call, operation, params)

    def _write(self, operation: str, params: Mapping[str, str]) -> Any:
        retrying = Retrying(
            retry=retry_if_exception_type(RateLimited),
            stop=stop_after_attempt(self._read_attempts),
            wait=_wait,
            reraise=True,
        )
        try:
            return retrying(self._session.call, operation, params)
        except ServerFailure as exc:
            # The write may or may not have happened: retry this record later (a lost create
            # is found again by e-mail), rather than stopping the whole run.
            raise RetriableError(f"{exc} (the {operation} may have been applied)") from None

    @staticmethod
    def _record(result: Any) -> dict[str, Any]:
        if not isinstance(result, dict):
            raise FatalError("Vtiger answered something that is not a record")
        return result
