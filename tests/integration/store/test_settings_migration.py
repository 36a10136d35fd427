"""Migration 0005 turns a connector's flat settings into nested JSON (and back on downgrade)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from ccsync.engine.config import load_config
from ccsync.store import migrations
from ccsync.store.engines import make_engine
from ccsync.store.repos.rows import ConnectorRow

# A row as 0004 wrote it: every flat key of before, plus one the models never knew.
FLAT: dict[str, Any] = {
    "vtiger_url": "https://crm.example",
    "vtiger_username": "sales",
    "vtiger_flavour": "restapi",
    "vtiger_timezone": "Europe/Berlin",
    "crm_scope": "all",
    "cc_client_id": "client-1",
    "cc_auth_url": "https://authz.example/authorize",
    "cc_token_url": "https://authz.example/token",
    "cc_revoke_url": "",
    "cc_api_url": "https://api.example/v3",
    "cc_redirect_uri": "https://sync.example/oauth/callback",
    "cc_scopes": "contact_data offline_access",
    "pkce": "off",
    "target_list": "Newsletter",
    "cc_scope": "lists",
    "cc_contact_url": "https://cc.example/c/{cc_id}",
    "cc_rate": 500,
    "cc_retry": {"attempts": 2, "first_wait": 0.01},
    "cc_account_label": "Sales (sales@example.com)",
    "direction": "crm_to_cc",
    "sync_records_from": "90d",
    "conflict_policy": "crm",
    "crm_delete_policy": "unlist",
    "cc_delete_policy": "ignore",
    "delete_wins": True,
    "create_unsubscribed": True,
    "frequency": "60m",
    "contacts_enabled": False,
    "extended_mapping": False,
    "office_phone_as_work": True,
    "custom_fields": [
        {"crm_field": "cf_901", "cc_id": "c0ffee", "cc_name": "tier", "direction": "both"}
    ],
    "crm_provider": "vtiger",
    "cc_provider": "constantcontact",
    "legacy_note": "kept",
}


AT = "2026-01-01 00:00:00"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'nest.db'}")
    yield engine
    engine.dispose()


def _insert_at_0004(engine: Engine, settings: dict[str, Any]) -> None:
    migrations.upgrade_engine(engine, "0004")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, password_hash, role, time_zone, "
                "must_change_password, created_at) VALUES (1, 'boss', 'x', 'admin', 'UTC', 0, "
                f"'{AT}')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO connectors (id, name, owner_id, settings, status, created_at, "
                f"updated_at) VALUES (1, 'main', 1, :settings, 'connected', '{AT}', '{AT}')"
            ),
            {"settings": json.dumps(settings)},
        )


def _stored(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        raw = connection.execute(text("SELECT settings FROM connectors")).scalar_one()
    loaded: dict[str, Any] = json.loads(raw)
    return loaded


def _row(settings: dict[str, Any]) -> ConnectorRow:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return ConnectorRow(
        id=1, name="main", owner_id=1, settings=settings, status="connected",
        status_detail=None, cc_account_id=None, paused_until=None, debug_until=None,
        first_run_cutoff=None, created_at=at, updated_at=at, client_secret="s3cret",
        vtiger_access_key="k3y",
    )  # fmt: skip


def test_a_flat_row_becomes_nested_and_loads_with_every_value(engine: Engine) -> None:
    _insert_at_0004(engine, FLAT)

    migrations.upgrade_engine(engine)

    stored = _stored(engine)
    assert set(stored) == {"crm", "cc", "sync", "legacy_note"}
    assert stored["crm"] == {
        "url": "https://crm.example", "username": "sales", "flavour": "restapi",
        "timezone": "Europe/Berlin", "scope": "all",
    }  # fmt: skip
    assert stored["cc"]["api_base_url"] == "https://api.example/v3"
    assert stored["sync"]["custom_fields"] == FLAT["custom_fields"]
    assert (stored["sync"]["crm_provider"], stored["sync"]["cc_provider"]) == (
        "vtiger", "constantcontact",
    )  # fmt: skip
    config = load_config(_row(stored))
    assert (config.crm.url, config.crm.scope, config.crm.access_key.get_secret_value()) == (
        "https://crm.example", "all", "k3y",
    )  # fmt: skip
    assert (config.cc.client_id, config.cc.pkce, config.cc.target_list) == (
        "client-1", "off", "Newsletter",
    )  # fmt: skip
    assert (config.cc.rate, config.cc.retry and config.cc.retry.attempts) == (500, 2)
    assert config.cc.account_label == "Sales (sales@example.com)"
    assert config.cc.contact_url == "https://cc.example/c/{cc_id}"
    sync = config.sync
    assert (sync.direction, sync.sync_records_from, sync.frequency) == ("crm_to_cc", "90d", "60m")
    assert (sync.crm_delete_policy, sync.cc_delete_policy) == ("unlist", "ignore")
    assert sync.delete_wins and sync.create_unsubscribed and sync.office_phone_as_work
    assert not sync.contacts_enabled and not sync.extended_mapping


def test_downgrade_flattens_it_again(engine: Engine) -> None:
    _insert_at_0004(engine, FLAT)
    migrations.upgrade_engine(engine)

    migrations.downgrade_engine(engine, "0004")

    assert _stored(engine) == FLAT


def test_an_empty_row_gets_empty_parts_and_the_defaults(engine: Engine) -> None:
    _insert_at_0004(engine, {})

    migrations.upgrade_engine(engine)

    stored = _stored(engine)
    assert stored == {"crm": {}, "cc": {}, "sync": {}}
    assert load_config(_row(stored)).sync.frequency == "15m"
