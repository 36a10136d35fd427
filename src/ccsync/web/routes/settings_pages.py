"""Sync Settings (admins only) with the field mapping and the API budget (sync rule Q4)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from ccsync.domain.choices import DIRECTIONS
from ccsync.web.audit import audit
from ccsync.web.deps import AdminConnectorDep, get_ctx
from ccsync.web.form_errors import FieldError, by_field, from_pydantic
from ccsync.web.forms import budget_for, direction_label, save_sync, sync_form
from ccsync.web.schemas import SyncSettingsIn, SyncSettingsOut
from ccsync.web.settings_form import options, sync_fields, sync_fieldsets
from ccsync.web.templating import flash, render

router = APIRouter(include_in_schema=False)
FIELDSETS = sync_fieldsets()
FIELDS = sync_fields()
CHECKBOXES = ("debug_mode", *(f.name for f in FIELDS if f.kind == "bool"))
MAX_CUSTOM_ROWS = 100
# The choices of the form's lists: (value, what the page shows).
OPTIONS: dict[str, list[tuple[str, str]]] = {
    **options(FIELDS),
    "custom.direction": [(d, direction_label(d)) for d in DIRECTIONS],
}
# What an error names as the allowed choices of each list.
CHOICES = {name: [label for _v, label in shown] for name, shown in OPTIONS.items()}


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
        fieldsets=FIELDSETS,
        masks={"vtiger_access_key": form.access_key_mask},
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
