"""The options of ``connector add``/``set`` come from the settings models: a new field is a new
option, with its description as help, and a secret is only ever a file option."""

from __future__ import annotations

from typing import Any

import typer
from typer.testing import CliRunner

from ccsync.cli.setting_options import given_settings, option_name, with_setting_options
from ccsync.connectors.constantcontact.settings import CCConfig
from ccsync.connectors.vtiger.settings import VtigerConfig
from ccsync.domain.setting import SettingSpec, setting
from ccsync.engine.config import SETTINGS, SyncSettings, setting_specs


class WiderVtiger(VtigerConfig):
    """Vtiger's settings with two more fields, as a maintainer would add them."""

    proxy_url: str = setting(
        "", label="Proxy URL", help="Where requests to the CRM go out.", input="url",
        group="vtiger",
    )  # fmt: skip
    retries: int = setting(3, label="Retries", help="Attempts per read.")


WIDER = setting_specs({"crm": WiderVtiger, "cc": CCConfig, "sync": SyncSettings})


def _app(specs: list[SettingSpec], seen: dict[str, Any]) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @with_setting_options(specs)
    def set_(name: str, **options: Any) -> None:
        seen.update(given_settings(options, specs), name=name)

    return app


def _help(specs: list[SettingSpec]) -> str:
    result = CliRunner().invoke(_app(specs, {}), ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_a_field_added_to_a_model_is_an_option_with_its_description() -> None:
    wider = _help(WIDER)
    assert "--vtiger-proxy-url" in wider and "Where requests to the CRM go out." in wider
    assert "--vtiger-retries" in wider
    assert "--vtiger-proxy-url" not in _help(list(SETTINGS))


def test_given_options_come_back_typed_by_key() -> None:
    seen: dict[str, Any] = {}
    args = ["main", "--vtiger-proxy-url", "https://proxy", "--vtiger-retries", "5",
            "--direction", "crm-to-cc", "--no-contacts-enabled"]  # fmt: skip
    result = CliRunner().invoke(_app(WIDER, seen), args)
    assert result.exit_code == 0, result.output
    assert seen == {
        "name": "main", "vtiger_proxy_url": "https://proxy", "vtiger_retries": 5,
        "direction": "crm_to_cc", "contacts_enabled": False,
    }  # fmt: skip


def test_secrets_are_file_options_never_values() -> None:
    names = {option_name(s) for s in SETTINGS if s.secret}
    assert names == {"--vtiger-access-key-file", "--cc-client-secret-file"}
    shown = _help(list(SETTINGS))
    assert "CCSYNC_VTIGER_ACCESS_KEY" in shown and "CCSYNC_CC_CLIENT_SECRET" in shown
    result = CliRunner().invoke(_app(list(SETTINGS), {}), ["main", "--vtiger-access-key", "k"])
    assert result.exit_code == 2


def test_settings_not_meant_for_the_cli_have_no_option() -> None:
    shown = _help(list(SETTINGS))
    assert "--cc-account-label" not in shown and "--custom-fields" not in shown
    assert "--cc-retry" not in shown
