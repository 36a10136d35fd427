"""Settings of one Constant Contact connector (the OAuth application plus the sync scope).

``CCConfig`` is what a person sets (stored as the ``cc`` part of a connector's settings; the CLI
options and the form fields are built from it); ``CCSettings`` is what the connector runs with,
built from it by ``CCConfig.runtime``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from ccsync.connectors.provider_config import ProviderConfig
from ccsync.domain.links import is_http_url
from ccsync.domain.setting import setting
from ccsync.errors import ConfigError

AUTHZ_BASE = "https://authz.constantcontact.com/oauth2/default/v1"
API_BASE = "https://api.cc.email/v3"
DEFAULT_SCOPES = "contact_data offline_access"
DEFAULT_RATE = 3.8
"""Requests per second when one machine runs the connectors (CC allows 4)."""
SHARED_RATE = 3.2
"""The pace when workers on several machines share the limiter (in PostgreSQL): CC counts 4 per
second by *arrival*, and the time from admission to arrival varies more between machines than
within one (4 per 1.25 s leaves a quarter of a second for it)."""

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


class RetryTuning(BaseModel):
    """Operator tuning of the retry bounds (``RetryPolicy``); a missing value keeps its default."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    attempts: int | None = None
    max_delay: float | None = None
    first_wait: float | None = None
    max_wait: float | None = None
    activity_timeout: float | None = None


class CCConfig(ProviderConfig):
    """The Constant Contact part of a connector's settings, as a person sets it."""

    KEY_PREFIX: ClassVar[str] = "cc_"
    TITLE: ClassVar[str] = "Constant Contact"

    client_id: str = setting(
        "", label="Client ID", note="API Key",
        group="oauth", required=True, max_length=255,
    )  # fmt: skip
    client_secret: SecretStr = setting(
        SecretStr(""), label="Client Secret", group="oauth",
        required=True, max_length=1000,
    )  # fmt: skip
    auth_url: str = setting(
        f"{AUTHZ_BASE}/authorize", label="Auth URL", input="url", group="oauth", required=True,
        max_length=2000,
    )  # fmt: skip
    token_url: str = setting(
        f"{AUTHZ_BASE}/token", label="Token URL", input="url", group="oauth", required=True,
        max_length=2000,
    )  # fmt: skip
    revoke_url: str = setting(
        "", label="Revoke URL", note="optional",
        help="Empty: the Token URL with /token replaced by /revoke.",
        input="url", group="oauth", max_length=2000,
    )  # fmt: skip
    api_base_url: str = setting(
        API_BASE, key="cc_api_url", label="API base URL", input="url", group="oauth",
        required=True, max_length=2000,
    )  # fmt: skip
    redirect_uri: str = setting(
        "http://127.0.0.1:8765/oauth/callback", label="Redirect URI", input="url",
        help="The Redirect URI registered for the application (the web app uses its own).",
        max_length=2000,
    )  # fmt: skip
    scopes: str = setting(
        DEFAULT_SCOPES, label="Scopes", group="oauth", required=True, max_length=500,
        help=f"Default: {DEFAULT_SCOPES}. Without offline_access there is no refresh token and "
        "the connection dies after 24 hours.",
    )  # fmt: skip
    pkce: PkceMode = setting(
        "auto", key="pkce", label="Use PKCE", group="oauth",
        help="Turn it off if your application (a confidential app with a secret) rejects PKCE.",
        choices={"auto": "Auto", "on": "On", "off": "Off"},
    )  # fmt: skip
    target_list: str = setting(
        "ccsync", key="target_list", label="Target Constant Contact list", group="contacts",
        required=True, max_length=255,
    )  # fmt: skip
    scope: ScopeMode = setting(
        "account", label="Constant Contact contacts to sync", group="contacts",
        choices={"account": "The whole account", "lists": "Only members of the target list"},
    )  # fmt: skip
    contact_url: str = setting(
        "https://app.constantcontact.com/pages/contacts/ui#contact/{cc_id}",
        form="cc_record_url", label="Constant Contact record URL template", group="contacts",
        help="{cc_id} is replaced by the contact id.", max_length=2000,
    )  # fmt: skip
    rate: float | None = setting(
        None, label="Requests per second",
        help=f"Client-side limit of calls to Constant Contact (default {DEFAULT_RATE}; "
        f"{SHARED_RATE} when several machines share a PostgreSQL store).",
    )  # fmt: skip
    daily_quota: int = setting(
        10000, label="Daily call quota", help="Calls per UTC day the application may make."
    )
    retry: RetryTuning | None = setting(None, label="Retry bounds", cli=False)
    account_label: str = setting("", label="Account name", cli=False)

    @field_validator("scopes")
    @classmethod
    def _one_space(cls, value: str) -> str:
        return " ".join(value.split())

    def check(self) -> None:
        """What pydantic's types cannot say: the endpoints are http(s) URLs.

        Raises:
            ConfigError: the message names the value.
        """
        for url in (self.auth_url, self.token_url, self.api_base_url):
            if url and not url.startswith(("http://", "https://")):
                raise ConfigError(f"{url!r} is not an http(s) URL")

    def record_url(self, record_id: str | None) -> str:
        """Link to the contact through the URL template (``contact_url``).

        Only http(s) links are made, whatever the stored template says (defence in depth: the
        settings refuse other schemes).
        """
        if not self.contact_url or not record_id:
            return ""
        url = self.contact_url.replace("{cc_id}", quote(record_id, safe=""))
        return url if is_http_url(url) else ""

    def target_list_name(self) -> str:
        """The list ccsync adds CRM contacts to (created on demand)."""
        return self.target_list

    def list_scoped(self) -> bool:
        """Whether only the target list's members are synced."""
        return self.scope == "lists"

    def budget_key(self) -> str:
        """The application's client id: its connectors share one daily budget."""
        return self.client_id

    def budget_quota(self) -> int:
        """Calls per UTC day the application may make."""
        return self.daily_quota

    def pace(self, shared: bool) -> float:
        """Requests per second: the one set, else the default (slower when ``shared``)."""
        if self.rate is not None:
            return self.rate
        return SHARED_RATE if shared else DEFAULT_RATE

    def runtime(self) -> CCSettings:
        """The settings the connector runs with.

        Raises:
            ConfigError: no client id yet.
        """
        if not self.client_id:
            raise ConfigError("the connector has no Constant Contact client id")
        return CCSettings(
            client_id=self.client_id,
            client_secret=self.client_secret.get_secret_value(),
            redirect_uri=self.redirect_uri,
            auth_url=self.auth_url,
            token_url=self.token_url,
            revoke_url=self.revoke_url or None,
            api_base_url=self.api_base_url.rstrip("/"),
            scopes=self.scopes,
            pkce=self.pkce,
            target_list=self.target_list,
            scope=self.scope,
        )
