"""A connector's settings: one typed value of three parts, keyed settings, secrets kept apart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from ccsync.connectors.constantcontact.settings import CCConfig
from ccsync.connectors.provider_config import ProviderConfig, part_as
from ccsync.connectors.registry import Provider, provider, register, unregister
from ccsync.connectors.vtiger.settings import VtigerConfig
from ccsync.engine.config import (
    SETTINGS,
    ConnectorConfig,
    load_config,
    secret_columns,
    setting_spec,
    settings_patch,
)
from ccsync.errors import ConfigError
from ccsync.store.repos.rows import ConnectorRow
from support.memory_connector import MemoryConnector, MemoryCrm

KEY, SECRET = "vt-key-0123456789", "cc-secret-abcdef"


def _row(settings: dict[str, object]) -> ConnectorRow:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return ConnectorRow(
        id=1, name="main", owner_id=1, settings=settings, status="connected",
        status_detail=None, cc_account_id=None, paused_until=None, debug_until=None,
        first_run_cutoff=None, created_at=at, updated_at=at, client_secret=SECRET,
        vtiger_access_key=KEY,
    )  # fmt: skip


def test_every_setting_has_one_key_and_the_published_names_are_kept() -> None:
    keys = [s.key for s in SETTINGS]
    assert len(keys) == len(set(keys))
    # the names of before (flat JSON, CLI options, README) are the keys
    for key in ("vtiger_url", "crm_scope", "cc_api_url", "pkce", "target_list", "direction"):
        assert setting_spec(key).key == key
    assert setting_spec("cc_api_url").path == "cc.api_base_url"
    assert {s.key for s in SETTINGS if s.secret} == {"vtiger_access_key", "cc_client_secret"}


def test_a_loaded_row_is_typed_and_holds_its_decrypted_secrets() -> None:
    stored = ConnectorConfig.from_keys(vtiger_url="https://crm.example", frequency="off").stored()
    config = load_config(_row(stored))
    assert config.crm.url == "https://crm.example" and config.sync.frequency == "off"
    assert config.crm.access_key.get_secret_value() == KEY
    assert config.cc.client_secret.get_secret_value() == SECRET


def test_secrets_are_never_stored_nor_shown_in_a_repr() -> None:
    config = load_config(_row({}))
    assert KEY not in repr(config) and SECRET not in repr(config)
    assert KEY not in str(config.stored()) and SECRET not in str(config.stored())
    assert "access_key" not in config.stored()["crm"]
    changed = config.with_changes({"vtiger_access_key": "new-key-000000", "direction": "both"})
    assert changed.stored_patch(["vtiger_access_key", "direction"]) == {
        "sync": {"direction": "both"}
    }
    assert secret_columns({"cc_client_secret": "x"}) == {"client_secret": "x"}


def test_changes_are_typed_and_refused_in_words_naming_the_setting() -> None:
    config = ConnectorConfig()
    assert config.with_changes({"cc_rate": "2.5"}).cc.rate == 2.5
    with pytest.raises(ConfigError, match="direction must be one of both, crm_to_cc, cc_to_crm"):
        config.with_changes({"direction": "sideways"})
    with pytest.raises(ConfigError, match="unknown setting 'vtiger_colour'"):
        config.with_changes({"vtiger_colour": "red"})
    with pytest.raises(ConfigError, match="unknown time zone"):
        config.updated(vtiger_timezone="Nowhere/Land")
    with pytest.raises(ConfigError, match="is in the future"):
        config.updated(sync_records_from="2999-01-01")


def test_stored_json_of_another_shape_is_refused_but_unknown_keys_are_ignored() -> None:
    assert ConnectorConfig.from_stored({"legacy": 1, "sync": {"gone": 2}}) == ConnectorConfig()
    with pytest.raises(ConfigError, match="frequency must be one of"):
        ConnectorConfig.from_stored({"sync": {"frequency": "2m"}})


def test_a_patch_changes_only_the_settings_named() -> None:
    assert settings_patch(frequency="off", vtiger_url="https://x") == {
        "sync": {"frequency": "off"},
        "crm": {"url": "https://x"},
    }


@pytest.fixture
def bare_crm() -> Iterator[str]:
    """A CRM provider with no settings model, registered for one test."""
    register(Provider("bare-crm", "crm", lambda ctx: MemoryConnector(MemoryCrm())))
    yield "bare-crm"
    unregister("bare-crm")


def test_each_part_is_the_model_its_provider_registered() -> None:
    config = load_config(_row({}))
    assert (
        config.sync.provider("crm") == "vtiger" and config.sync.provider("cc") == "constantcontact"
    )
    assert type(config.crm) is provider("vtiger").config_model is VtigerConfig
    assert type(config.cc) is provider("constantcontact").config_model is CCConfig
    assert part_as(config.cc, CCConfig).client_secret.get_secret_value() == SECRET
    with pytest.raises(ConfigError, match="not Constant Contact settings"):
        part_as(config.crm, CCConfig)


def test_a_provider_without_settings_gets_the_empty_part(bare_crm: str) -> None:
    config = load_config(
        _row({"crm": {"url": "https://crm.example"}, "sync": {"crm_provider": bare_crm}})
    )
    assert type(config.crm) is ProviderConfig and config.stored()["crm"] == {}
    assert config.crm.record_url("12x3") == "" and config.crm.same_login(ProviderConfig())
    assert isinstance(config.cc, CCConfig)  # the other side keeps its provider
    with pytest.raises(
        ConfigError, match="vtiger_url is a Vtiger setting; this connector uses 'bare-crm'"
    ):
        config.with_changes({"vtiger_url": "https://crm.example"})
    assert config.with_changes(
        {"crm_provider": "vtiger", "vtiger_url": "https://x"}
    ).crm == VtigerConfig(url="https://x")


def test_an_unknown_provider_is_refused_in_words() -> None:
    with pytest.raises(ConfigError, match="unknown connector provider 'nope'"):
        ConnectorConfig.from_stored({"sync": {"crm_provider": "nope"}})
    with pytest.raises(ConfigError, match="plays the crm side, not cc"):
        settings_patch(cc_provider="vtiger")


def test_the_engine_asks_a_part_only_what_provider_config_declares() -> None:
    config = ConnectorConfig.from_keys(
        vtiger_url="https://crm.example/", target_list="News", cc_scope="lists"
    )
    assert config.crm.record_url("12x345") == (
        "https://crm.example/index.php?module=Contacts&view=Detail&record=345"
    )
    assert config.cc.record_url("a/b") == (
        "https://app.constantcontact.com/pages/contacts/ui#contact/a%2Fb"
    )
    assert config.cc.target_list_name() == "News" and config.cc.list_scoped()
    assert ConnectorConfig.from_keys(cc_contact_url="javascript:{cc_id}").cc.record_url("x") == ""
    assert not config.crm.same_login(config.crm.model_copy(update={"username": "other"}))
