"""Sync Settings (admins only) with the field mapping and the API budget (sync rule Q4)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from ccsync.domain.choices import DIRECTIONS
from ccsync.web.audit import audit
from ccsync.web.budget import FREQUENCY_LABELS, FREQUENCY_ORDER
from ccsync.web.deps import AdminConnectorDep, get_ctx
from ccsync.web.form_errors import FieldError, by_field, from_pydantic
from ccsync.web.forms import budget_for, direction_label, save_sync, sync_form
from ccsync.web.schemas import SyncSettingsIn, SyncSettingsOut
from ccsync.web.templating import flash, render

router = APIRouter(include_in_schema=False)
CHECKBOXES = ("debug_mode", "enabled", "delete_wins", "extended", "office_phone_as_work")
MAX_CUSTOM_ROWS = 100
# The choices of the form's lists: (value, what the page shows).
OPTIONS: dict[str, list[tuple[str, str]]] = {
    "sync_records_from": [
        ("7d", "Last 7 days"), ("30d", "Last 30 days"), ("90d", "Last 90 days"),
        ("1y", "Last year"), ("all", "All records"), ("date", "From a date"),
    ],
    "frequency": [(f, FREQUENCY_LABELS[f]) for f in FREQUENCY_ORDER],
    "direction": [
        ("both", "Sync both ways"), ("crm_to_cc", "Sync from Vtiger to Constant Contact"),
        ("cc_to_crm", "Sync from Constant Contact to Vtiger"),
    ],
    "conflict_policy": [
        ("newest", "Most recent change wins"), ("crm", "Vtiger CRM wins"),
        ("cc", "Constant Contact wins"),
    ],
    "delete_crm": [
        ("mirror", "Delete it in Constant Contact"),
        ("unlist", "Remove it from the target list only"),
        ("ignore", "Keep it in Constant Contact (unlink)"),
    ],
    "delete_cc": [("mirror", "Delete it in Vtiger"), ("ignore", "Keep it in Vtiger (unlink)")],
    "crm_scope": [
        ("assigned", "Assigned to the Vtiger user"),
        ("all", "All contacts (the Vtiger user must be an admin)"),
    ],
    "cc_scope": [("account", "The whole account"), ("lists", "Only members of the target list")],
    "vtiger_flavour": [
        ("webservice", "Open source (webservice.php)"), ("restapi", "Vtiger Cloud (restapi/v1)"),
    ],
    "custom.direction": [(d, direction_label(d)) for d in DIRECTIONS],
}  # fmt: skip
# What an error names as the allowed choices of each list.
CHOICES = {name: [label for _v, label in options] for name, options in OPTIONS.items()}


def _page(
    request: Request, row: Any, form: SyncSettingsOut, errors: list[FieldError], status: int
) -> Response:
    ctx = get_ctx(request)
    check = budget_for(ctx, row, form.frequency, form.enabled)
    mapping = [
        {**m.model_dump(), "direction_label": direction_label(m.direction)} for m in form.mapping
    ]
    return render(
        request,
        "sync_settings.html",
        status_code=status,
        c=row,
        form=form,
        errors=errors,
        field_errors=by_field(errors),
        budget=check,
        mapping=mapping,
        options=OPTIONS,
    )


@router.get("/connectors/{connector_id}/settings", response_class=HTMLResponse)
def settings_page(request: Request, row: AdminConnectorDep) -> Response:
    """The Sync Settings form."""
    return _page(request, row, sync_form(get_ctx(request), row), [], 200)


def _custom_rows(form: Any) -> list[dict[str, str]]:
    rows = []
    for i in range(MAX_CUSTOM_ROWS):
        crm = str(form.get(f"cf_crm_{i}", "")).strip()
        if not crm and f"cf_crm_{i}" not in form:
            break
        if crm:
            rows.append(
                {
                    "crm_field": crm,
                    "cc_id": str(form.get(f"cf_cc_{i}", "")).strip(),
                    "cc_name": str(form.get(f"cf_name_{i}", "")).strip(),
                    "direction": str(form.get(f"cf_dir_{i}", "both")),
                }
            )
    return rows


def _parse(form: Any) -> tuple[dict[str, Any], SyncSettingsIn | None, list[FieldError]]:
    raw: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    raw.pop("csrftoken", None)
    for name in CHECKBOXES:
        raw[name] = form.get(name) == "on"
    raw = {k: v for k, v in raw.items() if not k.startswith("cf_")}
    raw["custom"] = _custom_rows(form)
    try:
        return raw, SyncSettingsIn.model_validate(raw), []
    except ValidationError as exc:
        return raw, None, from_pydantic(exc.errors(), choices=CHOICES)


@router.post("/connectors/{connector_id}/settings", response_class=HTMLResponse)
async def settings_save(request: Request, row: AdminConnectorDep) -> Response:
    """Save the Sync Settings (refused when the frequency would break the API budget)."""
    ctx = get_ctx(request)
    form = await request.form()
    raw, data, errors = _parse(form)
    if data is not None:
        errors = save_sync(ctx, row, data)
    if errors:
        current = sync_form(ctx, row)
        # The posted values (custom rows too) come back, with the words next to each field.
        shown = current.model_copy(update=raw)
        return _page(request, row, shown, errors, 400)
    audit(request, "sync_settings_saved", target=f"connector {row.id}")
    flash(request, "Sync settings saved.")
    return RedirectResponse(f"/connectors/{row.id}/settings", status_code=303)
