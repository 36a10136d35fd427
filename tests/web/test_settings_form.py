"""The settings forms are built from the settings models: a new field is a new input with its
label, hint and type; a secret is a password input that never shows the saved value; the JSON
API's schemas offer every input the pages show."""

from __future__ import annotations

from typing import Any, Literal, get_args

from markupsafe import Markup
from pydantic import BaseModel

from ccsync.connectors.constantcontact.settings import CCConfig
from ccsync.connectors.vtiger.settings import VtigerConfig
from ccsync.domain.setting import setting
from ccsync.engine.config import SyncSettings, setting_specs
from ccsync.web.form_errors import LABELS
from ccsync.web.schemas import OAuthSettingsIn, SyncSettingsIn
from ccsync.web.settings_form import FormField, oauth_fields, sync_fields, sync_fieldsets
from ccsync.web.templating import TEMPLATES


class WiderVtiger(VtigerConfig):
    """Vtiger's settings with one more connection field."""

    proxy_url: str = setting(
        "", label="Proxy URL", help="Where requests to the CRM go out.", input="url",
        group="vtiger", max_length=300,
    )  # fmt: skip


class WiderCC(CCConfig):
    """Constant Contact's settings with one more OAuth choice."""

    prompt: Literal["login", "consent"] = setting(
        "login", label="Prompt", group="oauth", choices={"login": "Log in", "consent": "Consent"}
    )


WIDER = setting_specs({"crm": WiderVtiger, "cc": WiderCC, "sync": SyncSettings})


def _render(field: FormField, value: Any, masks: dict[str, str] | None = None) -> str:
    module: Any = TEMPLATES.env.get_template("partials/setting_field.html").module
    options = {field.name: field.choices}
    html: Markup = module.setting_field(field, value, options, {}, masks or {})
    return str(html)


def test_a_field_added_to_a_model_is_an_input_in_its_fieldset() -> None:
    vtiger = next(fs for fs in sync_fieldsets(WIDER) if fs.group == "vtiger")
    field = next(f for f in vtiger.fields if f.name == "vtiger_proxy_url")
    html = _render(field, "https://proxy")
    assert '<label for="vtiger_proxy_url">Proxy URL</label>' in html
    assert 'type="url" value="https://proxy"' in html and 'maxlength="300"' in html
    assert "Where requests to the CRM go out." in html
    assert "vtiger_proxy_url" not in {f.name for f in sync_fields()}


def test_a_choice_added_to_the_oauth_group_is_a_list_on_the_oauth_page() -> None:
    field = next(f for f in oauth_fields(WIDER) if f.name == "prompt")
    html = _render(field, "consent")
    assert '<select id="prompt" name="prompt"' in html
    assert '<option value="consent" selected>Consent</option>' in html
    assert "prompt" not in {f.name for f in oauth_fields()}


def test_a_secret_is_a_password_input_that_shows_only_the_mask() -> None:
    field = next(f for f in sync_fields() if f.name == "vtiger_access_key")
    html = _render(field, "the-saved-key-1234", {"vtiger_access_key": "••••1234"})
    assert 'type="password" value=""' in html and "the-saved-key" not in html
    assert "Saved: ••••1234 — leave empty to keep it." in html


def _literal_values(model: type[BaseModel], name: str) -> tuple[str, ...]:
    return tuple(str(v) for v in get_args(model.model_fields[name].annotation))


def test_the_api_schemas_offer_every_input_the_pages_show_with_the_same_choices() -> None:
    for fields, model in ((sync_fields(), SyncSettingsIn), (oauth_fields(), OAuthSettingsIn)):
        for field in fields:
            assert field.name in model.model_fields, f"{model.__name__} lacks {field.name}"
            if field.kind == "choice":
                assert set(_literal_values(model, field.name)) == set(field.spec.values)
            assert LABELS[field.name] == field.spec.label
