"""A connector's settings: one typed value of three parts, keyed settings, secrets kept apart."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

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
