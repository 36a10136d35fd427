"""The ``constantcontact`` provider: a ``ConstantContactConnector`` built from its ``CCConfig``.

The CC daily budget is the host's (shared by every connector of one CC application, keyed by the
client id; a run may bring it up to its ``budget_share`` of ``cc.daily_quota``), the tokens are
the host's token store of the connector, and the 4/s limiter is a file in the data directory
(shared across processes) or, when the host lends one (``limiter_url``), a table in PostgreSQL
(shared across machines). ``cc.rate``, ``cc.daily_quota`` and ``cc.retry`` in the settings tune
the limiter, the budget and the retry bounds; without ``cc.rate`` the pace is 3.8/s, or 3.2/s
when several machines share the installation.
"""

from __future__ import annotations

from ccsync.connectors.constantcontact.client import RetryPolicy
from ccsync.connectors.constantcontact.connector import ConstantContactConnector
from ccsync.connectors.constantcontact.limiter import close_pools
from ccsync.connectors.constantcontact.settings import CCConfig, RetryTuning
from ccsync.connectors.registry import BuildContext, Provider

NAME = "constantcontact"
LIMITER_FILE = "cc-limiter.sqlite"


def build(ctx: BuildContext) -> ConstantContactConnector:
    """The Constant Contact connector of ``ctx`` with the shared limiter and budget.

    Raises:
        ConfigError: no client id yet.
    """
    config = ctx.config_as(CCConfig)
    return ConstantContactConnector(
        config.runtime(),
        ctx.tokens,
        budget=ctx.budget,
        limiter_path=ctx.data_dir / LIMITER_FILE,
        limiter_url=ctx.limiter_url,
        rate=config.pace(ctx.shared),
        daily_quota=int(config.daily_quota * ctx.budget_share),
        trace=ctx.trace,
        retry_policy=_retry_policy(config.retry),
    )


def _retry_policy(tuning: RetryTuning | None) -> RetryPolicy | None:
    """Operator tuning of the CC retry bounds (``cc.retry`` in the settings), if any."""
    if tuning is None:
        return None
    return RetryPolicy(**tuning.model_dump(exclude_none=True))


PROVIDER = Provider(NAME, "cc", build, config_model=CCConfig, release=close_pools)
