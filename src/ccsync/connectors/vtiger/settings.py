"""Settings of one Vtiger connector: where the CRM is, who logs in, and what is synced."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
