"""Which webservice field types each module of a default Vtiger 8.2.0 install has.

``listtypes`` with ``fieldTypeList`` keeps only the modules that have a visible field (presence
0 or 2) whose uitype maps to one of the requested types in ``vtiger_ws_fieldtype``
(``include/Webservices/ModuleTypes.php``). Only the uitypes registered there can match, so
types that ``describe`` derives otherwise (``string``, ``date``, ``datetime``, ``integer`` …)
match no module. The table was derived from the 8.2.0 sources: the ``vtiger_field`` rows of
``modules/Users/DefaultDataPopulator.php`` and the ``manifest.xml`` of the bundled modules
(PBXManager, ServiceContracts, Services, Assets, ModComments, Project*, SMSNotifier), with the
uitype → type map of ``vtws_addFieldTypeInformation()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

_CORE = ("owner", "picklist", "reference", "text")
MODULE_FIELD_TYPES: dict[str, frozenset[str]] = {
    "Accounts": frozenset({*_CORE, "boolean", "currency", "email", "phone", "url"}),
    "Assets": frozenset(_CORE),
    "Calendar": frozenset({*_CORE, "boolean"}),
    "Campaigns": frozenset({*_CORE, "currency"}),
    "Contacts": frozenset({*_CORE, "boolean", "email", "phone"}),
    "Documents": frozenset({"file", "owner", "reference", "text"}),
    "Emails": frozenset({"file", "owner", "reference", "text"}),
    "Events": frozenset({*_CORE, "boolean"}),
    "Faq": frozenset({"picklist", "reference", "text"}),
    "HelpDesk": frozenset({*_CORE, "boolean"}),
    "Invoice": frozenset({*_CORE, "currency"}),
    "Leads": frozenset({*_CORE, "currency", "email", "phone", "url"}),
    "ModComments": frozenset({"owner", "reference", "text"}),
    "PBXManager": frozenset({"owner", "phone", "reference", "url"}),
    "Potentials": frozenset({*_CORE, "currency"}),
    "PriceBooks": frozenset({"boolean", "reference", "text"}),
    "Products": frozenset({*_CORE, "boolean", "currency", "url"}),
    "Project": frozenset({*_CORE, "url"}),
    "ProjectMilestone": frozenset(_CORE),
    "ProjectTask": frozenset(_CORE),
    "PurchaseOrder": frozenset({*_CORE, "currency"}),
    "Quotes": frozenset({*_CORE, "currency"}),
    "SalesOrder": frozenset({*_CORE, "boolean", "currency"}),
    "ServiceContracts": frozenset({"owner", "picklist", "reference"}),
    "Services": frozenset({*_CORE, "boolean", "currency", "url"}),
    "SMSNotifier": frozenset({"owner", "reference", "text"}),
    "Users": frozenset({"boolean", "email", "phone", "picklist", "reference", "text"}),
    "Vendors": frozenset({"email", "picklist", "reference", "text", "url"}),
}


def requested_types(raw: str | None) -> set[str] | None:
    """The ``fieldTypeList`` parameter: a JSON list of type names; anything else means all.

    The server decodes it with ``Zend_Json::decode`` and treats an empty result as "no
    filter", and compares the names in lower case.
    """
    if not raw:
        return None
    try:
        decoded = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(decoded, list) or not decoded:
        return None
    return {str(item).lower() for item in decoded}


def modules_with(types: Iterable[str], wanted: set[str]) -> list[str]:
    """The names among ``types`` that are modules with a field of one of the ``wanted`` types."""
    return [t for t in types if MODULE_FIELD_TYPES.get(t, frozenset()) & wanted]
