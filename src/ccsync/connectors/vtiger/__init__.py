"""The Vtiger CRM connector (open-source ``webservice.php`` and Vtiger Cloud ``restapi``)."""

from __future__ import annotations

from ccsync.connectors.vtiger.connector import VtigerConnector
from ccsync.connectors.vtiger.settings import VtigerSettings

__all__ = ["VtigerConnector", "VtigerSettings"]
