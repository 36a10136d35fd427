"""A provider's settings model, and what the engine may ask of any provider's settings.

Each provider registers its settings model with the registry (``Provider.config_model``): the
fields a person sets for it (declared with ``ccsync.domain.setting.setting``), stored as its side's
part of the connector's nested JSON (``{"crm": …, "cc": …, "sync": …}``). The engine, the run log
and the web app hold a part as a ``ProviderConfig`` and ask it only what this class declares; a
provider with no settings (a test's in-memory CRM) uses ``ProviderConfig`` itself::

    part = load_config(row).cc          # a CCConfig, seen as a ProviderConfig
    part.target_list_name(), part.record_url("1f2e…"), part.budget_key()
    cc = part_as(part, CCConfig)        # the provider's own code (or web/CLI) narrows it
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from ccsync.domain.setting import SettingsModel
from ccsync.errors import ConfigError

P = TypeVar("P", bound="ProviderConfig")


class ProviderConfig(SettingsModel):
    """The settings of one provider as a person sets them (none, in this base class)."""

    TITLE: ClassVar[str] = "Provider"

    def check(self) -> None:
        """What the types cannot say (a known time zone, http(s) URLs); nothing here.

        Raises:
            ConfigError: the message names the setting.
        """

    def same_login(self, other: ProviderConfig) -> bool:
        """Whether ``other`` signs in as this does (a change clears the side's sign-in state)."""
        return self == other

    def record_url(self, record_id: str | None) -> str:
        """A link to the record ``record_id`` in the provider's own app ("" when none)."""
        return ""

    def target_list_name(self) -> str:
        """The list the synced records belong to ("" when the provider has no lists)."""
        return ""

    def list_scoped(self) -> bool:
        """Whether only the target list's members are synced (not the whole account)."""
        return False

    def budget_key(self) -> str:
        """The key of the daily call budget the provider's connectors share with the others of
        the same key (an application's client id), or "" when it has none."""
        return ""

    def budget_quota(self) -> int:
        """Calls per UTC day the budget of ``budget_key`` allows (0 when it has none)."""
        return 0


def part_as(part: ProviderConfig, model: type[P]) -> P:
    """``part`` as the provider model ``model``.

    Raises:
        ConfigError: the side is played by another provider.
    """
    if not isinstance(part, model):
        raise ConfigError(f"the connector's settings are not {model.TITLE} settings")
    return part
