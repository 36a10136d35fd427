"""The settings of one connector: ``{"crm": …, "cc": …, "sync": SyncSettings}``.

Each side's part is the settings model of the provider playing it (``Provider.config_model`` in
``ccsync.connectors.registry``: ``VtigerConfig``, ``CCConfig``, or the empty ``ProviderConfig`` of
a provider with no settings); ``SyncSettings`` holds what belongs to no provider, the providers'
names included (``crm_provider``, ``cc_provider``). The engine never imports a provider package:
it holds a part as a ``ProviderConfig``. The whole is stored as nested JSON in
``connectors.settings`` (secrets stay in their own encrypted columns) and loaded once per use into
one typed value::

    config = load_config(row)                        # the JSON plus the decrypted secrets
    config.sync.direction, config.cc.target_list_name(), config.crm.record_url("12x3")
    cc = part_as(config.cc, CCConfig)                # provider code, web and CLI narrow a part
    changes = {"direction": "crm_to_cc", "vtiger_url": "https://crm.example"}
    new = config.updated(**changes)                  # validated; ConfigError in words
    update_connector_settings(session, row.id, new.stored_patch(changes))

Every setting has one public key (``SETTINGS``): the name in ``updated``/``with_changes``, the
CLI option (``--vtiger-url``) and, unless the JSON API publishes another, the form field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, SerializeAsAny, ValidationError

from ccsync.connectors.base import Side
from ccsync.connectors.provider_config import ProviderConfig
from ccsync.connectors.registry import names, provider
from ccsync.domain.choices import CcDeletePolicy, ConflictPolicy, CrmDeletePolicy, Direction
from ccsync.domain.setting import SettingsModel, SettingSpec, describe, setting
from ccsync.errors import ConfigError
from ccsync.store.repos.rows import ConnectorRow

Frequency = Literal["5m", "15m", "30m", "60m", "4h", "daily", "off"]
FREQUENCY_LABELS: dict[str, str] = {
    "5m": "Every 5 minutes",
    "15m": "Every 15 minutes",
    "30m": "Every 30 minutes",
    "60m": "Every hour",
    "4h": "Every 4 hours",
    "daily": "Daily",
    "off": "Off",
}
FREQUENCIES = {"off": 0, "5m": 5, "15m": 15, "30m": 30, "60m": 60, "4h": 240, "daily": 1440}
SPAN_LABELS = {
    "7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days", "1y": "Last year",
    "all": "All records",
}  # fmt: skip
_SPANS = {"7d": 7, "30d": 30, "90d": 90, "1y": 365}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SIDES: tuple[Side, ...] = ("crm", "cc")
PARTS = (*SIDES, "sync")
# Where the store keeps each side's secret (encrypted): the first secret field of its model.
SECRET_COLUMNS: dict[str, str] = {"crm": "vtiger_access_key", "cc": "client_secret"}


class SyncSettings(SettingsModel):
    """What a connector syncs, when and how: the settings that belong to no provider."""

    sync_records_from: str = setting(
        "all", label="Sync Records From", input="date", choices=SPAN_LABELS, group="first_run",
        help="Which records the first run propagates; matching always reads everything.",
    )  # fmt: skip
    frequency: Frequency = setting(
        "15m", label="Background Sync Frequency", choices=FREQUENCY_LABELS, group="system"
    )
    direction: Direction = setting(
        "both", label="Sync Direction", group="contacts",
        choices={
            "both": "Sync both ways",
            "crm_to_cc": "Sync from Vtiger to Constant Contact",
            "cc_to_crm": "Sync from Constant Contact to Vtiger",
        },
    )  # fmt: skip
    contacts_enabled: bool = setting(
        True, form="enabled", label="Enable Contacts Sync", group="contacts"
    )
    conflict_policy: ConflictPolicy = setting(
        "newest", label="When both sides changed a field", group="contacts",
        choices={
            "newest": "Most recent change wins", "crm": "Vtiger CRM wins",
            "cc": "Constant Contact wins",
        },
    )  # fmt: skip
    crm_delete_policy: CrmDeletePolicy = setting(
        "mirror", form="delete_crm", label="A contact deleted in Vtiger", group="contacts",
        choices={
            "mirror": "Delete it in Constant Contact",
            "unlist": "Remove it from the target list only",
            "ignore": "Keep it in Constant Contact (unlink)",
        },
    )  # fmt: skip
    cc_delete_policy: CcDeletePolicy = setting(
        "mirror", form="delete_cc", label="A contact deleted in Constant Contact",
        group="contacts",
        choices={"mirror": "Delete it in Vtiger", "ignore": "Keep it in Vtiger (unlink)"},
    )  # fmt: skip
    delete_wins: bool = setting(
        False, label="The delete wins", group="contacts",
        help="Deleted on one side and changed on the other.",
    )  # fmt: skip
    create_unsubscribed: bool = setting(
        False, label="Create as unsubscribed",
        help="Post a Vtiger contact with Email Opt Out = 1 and no twin as an unsubscribed "
        "Constant Contact contact (sync rule C5).",
    )  # fmt: skip
    extended_mapping: bool = setting(
        True, form="extended", label="Extended rows", group="mapping",
        note="title, company, mobile, home phone, other address, birthday, Email Opt Out",
    )  # fmt: skip
    office_phone_as_work: bool = setting(False, label="Office phone as work phone", group="mapping")
    custom_fields: list[dict[str, str]] = setting(
        label="Custom fields", default_factory=list,
        help='Mapped custom fields: {"crm_field": "cf_853", "cc_id", "cc_name", "direction"}.',
    )  # fmt: skip
    crm_provider: str = setting(
        "vtiger", label="CRM provider", cli=False,
        help="The registered provider playing the CRM side (its settings are the crm part).",
    )  # fmt: skip
    cc_provider: str = setting(
        "constantcontact", label="Email marketing provider", cli=False,
        help="The registered provider playing the email-marketing side (the cc part).",
    )  # fmt: skip

    def provider(self, side: Side) -> str:
        """The name of the provider playing ``side``."""
        return self.crm_provider if side == "crm" else self.cc_provider

    def check(self, now: datetime) -> None:
        """A Sync Records From that parses and is not in the future.

        Raises:
            ConfigError: the message names the setting.
        """
        cutoff = parse_records_from(self.sync_records_from, now)
        if cutoff is not None and cutoff > now:
            raise ConfigError(
                f"sync_records_from {self.sync_records_from} is in the future: the first run "
                "would sync nothing; choose today or an earlier date"
            )


def config_model(name: str, side: Side) -> type[ProviderConfig]:
    """The settings model of the provider ``name`` playing ``side``.

    Raises:
        ConfigError: no such provider, or it plays the other side.
    """
    return provider(name, side).config_model


def _default_part(side: Side) -> ProviderConfig:
    return config_model(SyncSettings().provider(side), side)()


class ConnectorConfig(BaseModel):
    """Every setting of a connector, by owner: the CRM's provider, the email-marketing
    provider's, the sync itself. Build it with ``of``/``from_stored``/``from_keys`` (they pick
    each part's model from the provider named in ``sync``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    crm: SerializeAsAny[ProviderConfig] = Field(default_factory=lambda: _default_part("crm"))
    cc: SerializeAsAny[ProviderConfig] = Field(default_factory=lambda: _default_part("cc"))
    sync: SyncSettings = Field(default_factory=SyncSettings)

    @classmethod
    def of(cls, parts: Mapping[str, Any]) -> ConnectorConfig:
        """The config of ``parts`` (JSON objects or models; a missing part takes its defaults).

        Raises:
            ConfigError: an unknown provider, or a value of the wrong type or choice.
        """
        sync = _part(SyncSettings, "sync", parts.get("sync"))
        crm, cc = (_part(config_model(sync.provider(s), s), s, parts.get(s)) for s in SIDES)
        return cls(crm=crm, cc=cc, sync=sync)

    @classmethod
    def from_stored(cls, data: Mapping[str, Any] | None) -> ConnectorConfig:
        """The config of stored JSON (missing values take their defaults).

        Raises:
            ConfigError: a stored value has the wrong type or is not an allowed choice, or a
                provider named in ``sync`` is not registered.
        """
        return cls.of({k: v for k, v in (data or {}).items() if k in PARTS})

    @classmethod
    def from_keys(cls, **changes: Any) -> ConnectorConfig:
        """The defaults with ``changes`` (setting key → value): ``from_keys(direction="both")``.

        Raises:
            ConfigError: an unknown key, or a value of the wrong type or choice.
        """
        return cls().with_changes(changes)

    def part(self, side: Side) -> ProviderConfig:
        """The settings of the provider playing ``side``."""
        return self.crm if side == "crm" else self.cc

    def stored(self) -> dict[str, Any]:
        """The nested JSON for ``connectors.settings`` (no secrets)."""
        return {"crm": self.crm.stored(), "cc": self.cc.stored(), "sync": self.sync.stored()}

    def with_changes(self, changes: Mapping[str, Any]) -> ConnectorConfig:
        """A copy with ``changes`` (setting key → value) applied, typed by pydantic.

        Raises:
            ConfigError: an unknown key, a key of a provider not playing its side, or a value of
                the wrong type or choice.
        """
        data = {name: dict(getattr(self, name)) for name in PARTS}
        for key, value in changes.items():
            spec = setting_spec(key)
            data[spec.section][spec.name] = value
        config = type(self).of(data)
        for key in changes:
            config.owns(key)
        return config

    def owns(self, key: str) -> None:
        """Check that the setting ``key`` is one of this connector's (of its providers).

        Raises:
            ConfigError: an unknown key, or one of a provider that plays no side here.
        """
        spec = setting_spec(key)
        part = getattr(self, spec.section)
        if not isinstance(part, _MODEL_OF[key]):
            name = self.sync.provider("crm" if spec.section == "crm" else "cc")
            raise ConfigError(f"{key} is a {spec.owner} setting; this connector uses {name!r}")

    def check(self, now: datetime | None = None) -> None:
        """What the types cannot say (a known time zone, http(s) URLs, a past Sync Records From).

        Raises:
            ConfigError: the message names the setting.
        """
        self.sync.check(now or datetime.now(UTC))
        self.crm.check()
        self.cc.check()

    def updated(self, **changes: Any) -> ConnectorConfig:
        """``with_changes`` then ``check``: what a save accepts."""
        config = self.with_changes(changes)
        config.check()
        return config

    def stored_patch(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored JSON of the settings ``keys`` only (to merge into a row; no secrets)."""
        stored = self.stored()
        patch: dict[str, dict[str, Any]] = {}
        for spec in map(setting_spec, keys):
            if not spec.secret:
                patch.setdefault(spec.section, {})[spec.name] = stored[spec.section][spec.name]
        return patch

    def with_secrets(
        self, *, vtiger_access_key: str | None, client_secret: str | None
    ) -> ConnectorConfig:
        """A copy holding the decrypted secrets of the row (the store's two secret columns go to
        the first secret field of each side's model, if it has one)."""
        columns = {"vtiger_access_key": vtiger_access_key, "client_secret": client_secret}
        update: dict[str, ProviderConfig] = {}
        for side in SIDES:
            part = self.part(side)
            name = secret_field(type(part))
            if name is not None:
                value = SecretStr(columns[SECRET_COLUMNS[side]] or "")
                update[side] = part.model_copy(update={name: value})
        return self.model_copy(update=update)


def _part(model: type[Any], section: str, value: Any) -> Any:
    """``value`` (a JSON object, a model, or None) as an instance of the settings ``model``."""
    if isinstance(value, model):
        return value
    data = dict(value) if isinstance(value, BaseModel) else value
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise config_error(exc, model, section) from None


def registered_sections() -> list[tuple[str, type[SettingsModel]]]:
    """Each registered provider's settings model by the side it plays, then ``sync``."""
    models = [(side, provider(name).config_model) for side in SIDES for name in names(side)]
    unique = list(dict.fromkeys(models))
    return [*((s, m) for s, m in unique if m.model_fields), ("sync", SyncSettings)]


def setting_specs(sections: Mapping[str, type[SettingsModel]] | None = None) -> list[SettingSpec]:
    """Every setting of a connector, section by section, in declaration order (by default of
    every registered provider)."""
    pairs = registered_sections() if sections is None else sections.items()
    return [spec for section, model in pairs for spec in describe(model, section)]


def secret_field(model: type[SettingsModel]) -> str | None:
    """The name of the first secret field of ``model`` (the one the store keeps), if any."""
    return next((spec.name for spec in describe(model, "") if spec.secret), None)


SETTINGS: tuple[SettingSpec, ...] = tuple(setting_specs())
_BY_KEY = {spec.key: spec for spec in SETTINGS}
_MODEL_OF: dict[str, type[SettingsModel]] = {
    spec.key: model for section, model in registered_sections() for spec in describe(model, section)
}


def setting_spec(key: str) -> SettingSpec:
    """The setting called ``key``.

    Raises:
        ConfigError: no such setting.
    """
    try:
        return _BY_KEY[key]
    except KeyError:
        raise ConfigError(f"unknown setting {key!r}") from None


def config_error(exc: ValidationError, model: type[SettingsModel], section: str) -> ConfigError:
    """Pydantic's first complaint about a part in words that name the setting by its key."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    specs = {spec.name: spec for spec in describe(model, section)}
    spec = specs.get(loc[0]) if loc else None
    name = spec.key if spec else ".".join([section, *loc])
    if spec and spec.values and error["type"] == "literal_error":
        return ConfigError(f"{name} must be one of {', '.join(spec.values)}")
    return ConfigError(f"{name}: {error['msg']}")


def secret_columns(secrets: Mapping[str, str]) -> dict[str, str]:
    """Secrets by setting key (``vtiger_access_key``) as the store's columns take them."""
    return {SECRET_COLUMNS[setting_spec(key).section]: value for key, value in secrets.items()}


def load_config(row: ConnectorRow) -> ConnectorConfig:
    """The typed settings of a stored connector, secrets included (decrypted).

    Raises:
        ConfigError: the stored JSON does not fit the settings models.
    """
    return ConnectorConfig.from_stored(row.settings).with_secrets(
        vtiger_access_key=row.vtiger_access_key, client_secret=row.client_secret
    )


def settings_patch(**changes: Any) -> dict[str, dict[str, Any]]:
    """The stored JSON of ``changes`` (setting key → value), checked against the defaults."""
    return ConnectorConfig.from_keys(**changes).stored_patch(changes)


def parse_records_from(value: str, now: datetime) -> datetime | None:
    """The first-run cutoff of "Sync Records From" (None = all records).

    Args:
        value: ``7d|30d|90d|1y|all|YYYY-MM-DD``.
        now: the current aware UTC time.

    Raises:
        ConfigError: the value is none of those.
    """
    if value == "all":
        return None
    if value in _SPANS:
        return now - timedelta(days=_SPANS[value])
    if _DATE.match(value):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        except ValueError:
            pass
    raise ConfigError("sync_records_from must be 7d, 30d, 90d, 1y, all or YYYY-MM-DD")
