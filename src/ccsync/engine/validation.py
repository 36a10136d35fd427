"""Validation of canonical values against the target side, and the fixes that keep pairs stable.

``validate_for_crm`` / ``validate_for_cc`` list the problems; ``prepare_for_crm`` /
``prepare_for_cc`` also apply the allowed fixes (truncation of names, title, company, city,
state and zip; Vtiger's 3-byte UTF-8) and turn them into warnings, so the value written is the
value the server keeps and the pair does not ping-pong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ccsync.connectors.base import Schema
from ccsync.domain.contact import EMAIL, LASTNAME, Canonical
from ccsync.domain.normalize import as_crm_stores, email_problem, truncate
from ccsync.engine.mapping_cc import canonical_to_cc_put
from ccsync.engine.mapping_rows import FieldMapping

WARNINGS = frozenset({"truncated", "lossy_in_crm"})

TRUNCATABLE = frozenset(
    {
        "firstname",
        "lastname",
        "title",
        "account_id",
        "mailingcity",
        "othercity",
        "mailingstate",
        "otherstate",
        "mailingzip",
        "otherzip",
    }
)
CC_EMAIL_MAX, CC_IMPORT_EMAIL_MAX, CC_CUSTOM_MAX = 80, 50, 255
CC_PART_LENGTHS = {"street": 255, "city": 50, "state": 50, "postal_code": 50, "country": 50}
CC_MAX_PHONES = CC_MAX_ADDRESSES = 3
CC_MAX_CUSTOM_FIELDS = 25


# Below these lengths no value can break a column limit of the side (Vtiger's shortest mapped
# columns hold 30 characters, CC's phone numbers 25), which lets the planner skip the checks for
# the usual small edit of a linked pair.
SAFE_CRM_LENGTH, SAFE_CC_LENGTH = 30, 25


def _plainly_fine(new: Mapping[str, str], limit: int, schema: Schema | None) -> bool:
    """True when ``new`` (a partial update) cannot raise any issue at all."""
    if EMAIL in new:
        return False
    for name, text in new.items():
        if len(text) > limit or not text.isascii():
            return False
        if schema is not None and not text and _mandatory(name, schema):
            return False
        if schema is not None and (info := schema.fields.get(name)) and info.max_length:
            return False  # the live describe may be narrower than the defaults
    return True


def cc_update_is_plain(changes: Mapping[str, str]) -> bool:
    """True when a partial CC update of ``changes`` cannot raise any issue.

    ``prepare_for_cc(changes, mapping, partial=True)`` would then return a plain copy and no
    issue, so the planner skips the call (and the copy) for the usual small edit of a pair.
    """
    if EMAIL in changes:
        return False
    for text in changes.values():  # ``_plainly_fine`` without a schema, unrolled
        if len(text) > SAFE_CC_LENGTH or not text.isascii():
            return False
    return True


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem with a value for a target side.

    Attributes:
        code: a reason code of ``engine.reasons``.
        field: the canonical field concerned (``""`` for the whole record).
        message: what is wrong, for people.
        fixable_by_truncation: True when cutting the value to the limit is allowed.
    """

    code: str
    field: str
    message: str
    fixable_by_truncation: bool = False

    @property
    def blocking(self) -> bool:
        """True when the record cannot be written (warnings do not block)."""
        return self.code not in WARNINGS and not self.fixable_by_truncation


def _length_issue(field: str, text: str, limit: int | None) -> Issue | None:
    if limit is None or len(text) <= limit:
        return None
    if field == EMAIL:
        return Issue("email_too_long", field, f"email has {len(text)} characters (max {limit})")
    fixable = field in TRUNCATABLE
    return Issue(
        "value_too_long", field, f"{field} has {len(text)} characters (max {limit})", fixable
    )


def _crm_limit(field: str, schema: Schema) -> int | None:
    # the described length, else the provider's default (Vtiger: a default install's columns)
    return schema.max_length(field)


def _mandatory_issues(new: Mapping[str, str], schema: Schema, creating: bool) -> list[Issue]:
    if creating:
        names = dict.fromkeys([LASTNAME, *schema.mandatory])
    else:  # a revise only endangers the mandatory fields it clears
        names = dict.fromkeys(n for n, v in new.items() if not v and _mandatory(n, schema))
    issues = []
    for name in names:
        if name == "assigned_user_id":
            continue  # set by the runner to the connector's Vtiger user
        missing = not new.get(name) if creating else (name in new and not new[name])
        if missing:
            code = "no_last_name" if name == LASTNAME else f"missing_mandatory:{name}"
            issues.append(Issue(code, name, f"Vtiger requires {name}"))
    return issues


def _mandatory(name: str, schema: Schema) -> bool:
    info = schema.fields.get(name)
    return name == LASTNAME or (info is not None and info.mandatory)


def validate_for_crm(
    new: Mapping[str, str], schema: Schema, *, creating: bool = True
) -> list[Issue]:
    """Problems of writing ``new`` to Vtiger.

    Args:
        new: the canonical values to write (the whole contact on create, changed fields on
            revise).
        schema: Vtiger's live ``describe`` (mandatory fields, lengths).
        creating: True for a create (every mandatory field needed); False for a revise (only a
            mandatory field being cleared is a problem).
    """
    issues = _mandatory_issues(new, schema, creating)
    for name, text in new.items():
        issue = _length_issue(name, text, _crm_limit(name, schema))
        if issue:
            issues.append(issue)
        if as_crm_stores(text) != text:
            issues.append(Issue("lossy_in_crm", name, f"{name} has characters Vtiger stores as ?"))
    return issues


def prepare_for_crm(
    new: Mapping[str, str], schema: Schema, *, creating: bool = True
) -> tuple[Canonical, list[Issue]]:
    """``new`` as Vtiger will store it, and the issues (blocking ones and warnings).

    Truncatable values are cut (``truncated``); other characters outside 3-byte UTF-8 become
    ``?`` (``lossy_in_crm``).
    """
    if not creating and _plainly_fine(new, SAFE_CRM_LENGTH, schema):
        return dict(new), []
    fixed = {name: as_crm_stores(text) for name, text in new.items()}
    issues = []
    for issue in validate_for_crm(new, schema, creating=creating):
        if issue.fixable_by_truncation:
            limit = _crm_limit(issue.field, schema) or len(fixed[issue.field])
            fixed[issue.field] = truncate(fixed[issue.field], limit)
            issue = Issue("truncated", issue.field, f"{issue.field} truncated to {limit}", True)
        issues.append(issue)
    return fixed, issues


def _cc_limit(field: str, mapping: FieldMapping, for_import: bool) -> int | None:
    row = mapping.row(field)
    if row is None:
        return None
    if row.kind == "email":
        return CC_IMPORT_EMAIL_MAX if for_import else CC_EMAIL_MAX
    limits = {"core": 50, "phone": 25, "custom": CC_CUSTOM_MAX}
    return CC_PART_LENGTHS.get(row.part) if row.kind == "address" else limits.get(row.kind)


def _count_issues(body: Mapping[str, Any]) -> list[Issue]:
    counts = (
        ("phone_numbers", CC_MAX_PHONES),
        ("street_addresses", CC_MAX_ADDRESSES),
        ("custom_fields", CC_MAX_CUSTOM_FIELDS),
    )
    return [
        Issue("value_too_long", key, f"{len(body[key])} {key} (max {limit})")
        for key, limit in counts
        if len(body.get(key, ())) > limit
    ]


def validate_for_cc(
    new: Mapping[str, str],
    mapping: FieldMapping,
    *,
    fresh: Mapping[str, Any] | None = None,
    for_import: bool = False,
    partial: bool = False,
) -> list[Issue]:
    """Problems of writing ``new`` to Constant Contact (lengths, counts, the email).

    Args:
        new: the canonical values to write.
        mapping: the field mapping.
        fresh: the contact being updated (its unmapped phones/addresses count too), if any.
        for_import: True for a JSON import row (email ≤ 50 characters).
        partial: ``new`` holds only the changed fields of a contact that exists: the email is
            checked only when it changes, the counts only when ``fresh`` is given.
    """
    issues = []
    if EMAIL in new or not partial:
        problem = email_problem(new.get(EMAIL, ""))
        if problem:
            issues.append(Issue(problem, EMAIL, f"email {problem.replace('_', ' ')}"))
    allowed = mapping.to_cc_fields
    for name in [n for n in new if n in allowed]:  # in the values' order, the same every run
        issue = _length_issue(name, new[name], _cc_limit(name, mapping, for_import))
        if issue:
            issues.append(issue)
    if partial and fresh is None:
        return issues
    body = canonical_to_cc_put(new, fresh or {}, mapping, permission=None)
    return issues + _count_issues(body)


def prepare_for_cc(
    new: Mapping[str, str],
    mapping: FieldMapping,
    *,
    fresh: Mapping[str, Any] | None = None,
    for_import: bool = False,
    partial: bool = False,
) -> tuple[Canonical, list[Issue]]:
    """``new`` with truncatable values cut to CC's limits, and the issues (see
    ``validate_for_cc`` for the arguments)."""
    if partial and fresh is None and _plainly_fine(new, SAFE_CC_LENGTH, None):
        return dict(new), []
    fixed = dict(new)
    issues = []
    checks = validate_for_cc(new, mapping, fresh=fresh, for_import=for_import, partial=partial)
    for issue in checks:
        if issue.fixable_by_truncation:
            limit = _cc_limit(issue.field, mapping, for_import) or len(fixed[issue.field])
            fixed[issue.field] = truncate(fixed[issue.field], limit)
            issue = Issue("truncated", issue.field, f"{issue.field} truncated to {limit}", True)
        issues.append(issue)
    return fixed, issues
