"""The fields of the OAuth Settings and Sync Settings forms, built from the settings models.

Labels, hints, input types, choices, ``required``/``maxlength`` and which inputs are secret come
from each setting's declaration (``engine.config.SETTINGS``); this module only says which
``group`` goes in which fieldset, and how a page names its inputs: the OAuth Settings page shows
Constant Contact's ``oauth`` settings under their own names (``client_id``), the Sync Settings
page shows several owners' settings under each setting's form name (``vtiger_url``,
``delete_crm``)::

    for fieldset in sync_fieldsets():
        for field in fieldset.fields:
            field.name, field.label, field.kind, field.choices
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ccsync.domain.setting import SettingSpec
from ccsync.engine.config import SETTINGS

OAUTH_GROUP = "oauth"
# The Sync Settings page's fieldsets: (legend, the settings group it shows), top to bottom.
SYNC_FIELDSETS = (
    ("Pre Sync Settings", "first_run"),
    ("System Settings", "system"),
    ("Contacts Sync Settings", "contacts"),
    ("Vtiger connection", "vtiger"),
    ("Field mapping", "mapping"),
)
# Within a fieldset: the sync's own settings first, then Vtiger's, then Constant Contact's.
SECTION_ORDER = ("sync", "crm", "cc")
# What a "Sync Records From" list offers beyond its spans: a day, typed in beside it.
DATE_CHOICE = ("date", "From a date")


@dataclass(frozen=True, slots=True)
class FormField:
    """One input of a settings form: its name on the page and the setting behind it."""

    name: str
    spec: SettingSpec

    @property
    def label(self) -> str:
        """What the page calls it: the label, and its note in brackets."""
        note = self.spec.note
        return f"{self.spec.label} ({note})" if note else self.spec.label

    @property
    def help(self) -> str:
        """The hint under the input ("" for none)."""
        return self.spec.help

    @property
    def kind(self) -> str:
        """``text``, ``url``, ``date``, ``choice``, ``bool``, ``int``, ``float`` or ``secret``."""
        return self.spec.kind

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(value, what the page shows) of a list; a ``date`` field adds "From a date"."""
        extra = [DATE_CHOICE] if self.kind == "date" else []
        return [*self.spec.choices, *extra]

    @property
    def required(self) -> bool:
        """The form refuses to save it empty (a secret: unless one is saved)."""
        return self.spec.required

    @property
    def max_length(self) -> int | None:
        """The longest text accepted."""
        return self.spec.max_length


@dataclass(frozen=True, slots=True)
class Fieldset:
    """A titled group of inputs."""

    legend: str
    group: str
    fields: tuple[FormField, ...]


def oauth_fields(specs: Iterable[SettingSpec] = SETTINGS) -> tuple[FormField, ...]:
    """The OAuth Settings form: the ``oauth`` group under the settings' own names."""
    return tuple(FormField(s.name, s) for s in specs if s.group == OAUTH_GROUP)


def sync_fieldsets(specs: Iterable[SettingSpec] = SETTINGS) -> tuple[Fieldset, ...]:
    """The Sync Settings form, fieldset by fieldset, each setting under its form name."""
    listed = sorted(specs, key=lambda s: SECTION_ORDER.index(s.section))
    return tuple(
        Fieldset(legend, group, tuple(FormField(s.form, s) for s in listed if s.group == group))
        for legend, group in SYNC_FIELDSETS
    )


def sync_fields(specs: Iterable[SettingSpec] = SETTINGS) -> tuple[FormField, ...]:
    """Every input of the Sync Settings form that is a setting."""
    return tuple(f for fieldset in sync_fieldsets(specs) for f in fieldset.fields)


def options(fields: Iterable[FormField]) -> dict[str, list[tuple[str, str]]]:
    """The lists' choices by input name (the template's ``options``)."""
    return {f.name: f.choices for f in fields if f.choices}


def choice_labels(fields: Iterable[FormField]) -> dict[str, list[str]]:
    """What an error names as the allowed choices of each list."""
    return {name: [label for _v, label in shown] for name, shown in options(fields).items()}


def labels(fields: Iterable[FormField]) -> dict[str, str]:
    """Input name → label (without its note), for errors in words."""
    return {f.name: f.spec.label for f in fields}


def setting_changes(fields: Iterable[FormField], values: Mapping[str, Any]) -> dict[str, Any]:
    """The posted values as setting changes (by key), text trimmed, URLs without a final "/".

    Secrets are left out (an empty one keeps the saved secret: the caller decides).
    """
    out: dict[str, Any] = {}
    for f in fields:
        if f.spec.secret or f.name not in values:
            continue
        value = values[f.name]
        if isinstance(value, str):
            value = value.strip().rstrip("/") if f.kind == "url" else value.strip()
        out[f.spec.key] = value
    return out


def secret_changes(fields: Iterable[FormField], values: Mapping[str, Any]) -> dict[str, str]:
    """The secrets typed in (by key); an empty input keeps the saved one."""
    return {f.spec.key: str(values[f.name]) for f in fields if f.spec.secret and values.get(f.name)}
