"""Runtime settings of the emulator, including every behaviour the brief lists as unknown.

A *profile* fills in all unknown behaviours at once; an explicit flag or a ``POST
/_emulator/config`` overrides single settings. ``docs/emulator-constant-contact.md`` explains
each default.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

PROFILES: dict[str, dict[str, Any]] = {
    "default": {
        "updated_after": "exclusive",
        "delete_bumps_updated": True,
        "optout_bumps_updated": True,
        "membership_bumps_updated": True,
        "order": "created",
        "put_without_permission": "keep",
        "phone_format": "keep",
        "default_status": "non_deleted",
        "email_filter_deleted": False,
        "redelete": 204,
        "oversize_import": "reject",
        "activity_rate": 2000.0,
        "activity_delay": 0.2,
    },
    "pessimistic": {
        "updated_after": "exclusive",
        "delete_bumps_updated": False,
        "optout_bumps_updated": False,
        "membership_bumps_updated": False,
        "order": "random",
        "put_without_permission": "reset",
        "phone_format": "reformat",
        "default_status": "active",
        "email_filter_deleted": False,
        "redelete": 404,
        "oversize_import": "truncate",
        "activity_rate": 500.0,
        "activity_delay": 1.0,
    },
    "optimistic": {
        "updated_after": "inclusive",
        "delete_bumps_updated": True,
        "optout_bumps_updated": True,
        "membership_bumps_updated": True,
        "order": "updated",
        "put_without_permission": "keep",
        "phone_format": "keep",
        "default_status": "non_deleted",
        "email_filter_deleted": True,
        "redelete": 204,
        "oversize_import": "reject",
        "activity_rate": 100000.0,
        "activity_delay": 0.0,
    },
}

_CHOICES: dict[str, tuple[object, ...]] = {
    "updated_after": ("inclusive", "exclusive"),
    "order": ("created", "updated", "random"),
    "put_without_permission": ("keep", "reset"),
    "phone_format": ("keep", "reformat"),
    "default_status": ("non_deleted", "active"),
    "redelete": (204, 404),
    "oversize_import": ("reject", "truncate"),
    "refresh_tokens": ("rotating", "long-lived"),
    "pkce": ("accepted", "rejected", "required"),
}
_BOOLS = (
    "delete_bumps_updated",
    "optout_bumps_updated",
    "membership_bumps_updated",
    "email_filter_deleted",
)
_FLOATS = ("rate_limit", "activity_rate", "activity_delay", "token_rate_limit")
_TRUE = {"yes", "true", "1", "on"}
_FALSE = {"no", "false", "0", "off"}


@dataclass(slots=True)
class EmulatorConfig:
    """Everything ``GET /_emulator/config`` shows; see the module docstring."""

    client_id: str = "ccsync-demo-client"
    client_secret: str = "ccsync-demo-secret"
    redirect_uris: list[str] = dataclasses.field(default_factory=list)
    refresh_tokens: str = "rotating"
    pkce: str = "accepted"
    auto_approve: bool = False
    rate_limit: float = 4.0
    daily_quota: int = 10000
    token_rate_limit: float = 1.0
    profile: str = "default"
    updated_after: str = "exclusive"
    delete_bumps_updated: bool = True
    optout_bumps_updated: bool = True
    membership_bumps_updated: bool = True
    order: str = "created"
    put_without_permission: str = "keep"
    phone_format: str = "keep"
    default_status: str = "non_deleted"
    email_filter_deleted: bool = False
    redelete: int = 204
    oversize_import: str = "reject"
    activity_rate: float = 2000.0
    activity_delay: float = 0.2

    def public(self) -> dict[str, Any]:
        """The settings as JSON, without the client secret."""
        data = dataclasses.asdict(self)
        data.pop("client_secret")
        return data

    def apply(self, changes: dict[str, Any]) -> None:
        """Apply runtime changes; a ``profile`` key is applied first, then single settings.

        Raises:
            ValueError: an unknown key or a value outside the allowed choices.
        """
        changes = dict(changes)
        profile = changes.pop("profile", None)
        if profile is not None:
            self.use_profile(str(profile))
        for key, value in changes.items():
            setattr(self, key, coerce(key, value))

    def use_profile(self, name: str) -> None:
        """Set every unknown behaviour from the named profile."""
        if name not in PROFILES:
            raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
        self.profile = name
        for key, value in PROFILES[name].items():
            setattr(self, key, value)


_SETTABLE = {f.name for f in dataclasses.fields(EmulatorConfig)} - {
    "client_id",
    "client_secret",
    "redirect_uris",
    "profile",
}


def coerce(key: str, value: Any) -> Any:
    """Check and convert one setting coming from the command line or a control request."""
    if key not in _SETTABLE:
        raise ValueError(f"unknown setting {key!r}")
    if key in _BOOLS:
        return _as_bool(key, value)
    if key in _FLOATS:
        return _non_negative(key, float(value))
    if key == "daily_quota":
        return int(_non_negative(key, float(value)))
    if key == "auto_approve":
        return _as_bool(key, value)
    if key == "redelete":
        value = int(value)
    if value not in _CHOICES[key]:
        allowed = ", ".join(str(c) for c in _CHOICES[key])
        raise ValueError(f"{key} must be one of {allowed}, not {value!r}")
    return value


def _as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{key} must be yes or no, not {value!r}")


def _non_negative(key: str, value: float) -> float:
    if value < 0:
        raise ValueError(f"{key} must not be negative")
    return value
