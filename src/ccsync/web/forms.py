"""Reading and saving the OAuth Settings and Sync Settings of a connector.

Pages and the JSON API both go through here, so validation, the ``offline_access`` warning, the
budget refusal (sync rule Q4), Debug Mode's 24-hour expiry and rescheduling happen in one place.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ccsync.engine.config import ConnectorConfig
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
from ccsync.web.templating import mask_secret

DEBUG_HOURS = 24
CUSTOM_KEY = "custom_fields"
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


# --- OAuth Settings ------------------------------------------------------------------------


def oauth_form(ctx: WebContext, row: ConnectorRow) -> OAuthSettingsOut:
    """The OAuth settings as the form shows them (secret masked)."""
    config = ConnectorConfig.from_dict(row.settings)
    return OAuthSettingsOut(
        client_id=config.cc_client_id,
        secret_mask=mask_secret(row.client_secret),
        auth_url=config.cc_auth_url,
        token_url=config.cc_token_url,
        revoke_url=config.cc_revoke_url,
        api_base_url=config.cc_api_url,
        scopes=config.cc_scopes,
        pkce=config.pkce,
        redirect_uri=redirect_uri(ctx.settings),
    )


def oauth_errors(data: OAuthSettingsIn, has_secret: bool) -> list[FieldError]:
    """What is wrong with ``data`` (empty when it can be saved)."""
    errors: list[FieldError] = []
    if not data.client_id.strip():
        errors.append(FieldError("client_id", "Client ID is required."))
    if not (data.client_secret or has_secret):
        errors.append(FieldError("client_secret", "Client Secret is required."))
    _http_url(data.auth_url, "auth_url", "Auth URL", errors)
    _http_url(data.token_url, "token_url", "Token URL", errors)
    _http_url(data.revoke_url, "revoke_url", "Revoke URL", errors, required=False)
    _http_url(data.api_base_url, "api_base_url", "API base URL", errors)
    if not data.scopes.split():
        errors.append(FieldError("scopes", "Scopes are required."))
    return errors


def save_oauth(
    ctx: WebContext, row: ConnectorRow, data: OAuthSettingsIn
) -> tuple[list[FieldError], str | None]:
    """Validate and store the OAuth Settings; returns ``(errors, warning)``."""
    errors = oauth_errors(data, bool(row.client_secret))
    if errors:
        return errors, None
    changes = {
        "cc_client_id": data.client_id.strip(),
        "cc_auth_url": data.auth_url.strip(),
        "cc_token_url": data.token_url.strip(),
        "cc_revoke_url": data.revoke_url.strip(),
        "cc_api_url": data.api_base_url.strip().rstrip("/"),
        "cc_scopes": " ".join(data.scopes.split()),
        "pkce": data.pkce,
        "cc_redirect_uri": redirect_uri(ctx.settings),
    }
    with ctx.sessions.begin() as session:
        update_connector_settings(session, row.id, changes)
        if data.client_secret:
            set_connector_secrets(session, row.id, client_secret=data.client_secret)
        if row.status == "not_configured":
            set_connector_status(session, row.id, "needs_sign_in")
    warning = None if "offline_access" in data.scopes.split() else OFFLINE_WARNING
    return [], warning


# --- Sync Settings -------------------------------------------------------------------------


def _custom(settings: dict[str, Any]) -> list[CustomFieldIn]:
    raw = settings.get(CUSTOM_KEY) or []
    out = []
    for item in raw if isinstance(raw, list) else []:
        try:
            out.append(CustomFieldIn.model_validate(item))
        except ValueError:
            continue
    return out


def mapping_rows(config: ConnectorConfig, custom: list[CustomFieldIn]) -> list[MappingRowOut]:
    """The field mapping the runner uses with these options."""
    mapping = default_mapping(
        extended=config.extended_mapping,
        office_phone_as_work=config.office_phone_as_work,
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
        config = ConnectorConfig.from_dict(r.settings)
        out.append(Usage(r.id, config.cc_client_id, config.frequency, config.contacts_enabled))
    return out


def budget_for(ctx: WebContext, row: ConnectorRow, frequency: str, enabled: bool) -> BudgetCheck:
    """The budget projection (sync rule Q4) with ``row`` at ``frequency``."""
    client_id = ConnectorConfig.from_dict(row.settings).cc_client_id
    return check_frequency(_usages(ctx), row.id, client_id, frequency, enabled)


def sync_form(ctx: WebContext, row: ConnectorRow) -> SyncSettingsOut:
    """The Sync Settings as the form shows them."""
    c = ConnectorConfig.from_dict(row.settings)
    custom = _custom(row.settings)
    check = budget_for(ctx, row, c.frequency, c.contacts_enabled)
    return SyncSettingsOut(
        sync_records_from=_span(c.sync_records_from),
        sync_records_date=c.sync_records_from if _span(c.sync_records_from) == "date" else "",
        debug_mode=debug_on(row),
        frequency=c.frequency,
        direction=c.direction,
        enabled=c.contacts_enabled,
        conflict_policy=c.conflict_policy,
        delete_crm=c.crm_delete_policy,
        delete_cc=c.cc_delete_policy,
        delete_wins=c.delete_wins,
        crm_scope=c.crm_scope,
        cc_scope=c.cc_scope,
        target_list=c.target_list,
        vtiger_timezone=c.vtiger_timezone,
        cc_record_url=c.cc_contact_url,
        vtiger_url=c.vtiger_url,
        vtiger_username=c.vtiger_username,
        vtiger_flavour=c.vtiger_flavour,
        extended=c.extended_mapping,
        office_phone_as_work=c.office_phone_as_work,
        custom=custom,
        access_key_mask=mask_secret(row.vtiger_access_key),
        mapping=mapping_rows(c, custom),
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
    return {
        "sync_records_from": (
            data.sync_records_date.strip()
            if data.sync_records_from == "date"
            else data.sync_records_from
        ),
        "frequency": data.frequency,
        "direction": data.direction,
        "contacts_enabled": data.enabled,
        "conflict_policy": data.conflict_policy,
        "crm_delete_policy": data.delete_crm,
        "cc_delete_policy": data.delete_cc,
        "delete_wins": data.delete_wins,
        "crm_scope": data.crm_scope,
        "cc_scope": data.cc_scope,
        "target_list": data.target_list.strip(),
        "vtiger_timezone": data.vtiger_timezone.strip(),
        "cc_contact_url": data.cc_record_url.strip(),
        "vtiger_url": data.vtiger_url.strip().rstrip("/"),
        "vtiger_username": data.vtiger_username.strip(),
        "vtiger_flavour": data.vtiger_flavour,
        "extended_mapping": data.extended,
        "office_phone_as_work": data.office_phone_as_work,
    }


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
    changes = _config_changes(data)
    try:
        ConnectorConfig.from_dict({**row.settings, **changes}).validate()
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


def save_sync(ctx: WebContext, row: ConnectorRow, data: SyncSettingsIn) -> list[FieldError]:
    """Validate and store the Sync Settings; reschedules the background job. Returns the errors."""
    errors = sync_errors(ctx, row, data)
    if errors:
        return errors
    changes = _config_changes(data)
    changes[CUSTOM_KEY] = [c.model_dump() for c in data.custom]
    with ctx.sessions.begin() as session:
        update_connector_settings(session, row.id, changes)
        if data.vtiger_access_key:
            set_connector_secrets(session, row.id, vtiger_access_key=data.vtiger_access_key)
        fixed = _vtiger_login_changed(row, data) and clear_crm_auth(session, row.id)
        _set_debug(session, row, data.debug_mode)
    if fixed:
        ctx.backend.forget_failure(row.id)
    ctx.backend.reload()
    return []


def _vtiger_login_changed(row: ConnectorRow, data: SyncSettingsIn) -> bool:
    """Whether this save gives Vtiger new credentials (a key, user name, URL or flavour)."""
    old = ConnectorConfig.from_dict(row.settings)
    new = _config_changes(data)
    return bool(data.vtiger_access_key) or (
        (old.vtiger_url, old.vtiger_username, old.vtiger_flavour)
        != (new["vtiger_url"], new["vtiger_username"], new["vtiger_flavour"])
    )


def _set_debug(session: Any, row: ConnectorRow, on: bool) -> None:
    if on and not debug_on(row):
        until = datetime.now(UTC) + timedelta(hours=DEBUG_HOURS)
        update_connector(session, row.id, debug_until=until)
    elif not on and row.debug_until is not None:
        update_connector(session, row.id, debug_until=None)


def direction_label(direction: str) -> str:
    """``both`` → ``Both ways``."""
    return DIRECTION_LABELS.get(direction, direction)
