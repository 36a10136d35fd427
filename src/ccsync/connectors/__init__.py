"""Connectors: the ``Connector`` contract (``base``), optional ``capabilities``, one package per
provider, and the ``registry`` that names them.

Importing this package registers the built-in providers, so whoever looks a provider up in
``ccsync.connectors.registry`` (the engine's factory) finds them without importing a provider.
"""

from __future__ import annotations

from ccsync.connectors.constantcontact.provider import PROVIDER as _CONSTANT_CONTACT
from ccsync.connectors.registry import register
from ccsync.connectors.vtiger.provider import PROVIDER as _VTIGER

register(_VTIGER)
register(_CONSTANT_CONTACT)
