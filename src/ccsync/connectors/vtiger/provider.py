"""The ``vtiger`` provider: a ``VtigerConnector`` built from its ``VtigerConfig``.

The login lock and the ``describe`` cache live in ``<data dir>/vtiger/<connector id>``.
"""

from __future__ import annotations

from ccsync.connectors.registry import BuildContext, Provider
from ccsync.connectors.vtiger.connector import VtigerConnector
from ccsync.connectors.vtiger.settings import VtigerConfig

NAME = "vtiger"


def build(ctx: BuildContext) -> VtigerConnector:
    """The Vtiger connector of ``ctx`` (raises ``ConfigError`` when the settings are incomplete)."""
    state_dir = ctx.data_dir / "vtiger" / str(ctx.connector_id)
    state_dir.mkdir(parents=True, exist_ok=True)
    # The extended rows map the company (account_id): show and accept the organisation's name.
    settings = ctx.config_as(VtigerConfig).runtime(resolve_accounts=ctx.extended_mapping)
    return VtigerConnector(settings, state_dir=state_dir, trace=ctx.trace)


PROVIDER = Provider(NAME, "crm", build, config_model=VtigerConfig)
