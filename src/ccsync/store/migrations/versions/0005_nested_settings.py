"""Connector settings as nested JSON: ``{"crm": {...}, "cc": {...}, "sync": {...}}`` (issue 12).

The flat keys of before (``vtiger_url``, ``cc_client_id``, ``direction``…) move under the part
that owns them, with the part's own field names (``crm.url``, ``cc.client_id``,
``sync.direction``). The map is frozen here: later renames in the models need a migration of
their own. Keys this map does not know stay at the top level (the loader ignores them).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SECTIONS = ("crm", "cc", "sync")
# flat key → (section, field), as the models named them when this revision was written.
FLAT: dict[str, tuple[str, str]] = {
    "vtiger_url": ("crm", "url"),
    "vtiger_username": ("crm", "username"),
    "vtiger_flavour": ("crm", "flavour"),
    "vtiger_timezone": ("crm", "timezone"),
    "crm_scope": ("crm", "scope"),
    "cc_client_id": ("cc", "client_id"),
    "cc_auth_url": ("cc", "auth_url"),
    "cc_token_url": ("cc", "token_url"),
    "cc_revoke_url": ("cc", "revoke_url"),
    "cc_api_url": ("cc", "api_base_url"),
    "cc_redirect_uri": ("cc", "redirect_uri"),
    "cc_scopes": ("cc", "scopes"),
    "pkce": ("cc", "pkce"),
    "target_list": ("cc", "target_list"),
    "cc_scope": ("cc", "scope"),
    "cc_contact_url": ("cc", "contact_url"),
    "cc_rate": ("cc", "rate"),
    "cc_daily_quota": ("cc", "daily_quota"),
    "cc_retry": ("cc", "retry"),
    "cc_account_label": ("cc", "account_label"),
    **{
        key: ("sync", key)
        for key in (
            "sync_records_from", "frequency", "direction", "contacts_enabled",
            "conflict_policy", "crm_delete_policy", "cc_delete_policy", "delete_wins",
            "create_unsubscribed", "extended_mapping", "office_phone_as_work", "custom_fields",
            "crm_provider", "cc_provider",
        )
    },
}  # fmt: skip
NESTED = {place: key for key, place in FLAT.items()}

connectors = sa.table("connectors", sa.column("id", sa.Integer()), sa.column("settings", sa.JSON()))


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """Flat settings as nested ones (already nested parts are kept)."""
    out: dict[str, Any] = {section: {} for section in SECTIONS}
    for key, value in flat.items():
        if key in FLAT:
            section, name = FLAT[key]
            out[section][name] = value
        elif key in SECTIONS and isinstance(value, dict):
            out[key].update(value)
        else:
            out[key] = value
    return out


def flatten(nested: dict[str, Any]) -> dict[str, Any]:
    """Nested settings as flat ones (fields the map does not know are dropped)."""
    out: dict[str, Any] = {}
    for key, value in nested.items():
        if key in SECTIONS and isinstance(value, dict):
            for name, inner in value.items():
                flat_key = NESTED.get((key, name))
                if flat_key is not None:
                    out[flat_key] = inner
        else:
            out[key] = value
    return out


def _rewrite(convert: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(connectors.c.id, connectors.c.settings)).all()
    for connector_id, settings in rows:
        new = convert(dict(settings or {}))
        if new != settings:
            bind.execute(
                connectors.update().where(connectors.c.id == connector_id).values(settings=new)
            )


def upgrade() -> None:
    """Nest every connector's flat settings."""
    _rewrite(nest)


def downgrade() -> None:
    """Flatten every connector's nested settings."""
    _rewrite(flatten)
