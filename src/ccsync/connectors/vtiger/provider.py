"""The ``vtiger`` provider: a ``VtigerConnector`` built from stored settings.

The login lock and the ``describe`` cache live in ``<data dir>/vtiger/<connector id>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ccsync.connectors.registry import BuildContext, Provider
from ccsync.connectors.vtiger.connector import VtigerConnector
from ccsync.connectors.vtiger.settings import VtigerSettings

NAME = "vtiger"


def settings_from(values: Mapping[str, Any], access_key: str) -> VtigerSettings:
    """The connector settings from a connector's settings (raises ``ConfigError`` when
    incomplete)."""
    return VtigerSettings(
        url=values["vtiger_url"],
        username=values["vtiger_username"],
        access_key=access_key,
        flavour=values["vtiger_flavour"],
        scope=values["crm_scope"],
        timezone=values["vtiger_timezone"],
        resolve_accounts=bool(values["extended_mapping"]),  # the company row maps account_id
    )


def build(ctx: BuildContext) -> VtigerConnector:
    """The Vtiger connector of ``ctx`` (login lock and describe cache in the data dir)."""
    state_dir = ctx.data_dir / "vtiger" / str(ctx.connector_id)
    state_dir.mkdir(parents=True, exist_ok=True)
    settings = settings_from(ctx.settings, ctx.secret("access_key"))
    return VtigerConnector(settings, state_dir=state_dir, trace=ctx.trace)


PROVIDER = Provider(NAME, "crm", build)
