"""Settings of one Constant Contact connector (the OAuth application plus the sync scope)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AUTHZ_BASE = "https://authz.constantcontact.com/oauth2/default/v1"
API_BASE = "https://api.cc.email/v3"
DEFAULT_SCOPES = "contact_data offline_access"

PkceMode = Literal["auto", "on", "off"]
ScopeMode = Literal["account", "lists"]
DeletionCheck = Literal["updated_after", "count_probe"]


@dataclass(frozen=True, slots=True)
class CCSettings:
    """What a connector needs to reach one Constant Contact account.

    Attributes:
        client_id: the application's client id (CC calls it the "API key").
        client_secret: the application's secret (never shown in reprs).
        redirect_uri: the Redirect URI registered for the application.
        auth_url: the authorization endpoint.
        token_url: the token endpoint.
        revoke_url: the revocation endpoint; None derives it from ``token_url``.
        api_base_url: the v3 API root, without a trailing slash.
        scopes: space-separated OAuth scopes.
        pkce: ``auto`` and ``on`` send a PKCE S256 challenge, ``off`` never does.
        target_list: name of the list ccsync adds CRM contacts to (created on demand).
        scope: ``account`` syncs the whole account, ``lists`` only members of the target list.
        deletion_check: how change reads find deletes: ``updated_after`` trusts that a delete
            bumps ``updated_at``; ``count_probe`` also counts deleted contacts on every read
            (one more call) and lists them when the count moves.
        overlap_seconds: look-back applied to change-read watermarks.
    """

    client_id: str
    client_secret: str = field(repr=False, default="")
    redirect_uri: str = ""
    auth_url: str = f"{AUTHZ_BASE}/authorize"
    token_url: str = f"{AUTHZ_BASE}/token"
    revoke_url: str | None = None
    api_base_url: str = API_BASE
    scopes: str = DEFAULT_SCOPES
    pkce: PkceMode = "auto"
    target_list: str = "ccsync"
    scope: ScopeMode = "account"
    deletion_check: DeletionCheck = "updated_after"
    overlap_seconds: int = 300

    @classmethod
    def for_base_url(
        cls, base_url: str, client_id: str, client_secret: str, **kw: object
    ) -> CCSettings:
        """Settings for a server (the emulator) serving both OAuth and ``/v3`` at ``base_url``."""
        root = base_url.rstrip("/")
        return cls(
            client_id=client_id,
            client_secret=client_secret,
            auth_url=f"{root}/oauth2/default/v1/authorize",
            token_url=f"{root}/oauth2/default/v1/token",
            api_base_url=f"{root}/v3",
            **kw,  # type: ignore[arg-type]
        )

    def revoke_endpoint(self) -> str | None:
        """The revoke URL: the configured one, else the token URL with ``/token`` → ``/revoke``."""
        if self.revoke_url:
            return self.revoke_url
        if self.token_url.endswith("/token"):
            return self.token_url[: -len("/token")] + "/revoke"
        return None

    @property
    def uses_pkce(self) -> bool:
        """Whether the authorization request carries a PKCE challenge."""
        return self.pkce != "off"

    @property
    def api_origin(self) -> str:
        """Scheme and host of the API: ``_links.next.href`` values are relative to it."""
        base = self.api_base_url.rstrip("/")
        return base[: -len("/v3")] if base.endswith("/v3") else base
