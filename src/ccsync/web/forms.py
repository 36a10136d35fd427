"""Reading and saving the OAuth Settings and Sync Settings of a connector.

Pages and the JSON API both go through here, so validation, the ``offline_access`` warning, the
budget refusal (sync rule Q4), Debug Mode's 24-hour expiry and rescheduling happen in one place.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ccsync.connectors.constantcontact.settings import CCConfig
from ccsync.engine.config import ConnectorConfig, load_config, secret_columns
from ccsync.engine.mapping_rows import CustomField, default_mapping
from ccsync.errors import ConfigError
from ccsync.store.repos.connectors import (
    clear_crm_auth,
    list_connectors,
    set_connector_secrets,
    set_connector_status,
    update_connector,
    update_connector_settings,
)
from ccsync.store.repos.rows import ConnectorRow
from ccsync.web.budget import BudgetCheck, Usage, check_frequency
from ccsync.web.context import WebContext
from ccsync.web.form_errors import FieldError
from ccsync.web.oauth import redirect_uri
from ccsync.web.schemas import (
    BudgetOut,
    CustomFieldIn,
    MappingRowOut,
    OAuthSettingsIn,
    OAuthSettingsOut,
    SyncSettingsIn,
    SyncSettingsOut,
)
from ccsync.web.settings_form import (
    FormField,
    oauth_fields,
    secret_changes,
    setting_changes,
    sync_fields,
)
from ccsync.web.templating import mask_secret

DEBUG_HOURS = 24
CUSTOM_KEY = "custom_fields"
RECORDS_FROM = "sync_records_from"
DIRECTION_LABELS = {"both": "Both ways", "crm_to_cc": "Vtiger → CC", "cc_to_crm": "CC → Vtiger"}
OFFLINE_WARNING = (
    "The scopes do not include offline_access: Constant Contact will give no refresh token and "
    "the connection will stop working after 24 hours."
)


def _http_url(
    value: str, field: str, label: str, errors: list[FieldError], required: bool = True
) -> None:
    if not value and not required:
        return
    if not value.startswith(("http://", "https://")) or " " in value:
        errors.append(FieldError(field, f"{label} must be an http(s) URL."))


def _value(config: ConnectorConfig, field: FormField) -> Any:
    return getattr(getattr(config, field.spec.section), field.spec.name)


# --- OAuth Settings ------------------------------------------------------------------------


def oauth_form(ctx: WebContext, row: ConnectorRow) -> OAuthSettingsOut:
    """The OAuth settings as the form shows them (secret masked)."""
    config = load_config(row)
    shown = {f.name: _value(config, f) for f in oauth_fields() if not f.spec.secret}
    return OAuthSettingsOut(
        **shown, secret_mask=mask_secret(row.client_secret), redirect_uri=redirect_uri(ctx.settings)
    )


def oauth_errors(data: OAuthSettingsIn, has_secret: bool) -> list[FieldError]:
    """What is wrong with ``data`` (empty when it can be saved), next to each field."""
    errors: list[FieldError] = []
    for field in oauth_fields():
        value = str(getattr(data, field.name)).strip()
        if field.required and not value and not (field.spec.secret and has_secret):
            errors.append(FieldError(field.name, f"{field.spec.label} is required."))
        elif field.kind == "url":
            _http_url(value, field.name, field.spec.label, errors, required=field.required)
    return errors


def save_oauth(
    ctx: WebContext, row: ConnectorRow, data: OAuthSettingsIn
) -> tuple[list[FieldError], str | None]:
    """Validate and store the OAuth Settings; returns ``(errors, warning)``."""
    errors = oauth_errors(data, bool(row.client_secret))
    if errors:
        return errors, None
    posted = data.model_dump()
    changes = setting_changes(oauth_fields(), posted)
    changes["cc_redirect_uri"] = redirect_uri(ctx.settings)
    try:
        config = load_config(row).with_changes(changes)
    except ConfigError as exc:
        return [FieldError("", str(exc))], None
    secrets = secret_columns(secret_changes(oauth_fields(), posted))
    with ctx.sessions.begin() as session:
        update_connector_settings(session, row.id, config.stored_patch(changes))
        if secrets:
            set_connector_secrets(session, row.id, **secrets)
        if row.status == "not_configured":
            set_connector_status(session, row.id, "needs_sign_in")
    scopes = config.cc.scopes if isinstance(config.cc, CCConfig) else ""
    warning = None if "offline_access" in scopes.split() else OFFLINE_WARNING
    return [], warning


# --- Sync Settings -------------------------------------------------------------------------


def _custom(raw: list[dict[str, str]]) -> list[CustomFieldIn]:
    out = []
    for item in raw:
        try:
            out.append(CustomFieldIn.model_validate(item))
        except ValueError:
            continue
    return out


def mapping_rows(config: ConnectorConfig, custom: list[CustomFieldIn]) -> list[MappingRowOut]:
    """The field mapping the runner uses with these options."""
    mapping = default_mapping(
        extended=config.sync.extended_mapping,
        office_phone_as_work=config.sync.office_phone_as_work,
        custom=[CustomField(c.crm_field, c.cc_id, c.cc_name, c.direction) for c in custom],
    )
    return [
        MappingRowOut(
            crm_field=r.crm_field, cc_path=r.cc_path, direction=r.direction, extended=r.extended
        )
        for r in mapping.rows
    ]


def debug_on(row: ConnectorRow, now: datetime | None = None) -> bool:
    """Whether Debug Mode is on (it switches itself off ``DEBUG_HOURS`` after being set)."""
    return row.debug_until is not None and row.debug_until > (now or datetime.now(UTC))


def _usages(ctx: WebContext) -> list[Usage]:
    with ctx.sessions() as session:
        rows = list_connectors(session)
    out = []
    for r in rows:
        config = load_config(r)
        sync = config.sync
        out.append(Usage(r.id, _client_id(config), sync.frequency, sync.contacts_enabled))
    return out


def _client_id(config: ConnectorConfig) -> str:
    """The CC application of ``config`` (its daily budget is shared by the application)."""
    return config.cc.client_id if isinstance(config.cc, CCConfig) else ""


def budget_for(ctx: WebContext, row: ConnectorRow, frequency: str, enabled: bool) -> BudgetCheck:
    """The budget projection (sync rule Q4) with ``row`` at ``frequency``."""
    client_id = _client_id(load_config(row))
    return check_frequency(_usages(ctx), row.id, client_id, frequency, enabled)


def sync_form(ctx: WebContext, row: ConnectorRow) -> SyncSettingsOut:
    """The Sync Settings as the form shows them."""
    config = load_config(row)
    shown = {f.name: _value(config, f) for f in sync_fields() if not f.spec.secret}
    records = config.sync.sync_records_from
    custom = _custom(config.sync.custom_fields)
    check = budget_for(ctx, row, config.sync.frequency, config.sync.contacts_enabled)
    return SyncSettingsOut(
        **{**shown, RECORDS_FROM: _span(records)},
        sync_records_date=records if _span(records) == "date" else "",
        debug_mode=debug_on(row),
        custom=custom,
        access_key_mask=mask_secret(row.vtiger_access_key),
        mapping=mapping_rows(config, custom),
        budget=_budget_out(check),
    )


def _span(value: str) -> Any:
    """The form's choice for a stored value: a span, "all", or "date" (a YYYY-MM-DD)."""
    return value if value in ("7d", "30d", "90d", "1y", "all") else "date"


def _budget_out(check: BudgetCheck) -> BudgetOut:
    return BudgetOut(
        client_id=check.client_id,
        projected=check.projected,
        quota=check.quota,
        percent=check.percent,
        best=check.best,
    )


def _config_changes(data: SyncSettingsIn) -> dict[str, Any]:
    """The posted settings by key ("From a date" stores the date itself)."""
    changes = setting_changes(sync_fields(), data.model_dump())
    if data.sync_records_from == "date":
        changes[RECORDS_FROM] = data.sync_records_date.strip()
    changes[CUSTOM_KEY] = [c.model_dump() for c in data.custom]
    return changes


def _field_errors(data: SyncSettingsIn) -> list[FieldError]:
    """The values that are wrong on their own, in words next to their fields."""
    errors: list[FieldError] = []
    date = data.sync_records_date.strip()
    if data.sync_records_from == "date":
        if not date:
            errors.append(
                FieldError(
                    "sync_records_date",
                    "Choose the date to sync records from (or another Sync Records From).",
                )
            )
        elif not _is_date(date):
            errors.append(
                FieldError("sync_records_date", "The date must be a day such as 2024-03-01.")
            )
        elif date > datetime.now(UTC).date().isoformat():
            errors.append(
                FieldError(
                    "sync_records_date",
                    f"{date} is in the future: the first run would sync nothing; choose today "
                    "or an earlier date.",
                )
            )
    try:
        ZoneInfo(data.vtiger_timezone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(
            FieldError(
                "vtiger_timezone",
                "Vtiger server time zone is an unknown time zone: use a name such as "
                "Europe/Berlin or UTC.",
            )
        )
    _http_url(data.vtiger_url, "vtiger_url", "Vtiger URL", errors, required=False)
    return errors


def _is_date(value: str) -> bool:
    try:
        datetime.strptime(value + "+0000", "%Y-%m-%d%z")
    except ValueError:
        return False
    return True


def sync_errors(ctx: WebContext, row: ConnectorRow, data: SyncSettingsIn) -> list[FieldError]:
    """What is wrong with ``data``: invalid values, or a frequency over the budget (sync
    rule Q4)."""
    errors = _field_errors(data)
    if errors:
        return errors
    try:
        _saved(row, data)
    except ConfigError as exc:
        return [FieldError("", str(exc))]
    check = budget_for(ctx, row, data.frequency, data.enabled)
    if not check.ok:
        errors.append(FieldError("frequency", check.refusal()))
    names = [c.crm_field for c in data.custom]
    for i, name in enumerate(names):
        if name in names[:i]:
            errors.append(
                FieldError(f"cf_crm_{i}", f"{name} is mapped twice: map each Vtiger field once.")
            )
    return errors


def _saved(row: ConnectorRow, data: SyncSettingsIn) -> ConnectorConfig:
    """The connector's settings as this save leaves them (raises ``ConfigError``)."""
    secrets = secret_changes(sync_fields(), data.model_dump())
    return load_config(row).updated(**_config_changes(data), **secrets)


def save_sync(ctx: WebContext, row: ConnectorRow, data: SyncSettingsIn) -> list[FieldError]:
    """Validate and store the Sync Settings; reschedules the background job. Returns the errors."""
    errors = sync_errors(ctx, row, data)
    if errors:
        return errors
    config = _saved(row, data)
    secrets = secret_columns(secret_changes(sync_fields(), data.model_dump()))
    with ctx.sessions.begin() as session:
        update_connector_settings(session, row.id, config.stored_patch(_config_changes(data)))
        if secrets:
            set_connector_secrets(session, row.id, **secrets)
        # New Vtiger credentials (key, user name, URL or flavour) may cure a refused login.
        fixed = not load_config(row).crm.same_login(config.crm) and clear_crm_auth(session, row.id)
        _set_debug(session, row, data.debug_mode)
    if fixed:
        ctx.backend.forget_failure(row.id)
    ctx.backend.reload()
    return []


def _set_debug(session: Any, row: ConnectorRow, on: bool) -> None:
    if on and not debug_on(row):
        until = datetime.now(UTC) + timedelta(hours=DEBUG_HOURS)
        update_connector(session, row.id, debug_until=until)
    elif not on and row.debug_until is not None:
        update_connector(session, row.id, debug_until=None)


def direction_label(direction: str) -> str:
    """``both`` → ``Both ways``."""
    return DIRECTION_LABELS.get(direction, direction)
