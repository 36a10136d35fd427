"""``GET /v3/contacts``: filters, result order and opaque offset cursors.

The cursor is base64 of the original query plus ``next=<offset>``, the shape the samples in
the brief decode to (``limit=1&next=2``). Because it is an offset, records that leave or enter
the filtered set while a client pages shift the pages, as they would on a real offset cursor.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ccsync.emulators.constantcontact.config import EmulatorConfig
from ccsync.emulators.constantcontact.state import Record, stamp
from ccsync.emulators.constantcontact.validation import is_uuid

STATUSES = ("all", "active", "deleted", "not_set", "pending_confirmation", "temp_hold")
STATUSES_ALL = (*STATUSES, "unsubscribed")
INCLUDES = ("custom_fields", "list_memberships", "phone_numbers", "street_addresses")
INCLUDES_ALL = (*INCLUDES, "taggings", "notes")
RANGES = {
    "updated_after": ("updated_at", ">"),
    "updated_before": ("updated_at", "<"),
    "created_after": ("created_at", ">"),
    "created_before": ("created_at", "<"),
    "optout_after": ("opt_out_date", ">"),
    "optout_before": ("opt_out_date", "<"),
}
KNOWN = {"status", "email", "lists", "include", "include_count", "limit", "sms_status", "tags"}


def _hash_order(contact: Record) -> tuple[str, str]:
    contact_id = str(contact["contact_id"])
    return (hashlib.blake2b(contact_id.encode(), digest_size=8).hexdigest(), contact_id)


class QueryError(ValueError):
    """A bad query parameter (becomes a 400)."""


def decode_cursor(cursor: str) -> tuple[dict[str, str], int]:
    """The query and offset inside a cursor.

    Raises:
        QueryError: the cursor is not one this emulator issued.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        params = dict(parse_qsl(base64.urlsafe_b64decode(padded).decode(), strict_parsing=True))
        offset = int(params.pop("next"))
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError) as exc:
        raise QueryError("cursor is not valid") from exc
    if offset < 0:
        raise QueryError("cursor is not valid")
    return params, offset


def encode_cursor(params: dict[str, str], offset: int) -> str:
    """An opaque cursor for ``params`` at ``offset``."""
    raw = urlencode({**params, "next": str(offset)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_time(name: str, value: str) -> str:
    """An ISO-8601 query value as a stored timestamp (naive values are UTC)."""
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise QueryError(f"{name} is not a valid ISO-8601 date-time") from exc
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return stamp(instant.timestamp())


def csv_values(name: str, raw: str | None, allowed: Iterable[str]) -> list[str]:
    """A comma-separated enum parameter."""
    if raw is None:
        return []
    values = [v.strip() for v in raw.split(",") if v.strip()]
    allowed_set = set(allowed)
    for value in values:
        if value not in allowed_set:
            raise QueryError(f"{name} does not have a valid value")
    return values


def parse_limit(raw: str | None, default: int = 50, maximum: int = 500) -> int:
    """``limit`` between 1 and ``maximum``."""
    if raw is None:
        return default
    try:
        limit = int(raw)
    except ValueError as exc:
        raise QueryError("limit must be an integer") from exc
    if not 1 <= limit <= maximum:
        raise QueryError(f"limit must be between 1 and {maximum}")
    return limit


def parse_bool(name: str, raw: str | None) -> bool:
    """A ``true``/``false`` query parameter."""
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise QueryError(f"{name} must be true or false")
    return raw.lower() == "true"


class ContactQuery:
    """A parsed ``GET /v3/contacts`` request."""

    def __init__(self, params: dict[str, str], config: EmulatorConfig) -> None:
        self.params = {k: v for k, v in params.items() if k in KNOWN or k in RANGES}
        self.config = config
        self.statuses = set(csv_values("status", params.get("status"), STATUSES_ALL))
        self.include = set(csv_values("include", params.get("include"), INCLUDES_ALL))
        csv_values("sms_status", params.get("sms_status"), ("all", "explicit", "unsubscribed"))
        self.email = (params.get("email") or "").strip().lower() or None
        self.lists = set(v for v in (params.get("lists") or "").split(",") if v)
        if len(self.lists) > 25 or not all(is_uuid(v) for v in self.lists):
            raise QueryError("lists must be at most 25 list ids")
        self.limit = parse_limit(params.get("limit"))
        self.include_count = parse_bool("include_count", params.get("include_count"))
        self.ranges = [
            (RANGES[name][0], RANGES[name][1], parse_time(name, params[name]))
            for name in RANGES
            if params.get(name)
        ]

    def matches(self, contact: Record) -> bool:
        """Whether ``contact`` passes every filter."""
        email = contact["email_address"]
        if self.email and email["address"].lower() != self.email:
            return False
        if not self._status_ok(contact):
            return False
        if self.lists and not self.lists.intersection(contact["list_memberships"]):
            return False
        return all(self._range_ok(contact, *r) for r in self.ranges)

    def _status_ok(self, contact: Record) -> bool:
        deleted = bool(contact.get("deleted_at"))
        permission = contact["email_address"].get("permission_to_send")
        if not self.statuses:
            if deleted:
                return bool(self.email and self.config.email_filter_deleted)
            return self.config.default_status != "active" or permission != "unsubscribed"
        if "all" in self.statuses:
            return True
        if deleted:
            return "deleted" in self.statuses
        if "active" in self.statuses and permission != "unsubscribed":
            return True
        return permission in self.statuses

    def _range_ok(self, contact: Record, key: str, op: str, bound: str) -> bool:
        source = contact["email_address"] if key == "opt_out_date" else contact
        value = source.get(key)
        if value is None:
            return False
        if op == "<":
            return bool(value < bound)
        if key == "updated_at" and self.config.updated_after == "inclusive":
            return bool(value >= bound)
        return bool(value > bound)

    def sort_key(self) -> Callable[[Record], Any]:
        """The configured result order (``random`` is a stable hash order)."""
        if self.config.order == "updated":
            return itemgetter("updated_at", "contact_id")
        if self.config.order == "random":
            return _hash_order
        return itemgetter("created_at", "contact_id")

    def _unfiltered(self) -> bool:
        return not (self.email or self.lists or self.ranges) and "all" in self.statuses

    def cache_key(self) -> tuple[Any, ...]:
        """Everything the sorted result depends on besides the state itself."""
        config = self.config
        settings = (config.order, config.updated_after, config.default_status)
        return (tuple(sorted(self.params.items())), settings, config.email_filter_deleted)

    def matching(self, contacts: Iterable[Record]) -> list[Record]:
        """Every matching contact in the configured order."""
        chosen = contacts if self._unfiltered() else (c for c in contacts if self.matches(c))
        return sorted(chosen, key=self.sort_key())

    def page(self, matching: list[Record], offset: int) -> tuple[list[Record], int, bool]:
        """One page of ``matching``: the records, the total, and whether more follow."""
        chunk = matching[offset : offset + self.limit]
        return chunk, len(matching), offset + self.limit < len(matching)
