"""The Constant Contact v3 connector: OAuth, token care, budget, limiter, client, connector."""

from __future__ import annotations

from ccsync.connectors.constantcontact.connector import ConstantContactConnector, ImportResult
from ccsync.connectors.constantcontact.oauth import (
    authorization_url,
    exchange_code,
    new_pkce_verifier,
    revoke,
)
from ccsync.connectors.constantcontact.settings import CCSettings
from ccsync.connectors.constantcontact.tokens import FileTokenStore, TokenSet, TokenStore

__all__ = [
    "CCSettings",
    "ConstantContactConnector",
    "FileTokenStore",
    "ImportResult",
    "TokenSet",
    "TokenStore",
    "authorization_url",
    "exchange_code",
    "new_pkce_verifier",
    "revoke",
]
