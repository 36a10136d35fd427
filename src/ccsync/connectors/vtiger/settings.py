"""Settings of one Vtiger connector: where the CRM is, who logs in, and what is synced.

``VtigerConfig`` is what a person sets (stored as the ``crm`` part of a connector's settings; the
CLI options and the form fields are built from it); ``VtigerSettings`` is what the connector runs
with, built from it by ``VtigerConfig.runtime``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr

from ccsync.connectors.provider_config import ProviderConfig
from ccsync.domain.links import is_http_url
from ccsync.domain.setting import setting
from ccsync.errors import ConfigError

Flavour = Literal["webservice", "restapi"]
Scope = Literal["assigned", "all"]

RESTAPI_PATH = "/restapi/v1/vtiger/default"
WEBSERVICE_PATH = "/webservice.php"


@dataclass(frozen=True, slots=True)
class VtigerSettings:
    """What the connector needs to reach one Vtiger CRM.

    Attributes:
        url: the CRM's base URL (scheme + host [+ path]); ``/webservice.php`` or the REST root is
            derived from it.
        username: the Vtiger user name (the login e-mail on Vtiger Cloud).
        access_key: the user's access key from *My Preferences* (never shown in reprs).
        flavour: ``webservice`` (open source, challenge/login) or ``restapi`` (Cloud, Basic auth).
        scope: ``assigned`` syncs the contacts assigned to the user; ``all`` (admin only) every
            contact.
        timezone: the server's PHP time zone, in which ``modifiedtime`` is written.
        write_concurrency: how many writes may run at once.
        full_scan_interval: seconds between scheduled full id scans (the deletion safety net).
        timeout: seconds per HTTP request.
        read_attempts: attempts for idempotent reads on 5xx and dropped connections.
        resolve_accounts: show ``account_id`` as the organisation's name and accept a name on
            write (``accounts.py``); off, the reference is passed through untouched.
    """

    url: str
    username: str
    access_key: str = field(repr=False)
    flavour: Flavour = "webservice"
    scope: Scope = "assigned"
    timezone: str = "UTC"
    write_concurrency: int = 4
    full_scan_interval: float = 86400.0
    timeout: float = 30.0
    read_attempts: int = 3
    resolve_accounts: bool = False

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError("The Vtiger URL must start with http:// or https://")
        if not self.username:
            raise ConfigError("The Vtiger user name is empty")
        if not self.access_key:
            raise ConfigError("The Vtiger access key is empty")
        if self.flavour not in ("webservice", "restapi"):
            raise ConfigError(f"Unknown Vtiger flavour {self.flavour!r}")
        if self.scope not in ("assigned", "all"):
            raise ConfigError(f"Unknown Vtiger scope {self.scope!r}")
        if self.write_concurrency < 1:
            raise ConfigError("write_concurrency must be at least 1")
        self.zone()

    def zone(self) -> ZoneInfo:
        """The server time zone as a ``ZoneInfo``.

        Raises:
            ConfigError: the name is not a known IANA time zone.
        """
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"Unknown time zone {self.timezone!r}") from exc

    @property
    def root(self) -> str:
        """The CRM URL without a trailing slash or an operation path."""
        root = self.url.rstrip("/")
        for suffix in (WEBSERVICE_PATH, RESTAPI_PATH):
            if root.endswith(suffix):
                root = root[: -len(suffix)]
        return root

    @property
    def endpoint(self) -> str:
        """The URL the transport talks to (``/webservice.php`` or the REST root)."""
        return self.root + (WEBSERVICE_PATH if self.flavour == "webservice" else RESTAPI_PATH)


class VtigerConfig(ProviderConfig):
    """The Vtiger part of a connector's settings, as a person sets it."""

    KEY_PREFIX: ClassVar[str] = "vtiger_"
    TITLE: ClassVar[str] = "Vtiger"

    url: str = setting(
        "", label="Vtiger URL", input="url", group="vtiger",
        max_length=2000,
    )  # fmt: skip
    username: str = setting("", label="Vtiger user name", group="vtiger", max_length=255)
    access_key: SecretStr = setting(
        SecretStr(""), label="Access key", note="My Preferences in Vtiger",
        group="vtiger", max_length=255,
    )  # fmt: skip
    flavour: Flavour = setting(
        "webservice", label="Vtiger flavour", group="vtiger",
        choices={
            "webservice": "Open source (webservice.php)", "restapi": "Vtiger Cloud (restapi/v1)",
        },
    )  # fmt: skip
    scope: Scope = setting(
        "assigned", key="crm_scope", label="Vtiger contacts to sync", group="contacts",
        choices={
            "assigned": "Assigned to the Vtiger user",
            "all": "All contacts (the Vtiger user must be an admin)",
        },
    )  # fmt: skip
    timezone: str = setting(
        "UTC", label="Vtiger server time zone", help="The IANA zone of Vtiger's timestamps.",
        group="contacts", required=True, max_length=64,
    )  # fmt: skip

    def check(self) -> None:
        """What pydantic's types cannot say: a known time zone, an http(s) URL.

        Raises:
            ConfigError: the message names the setting.
        """
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"unknown time zone {self.timezone!r}") from exc
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"{self.url!r} is not an http(s) URL")

    def same_login(self, other: ProviderConfig) -> bool:
        """Whether ``other`` logs in as this does (same URL, user, flavour and access key)."""
        login = ("url", "username", "flavour", "access_key")
        if not isinstance(other, VtigerConfig):
            return False
        return all(getattr(self, name) == getattr(other, name) for name in login)

    def record_url(self, record_id: str | None) -> str:
        """Link to the contact: ``{url}/index.php?module=Contacts&view=Detail&record=N``.

        Webservice ids look like ``12x345``; the record number is the part after the ``x``.
        """
        if not self.url or not record_id or not is_http_url(self.url):
            return ""
        record = record_id.split("x", 1)[-1]
        return f"{self.url.rstrip('/')}/index.php?module=Contacts&view=Detail&record={record}"

    def runtime(self, *, resolve_accounts: bool) -> VtigerSettings:
        """The settings the connector runs with (raises ``ConfigError`` when incomplete)."""
        return VtigerSettings(
            url=self.url,
            username=self.username,
            access_key=self.access_key.get_secret_value(),
            flavour=self.flavour,
            scope=self.scope,
            timezone=self.timezone,
            resolve_accounts=resolve_accounts,
        )
