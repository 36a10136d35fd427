"""The options of ``connector add`` and ``connector set``, built from the settings models.

Every setting a model offers to the CLI becomes one option named after its key
(``vtiger_url`` → ``--vtiger-url``) with its description as help; a yes/no setting becomes
``--x/--no-x``; a secret becomes ``--<key>-file`` (plus ``CCSYNC_<KEY>`` and a hidden prompt),
never a value on the command line::

    @app.command("set")
    @with_setting_options(SETTINGS)
    def set_(name: str, **options: Any) -> None:
        given = given_settings(options, SETTINGS)      # {"vtiger_url": "https://…"}
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from ccsync.cli.common import fail
from ccsync.domain.setting import SettingSpec

_TYPES: dict[str, type] = {"bool": bool, "int": int, "float": float}


def option_name(spec: SettingSpec) -> str:
    """The command-line spelling of a setting (``--vtiger-url``, ``--vtiger-access-key-file``)."""
    suffix = "-file" if spec.secret else ""
    return "--" + spec.key.replace("_", "-") + suffix


def env_name(spec: SettingSpec) -> str:
    """Where a secret may come from instead of a file (``CCSYNC_VTIGER_ACCESS_KEY``)."""
    return f"CCSYNC_{spec.key.upper()}"


def parameter_name(spec: SettingSpec) -> str:
    """The Python name of a setting's option."""
    return spec.key + ("_file" if spec.secret else "")


def _help(spec: SettingSpec) -> str:
    if spec.secret:
        return f"File holding the {spec.owner} {spec.label.lower()} (or set {env_name(spec)})."
    label = f"{spec.label} ({spec.note})" if spec.note else spec.label
    text = f"{label}. {spec.help}" if spec.help else f"{label}."
    if spec.kind == "date":
        return f"{text} ({'|'.join(spec.values)}|YYYY-MM-DD)"
    return f"{text} ({'|'.join(spec.values)})" if spec.kind == "choice" else text


def _parameter(spec: SettingSpec) -> inspect.Parameter:
    flag = option_name(spec)
    decls = [f"{flag}/--no-{flag[2:]}"] if spec.kind == "bool" else [flag]
    kind: type = Path if spec.secret else _TYPES.get(spec.kind, str)
    option = typer.Option(*decls, help=_help(spec), rich_help_panel=f"{spec.owner} settings")
    return inspect.Parameter(
        parameter_name(spec),
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[kind | None, option],
    )


def setting_parameters(specs: Iterable[SettingSpec]) -> list[inspect.Parameter]:
    """One keyword parameter (a Typer option) per setting offered to the CLI."""
    return [_parameter(spec) for spec in specs if spec.cli]


def with_setting_options(
    specs: Iterable[SettingSpec],
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command taking ``**options`` one option per setting (Typer reads the signature)."""
    params = setting_parameters(specs)

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        own = [
            p
            for p in inspect.signature(command, eval_str=True).parameters.values()
            if p.kind is not inspect.Parameter.VAR_KEYWORD
        ]
        keyword = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own[1:]]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            command(*args, **kwargs)

        wrapper.__signature__ = inspect.Signature([own[0], *keyword, *params])  # type: ignore[attr-defined]
        return wrapper

    return decorate


def given_settings(options: Mapping[str, Any], specs: Iterable[SettingSpec]) -> dict[str, Any]:
    """The settings (by key) among a command's options that were given; secrets left out.

    A choice may be spelt with dashes (``--direction crm-to-cc``).
    """
    out: dict[str, Any] = {}
    for spec in specs:
        value = options.get(spec.key)
        if value is None or spec.secret or not spec.cli:
            continue
        if spec.kind == "choice" and str(value).replace("-", "_") in spec.values:
            value = str(value).replace("-", "_")
        out[spec.key] = value
    return out


def given_secrets(
    options: Mapping[str, Any], specs: Iterable[SettingSpec], *, ask: bool
) -> dict[str, str]:
    """The secrets (by key) from their file options, the environment, or a hidden prompt.

    Raises:
        typer.Exit: a file cannot be read (the error is printed).
    """
    out: dict[str, str] = {}
    for spec in specs:
        if spec.secret and spec.cli:
            value = _secret(spec, options.get(parameter_name(spec)), ask=ask)
            if value:
                out[spec.key] = value
    return out


def _secret(spec: SettingSpec, path: Path | None, *, ask: bool) -> str | None:
    """A file option first, then the environment, then (``ask``) a hidden prompt."""
    if path is not None:
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise fail(f"cannot read {path}: {exc.strerror}") from None
    if os.environ.get(env_name(spec)):
        return os.environ[env_name(spec)].strip()
    if not ask:
        return None
    prompt = f"{spec.owner} {spec.label.lower()}"
    value: str = typer.prompt(prompt, hide_input=True, default="", show_default=False)
    return value.strip()
