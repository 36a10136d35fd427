"""One declaration per connector setting, from which the CLI options and the web forms are built.

A settings model is a pydantic model whose fields are declared with ``setting()``: the type and
default (pydantic), the label and help (what a person reads), whether the value is secret, and
its public *key* (the stored flat name, the CLI option ``--key-with-dashes``, the form field)::

    class VtigerConfig(SettingsModel):
        KEY_PREFIX: ClassVar[str] = "vtiger_"
        url: str = setting("", label="Vtiger URL", help="Vtiger base URL.", input="url")

    [spec] = describe(VtigerConfig, "crm")
    assert (spec.key, spec.path, spec.kind) == ("vtiger_url", "crm.url", "url")

Secrets (``SecretStr`` fields) never reach the stored JSON (``SettingsModel.stored``): the store
keeps them encrypted in their own columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

from annotated_types import MaxLen
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic.fields import FieldInfo

# What a form or the CLI offers for a setting; "data" (lists, nested models) is neither.
Kind = Literal["text", "url", "date", "choice", "bool", "int", "float", "secret", "data"]


class SettingsModel(BaseModel):
    """Base of every settings model: frozen, unknown stored keys ignored, secrets not stored."""

    model_config = ConfigDict(frozen=True, extra="ignore", validate_default=True)

    # Prepended to a field's name to make its key (``vtiger_`` + ``url``), unless it names one.
    KEY_PREFIX: ClassVar[str] = ""
    # Whose settings these are, as a person says it (``Vtiger``).
    TITLE: ClassVar[str] = "Sync"

    def stored(self) -> dict[str, Any]:
        """The JSON kept in the connector row: every field but the secrets."""
        secret = {name for name, info in type(self).model_fields.items() if _is_secret(info)}
        return self.model_dump(mode="json", exclude=secret)


def setting(
    default: Any = None,
    *,
    label: str,
    note: str = "",
    help: str = "",
    key: str | None = None,
    form: str | None = None,
    group: str | None = None,
    choices: Mapping[str, str] | None = None,
    input: Literal["url", "date"] | None = None,
    required: bool = False,
    cli: bool = True,
    max_length: int | None = None,
    default_factory: Any = None,
) -> Any:
    """A settings-model field with what the CLI and the forms need to offer it.

    Args:
        default: the value of a new connector.
        label: what a form calls it (and what its errors name).
        note: a few words a form shows in brackets after the label ("optional").
        help: one sentence for ``--help`` and the form's hint.
        key: the public name when it is not ``KEY_PREFIX + name`` (stored, CLI, form).
        form: the form field's name when the JSON API publishes another than ``key``.
        group: where a form shows it (``oauth``, ``vtiger``, ``contacts``…); None: on no form.
        choices: value → what the form shows: a ``Literal`` field's labels, or the usual values
            of a text (a ``date`` input: one of them or a ``YYYY-MM-DD`` day).
        input: ``url`` for a URL, ``date`` for a choice of spans or a day.
        required: a form refuses to save it empty (a new connector may still lack it).
        cli: whether ``connector add``/``set`` offer it.
        max_length: the longest text accepted.
        default_factory: builds the default (lists).
    """
    extra: dict[str, Any] = {"cli": cli, "required": required, "note": note}
    for name, value in (("key", key), ("form", form), ("group", group), ("input", input)):
        if value is not None:
            extra[name] = value
    if choices is not None:
        extra["choices"] = dict(choices)
    factory = {"default_factory": default_factory} if default_factory is not None else {}
    return Field(
        **({} if factory else {"default": default}),
        **factory,
        title=label,
        description=help,
        max_length=max_length,
        json_schema_extra=extra,
    )


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """Everything a CLI option or a form field needs to know about one setting."""

    section: str
    owner: str
    name: str
    key: str
    form: str
    label: str
    note: str
    help: str
    kind: Kind
    default: Any
    choices: tuple[tuple[str, str], ...]
    group: str | None
    required: bool
    cli: bool
    max_length: int | None

    @property
    def path(self) -> str:
        """``section.name``, as pydantic locates an error in the composed config."""
        return f"{self.section}.{self.name}"

    @property
    def secret(self) -> bool:
        """Never shown back, never a command-line value, never in the stored JSON."""
        return self.kind == "secret"

    @property
    def values(self) -> tuple[str, ...]:
        """The allowed values of a choice."""
        return tuple(value for value, _label in self.choices)


def describe(model: type[SettingsModel], section: str) -> list[SettingSpec]:
    """The specs of ``model``'s fields, in declaration order, as ``section`` of a config."""
    return [_spec(model, section, name, info) for name, info in model.model_fields.items()]


def _spec(model: type[SettingsModel], section: str, name: str, info: FieldInfo) -> SettingSpec:
    extra = _extra(info)
    key = str(extra.get("key") or model.KEY_PREFIX + name)
    kind = _kind(info.annotation, extra)
    labels: Mapping[str, str] = extra.get("choices") or {}
    values = _literal_values(info.annotation) or tuple(labels)
    return SettingSpec(
        section=section,
        owner=model.TITLE,
        name=name,
        key=key,
        form=str(extra.get("form") or key),
        label=info.title or name,
        note=str(extra.get("note") or ""),
        help=info.description or "",
        kind=kind,
        default=info.get_default(call_default_factory=True),
        choices=tuple((v, labels.get(v, v)) for v in values),
        group=extra.get("group"),
        required=bool(extra.get("required")),
        cli=bool(extra.get("cli", True)) and kind != "data",
        max_length=next((m.max_length for m in info.metadata if isinstance(m, MaxLen)), None),
    )


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return dict(extra) if isinstance(extra, dict) else {}


def _is_secret(info: FieldInfo) -> bool:
    return info.annotation is SecretStr


def _kind(annotation: Any, extra: Mapping[str, Any]) -> Kind:
    simple: dict[Any, Kind] = {SecretStr: "secret", bool: "bool", int: "int", float: "float"}
    if annotation in simple:
        return simple[annotation]
    if _optional(annotation) in (int, float):  # None: the default is decided at run time
        return simple[_optional(annotation)]
    if _literal_values(annotation):
        return "choice"
    if annotation is str:
        shown = extra.get("input")
        return "url" if shown == "url" else "date" if shown == "date" else "text"
    return "data"


def _optional(annotation: Any) -> Any:
    """``X`` of ``X | None``, else None."""
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not NoneType]
        if len(args) == 1 and len(get_args(annotation)) == 2:
            return args[0]
    return None


def _literal_values(annotation: Any) -> tuple[str, ...]:
    if get_origin(annotation) is Literal:
        return tuple(str(v) for v in get_args(annotation))
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not NoneType]
        return _literal_values(args[0]) if len(args) == 1 else ()
    return ()
