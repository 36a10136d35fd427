"""The field mapping: one import for everything that maps, builds bodies and validates.

Pure (no I/O). The canonical form is described in ``ccsync.domain.contact``; the rows and the
default table in ``mapping_rows``; the two sides in ``mapping_crm`` and ``mapping_cc``; the
target checks in ``validation``.

Example::

    mapping = default_mapping()
    crm = crm_to_canonical(vtiger_record, mapping)
    cc, consent = cc_to_canonical(contact_resource, mapping)
    body = canonical_to_cc_put(crm, contact_resource, mapping, permission=None)
"""

from __future__ import annotations

from ccsync.domain.choices import Direction
from ccsync.domain.contact import Canonical, Consent
from ccsync.domain.normalize import as_crm_stores
from ccsync.engine.mapping_cc import (
    canonical_to_cc_post,
    canonical_to_cc_put,
    canonical_to_import_row,
    cc_to_canonical,
    consent_of,
)
from ccsync.engine.mapping_crm import (
    birthday_mmdd,
    canonical_to_crm_create,
    canonical_to_crm_revise,
    crm_to_canonical,
    optout_flag,
)
from ccsync.engine.mapping_rows import (
    CustomField,
    FieldMapping,
    MappingRow,
    default_mapping,
)
from ccsync.engine.validation import (
    Issue,
    prepare_for_cc,
    prepare_for_crm,
    validate_for_cc,
    validate_for_crm,
)

__all__ = [
    "Canonical",
    "Consent",
    "CustomField",
    "Direction",
    "FieldMapping",
    "Issue",
    "MappingRow",
    "as_crm_stores",
    "birthday_mmdd",
    "canonical_to_cc_post",
    "canonical_to_cc_put",
    "canonical_to_crm_create",
    "canonical_to_crm_revise",
    "canonical_to_import_row",
    "cc_to_canonical",
    "consent_of",
    "crm_to_canonical",
    "default_mapping",
    "optout_flag",
    "prepare_for_cc",
    "prepare_for_crm",
    "validate_for_cc",
    "validate_for_crm",
]
