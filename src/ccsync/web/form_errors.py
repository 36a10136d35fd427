"""Validation errors in words a person understands, tied to the form field they concern.

Pydantic's own messages (``sync_records_from: Input should be '7d', '30d'…``) name internal
fields and echo the input; the pages show these instead, e.g. ``Background Sync Frequency must be
one of: Off, Every 5 minutes, …`` or ``User name is too long (at most 200 characters).``

Example::

    try:
        SyncSettingsIn.model_validate(raw)
    except ValidationError as exc:
        errors = from_pydantic(exc.errors(), LABELS, choices)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ccsync.web.settings_form import labels, oauth_fields, sync_fields

# Field names (form, query and path parameters) as the pages call them: the settings' labels
# come from their declarations, the rest are here.
LABELS: dict[str, str] = {
    **labels(sync_fields()),
    **labels(oauth_fields()),
    "sync_records_date": "Date (for “From a date”)",
    "debug_mode": "Debug Mode",
    "custom": "Custom fields",
    "crm_field": "Vtiger field",
    "cc_id": "Constant Contact custom field id",
    "cc_name": "Its name",
    "username": "User name",
    "password": "Password",
    "current": "Current password",
    "new": "New password",
    "confirm": "Confirm new password",
    "timezone": "Time zone",
    "next": "The page to return to",
    "name": "Name",
    "owner_id": "Owner",
    "crm_id": "Vtiger record id",
    "connector_id": "Connector number",
    "run_id": "Run number",
    "run": "Run number",
    "page": "Page number",
    "offset": "Offset",
    "limit": "Limit",
    "side": "Side",
    "action": "Action",
}
# Where a custom-field row's field is on the form: ``custom.0.crm_field`` → ``cf_crm_0``.
CUSTOM_INPUTS = {
    "crm_field": "cf_crm", "cc_id": "cf_cc", "cc_name": "cf_name", "direction": "cf_dir",
}  # fmt: skip
# What a value with a required form must look like.
PATTERNS = {"crm_field": "must be a Vtiger custom field name such as cf_901."}


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem: the form field it concerns ("" for the form as a whole) and the words."""

    field: str
    text: str


def texts(errors: Iterable[FieldError]) -> list[str]:
    """The words alone (what the JSON API answers)."""
    return [e.text for e in errors]


def by_field(errors: Iterable[FieldError]) -> dict[str, list[str]]:
    """``{field: [text, …]}`` for the template to show next to each field."""
    out: dict[str, list[str]] = {}
    for e in errors:
        out.setdefault(e.field, []).append(e.text)
    return out


def from_pydantic(
    errors: Sequence[Mapping[str, Any]],
    labels: Mapping[str, str] = LABELS,
    choices: Mapping[str, Sequence[str]] | None = None,
) -> list[FieldError]:
    """Pydantic's ``exc.errors()`` as ``FieldError`` in words (never the input, never a type).

    Args:
        errors: the error dicts of a ``ValidationError`` or ``RequestValidationError``.
        labels: field name → what the page calls it.
        choices: field name → the labels of its allowed choices, for "must be one of" (a
            custom-field row's as ``custom.direction``).
    """
    return [_one(e, labels, choices or {}) for e in errors]


def _field(loc: Sequence[Any]) -> tuple[str, str, str, str]:
    """(form field, field name, choices key, prefix) of a location such as
    ``("body", "custom", 0, "cc_id")``."""
    parts = [p for p in loc if p not in ("body", "query", "path", "form", "header", "cookie")]
    if len(parts) >= 3 and parts[0] == "custom" and isinstance(parts[1], int):
        row, name = parts[1], str(parts[2])
        field = f"{CUSTOM_INPUTS.get(name, 'cf')}_{row}"
        return field, name, f"custom.{name}", f"Custom field row {row + 1}: "
    name = str(parts[0]) if parts else ""
    return name, name, name, ""


def _one(
    error: Mapping[str, Any], labels: Mapping[str, str], choices: Mapping[str, Sequence[str]]
) -> FieldError:
    field, name, key, prefix = _field(error.get("loc", ()))
    label = prefix + labels.get(name, name.replace("_", " ").capitalize() or "The request")
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "string_pattern_mismatch" and name in PATTERNS:
        return FieldError(field, f"{label} {PATTERNS[name]}")
    return FieldError(field, f"{label} {_words(kind, ctx, choices.get(key))}")


def _words(kind: str, ctx: Mapping[str, Any], options: Sequence[str] | None) -> str:
    limit = ctx.get("max_length", ctx.get("le", ctx.get("lt")))
    low = ctx.get("min_length", ctx.get("ge", ctx.get("gt")))
    simple = {
        "missing": "is required.",
        "string_pattern_mismatch": "is not in the expected form.",
        "int_parsing": "must be a whole number.",
        "int_from_float": "must be a whole number.",
        "bool_parsing": "must be on or off.",
        "string_type": "must be text.",
        "url_parsing": "must be an http:// or https:// URL.",
    }
    if kind == "literal_error" or kind == "enum":
        return f"must be one of: {', '.join(options)}." if options else "is not one of the choices."
    if kind == "string_too_long":
        return f"is too long (at most {limit} characters)."
    if kind == "too_long":
        return f"has too many entries (at most {ctx.get('max_length')})."
    if kind == "string_too_short":
        return "is required." if low in (None, 1) else f"is too short (at least {low} characters)."
    if kind in ("less_than_equal", "less_than"):
        return f"is too large (at most {limit})."
    if kind in ("greater_than_equal", "greater_than"):
        return f"is too small (at least {low})."
    if kind == "value_error":
        # Our own validators raise ValueError with words meant for people ("must be an http://
        # or https:// URL"); pydantic prefixes "Value error, ".
        reason = str(ctx.get("error", "")).strip()
        return f"{reason}." if reason and not reason.endswith(".") else reason or "is not valid."
    return simple.get(kind, "is not valid.")
