"""The ``constantcontact`` provider: a ``ConstantContactConnector`` built from stored settings.

The CC daily budget is the host's (shared by every connector of one CC application, keyed by the
client id), the tokens are the host's token store of the connector, and the 4/s limiter is a
file in the data directory (shared across processes). ``cc_rate``, ``cc_daily_quota`` and
``cc_retry`` in the settings tune the limiter, the budget and the retry bounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ccsync.connectors.constantcontact.client import RetryPolicy
from ccsync.connectors.constantcontact.connector import ConstantContactConnector
from ccsync.connectors.constantcontact.settings import CCSettings
from ccsync.connectors.registry import BuildContext, Provider
from ccsync.errors import ConfigError

NAME = "constantcontact"
LIMITER_FILE = "cc-limiter.sqlite"
DEFAULT_CC_RATE = 3.8
DEFAULT_CC_QUOTA = 10000
_RETRY_KEYS = frozenset({"attempts", "max_delay", "first_wait", "max_wait", "activity_timeout"})


def settings_from(values: Mapping[str, Any], client_secret: str) -> CCSettings:
    """The connector settings from a connector's settings (every known key present).

    Raises:
        ConfigError: no client id.
    """
    if not values.get("cc_client_id"):
        raise ConfigError("the connector has no Constant Contact client id")
    return CCSettings(
        client_id=str(values["cc_client_id"]),
        client_secret=client_secret,
        redirect_uri=values["cc_redirect_uri"],
        auth_url=values["cc_auth_url"],
        token_url=values["cc_token_url"],
        revoke_url=values["cc_revoke_url"] or None,
        api_base_url=str(values["cc_api_url"]).rstrip("/"),
        scopes=values["cc_scopes"],
        pkce=values["pkce"],
        target_list=values["target_list"],
        scope=values["cc_scope"],
    )


def build(ctx: BuildContext) -> ConstantContactConnector:
    """The Constant Contact connector of ``ctx`` with the shared limiter and budget."""
    return ConstantContactConnector(
        settings_from(ctx.settings, ctx.secret("client_secret")),
        ctx.tokens,
        budget=ctx.budget,
        limiter_path=ctx.data_dir / LIMITER_FILE,
        rate=_float_setting(ctx.settings, "cc_rate", DEFAULT_CC_RATE),
        daily_quota=int(_float_setting(ctx.settings, "cc_daily_quota", DEFAULT_CC_QUOTA)),
        trace=ctx.trace,
        retry_policy=_retry_policy(ctx.settings),
    )


def _retry_policy(values: Mapping[str, Any]) -> RetryPolicy | None:
    """Operator tuning of the CC retry bounds (``cc_retry`` in the settings), if any."""
    raw = values.get("cc_retry")
    if not isinstance(raw, dict):
        return None
    return RetryPolicy(**{k: v for k, v in raw.items() if k in _RETRY_KEYS})


def _float_setting(values: Mapping[str, Any], key: str, default: float) -> float:
    value = values.get(key, default)
    return float(value) if isinstance(value, int | float) else default


PROVIDER = Provider(NAME, "cc", build)
