"""Small builders of planner inputs for the engine tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ccsync.connectors.base import Schema
from ccsync.connectors.vtiger.describe import COLUMN_SIZES
from ccsync.domain.contact import Consent
from ccsync.engine.mapping import default_mapping
from ccsync.engine.plan_types import LinkState, PlanSettings, SideRecord

MAPPING = default_mapping()
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    """T0 plus ``minutes``."""
    return T0 + timedelta(minutes=minutes)


def crm_values(email: str = "ann@example.com", **fields: str) -> dict[str, str]:
    """A full CRM canonical form (every mapped field; ``emailoptout`` 0)."""
    base = dict.fromkeys(MAPPING.fields, "")
    base.update(firstname="Ann", lastname="Lee", email=email, emailoptout="0")
    base.update(fields)
    return base


def cc_values(email: str = "ann@example.com", **fields: str) -> dict[str, str]:
    """A full CC canonical form (no ``emailoptout``: consent travels beside it)."""
    base = crm_values(email, **fields)
    base.pop("emailoptout")
    return base


def crm(rid: str = "12x1", minutes: int = 0, deleted: bool = False, **fields: str) -> SideRecord:
    """A CRM side record."""
    return SideRecord(rid, at(minutes), crm_values(**fields), None, deleted, rid)


def cc(
    rid: str = "c1",
    minutes: int = 0,
    permission: str = "implicit",
    deleted: bool = False,
    **fields: str,
) -> SideRecord:
    """A CC side record."""
    source = "Contact" if permission == "unsubscribed" else None
    return SideRecord(
        rid, at(minutes), cc_values(**fields), Consent(permission, source), deleted, rid
    )


def link(
    crm_id: str = "12x1",
    cc_id: str = "c1",
    permission: str = "implicit",
    tombstoned: bool = False,
    cc_deleted: bool = False,
    **fields: str,
) -> LinkState:
    """A live link whose snapshots hold ``fields`` on both sides."""
    return LinkState(
        crm_id, cc_id, crm_values(**fields), cc_values(**fields), permission, tombstoned, cc_deleted
    )


VTIGER_DEFAULTS = Schema({}, lengths=COLUMN_SIZES)
"""A CRM schema that describes nothing: a default Vtiger install's column sizes apply."""


def settings(**kw: Any) -> PlanSettings:
    """Plan settings on the default mapping, against a default Vtiger install."""
    kw.setdefault("crm_schema", VTIGER_DEFAULTS)
    return PlanSettings(mapping=MAPPING, **kw)
