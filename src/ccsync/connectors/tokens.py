"""OAuth tokens as any provider keeps them: a versioned set and where it is stored.

A rotated refresh token works once. Losing the new pair after the provider issued it means the
grant is dead, so a store keeps a version number and only accepts a new pair from a writer that
saw the current version (``swap``); refreshes are serialised across processes (``refresh_lock``).
The store's ``DbTokenStore`` and Constant Contact's ``FileTokenStore`` implement ``TokenStore``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class TokenSet:
    """One access token with its refresh token (secrets are kept out of the repr)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime
    scope: str
    version: int = 0

    @classmethod
    def from_response(
        cls, raw: dict[str, Any], now: datetime, previous_refresh: str | None = None
    ) -> TokenSet:
        """Build a set from a token endpoint answer (``expires_in`` is relative to ``now``)."""
        expires_in = float(raw.get("expires_in") or 3600)
        refresh = raw.get("refresh_token") or previous_refresh
        return cls(
            access_token=str(raw["access_token"]),
            refresh_token=str(refresh) if refresh else None,
            expires_at=now + timedelta(seconds=expires_in),
            scope=str(raw.get("scope") or ""),
        )

    def expires_within(self, now: datetime, seconds: float) -> bool:
        """Whether the access token expires less than ``seconds`` after ``now``."""
        return self.expires_at - now < timedelta(seconds=seconds)

    def to_json(self) -> dict[str, Any]:
        """The set as a JSON object."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat(),
            "scope": self.scope,
            "version": self.version,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenSet:
        """Inverse of ``to_json``."""
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=data.get("refresh_token"),
            expires_at=datetime.fromisoformat(str(data["expires_at"])).astimezone(UTC),
            scope=str(data.get("scope") or ""),
            version=int(data.get("version") or 0),
        )


class TokenStore(Protocol):
    """Where one connector's tokens live (file, database row…)."""

    def load(self) -> TokenSet | None:
        """The stored set, or None when nobody signed in."""
        ...

    def swap(self, expected_version: int | None, new: TokenSet) -> TokenSet | None:
        """Atomically store ``new`` if the stored version is still ``expected_version``.

        Args:
            expected_version: the version the caller saw (None = nothing stored).
            new: the set to store; its ``version`` is ignored.

        Returns:
            The stored set with its new version, or None if another writer won.
        """
        ...

    def clear(self) -> None:
        """Forget the tokens (revoke, sign out)."""
        ...

    def refresh_lock(self) -> AbstractContextManager[None]:
        """Held while refreshing: one refresh at a time per connector, across processes."""
        ...
