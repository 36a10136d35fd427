"""The emulator's whole state: accounts with their contacts, lists, custom fields, activities,
plus the OAuth records. Plain JSON-able dicts, so the state file is a dump of this object.

Every request handler takes ``EmulatorState.lock`` for the whole of its work; the state is
small enough that one lock is both simple and fast (a 40,000-row import holds it for well
under a second).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ccsync.emulators.clock import Clock
from ccsync.emulators.constantcontact.config import EmulatorConfig

Record = dict[str, Any]


def stamp(instant: float) -> str:
    """An instant as CC writes it: ISO-8601 UTC with milliseconds (``…T13:48:44.108Z``).

    All stored timestamps use this one fixed-width form, so they compare correctly as strings.
    """
    moment = datetime.fromtimestamp(instant, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def new_id() -> str:
    """A fresh resource id (a random version-4 uuid).

    Built from ``os.urandom`` directly: ``str(uuid.uuid4())`` costs a third of a 40,000-row
    import.
    """
    h = os.urandom(16).hex()
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


@dataclass
class Account:
    """One Constant Contact account (a customer) hosted by the emulator."""

    number: int
    account_id: str
    login: str
    password: str
    contacts: dict[str, Record] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    lists: dict[str, Record] = field(default_factory=dict)
    custom_fields: dict[str, Record] = field(default_factory=dict)
    activities: dict[str, Record] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    resubscribe_sent: dict[str, list[str]] = field(default_factory=dict)

    def contact_by_email(self, address: str) -> Record | None:
        """The contact (deleted and unsubscribed ones included) owning ``address``."""
        contact_id = self.emails.get(address.strip().lower())
        return self.contacts.get(contact_id) if contact_id else None

    def index_email(self, contact: Record, old_address: str | None = None) -> None:
        """Keep the lower-cased email index in step with a contact's address."""
        if old_address:
            self.emails.pop(old_address.lower(), None)
        address = contact["email_address"]["address"]
        self.emails[address.lower()] = contact["contact_id"]

    def live_lists(self) -> set[str]:
        """Ids of the lists that are not deleted."""
        return {list_id for list_id, record in self.lists.items() if not record.get("deleted_at")}

    def custom_field_by_name(self, name: str) -> Record | None:
        """The custom field whose ``name`` is ``name`` (case-insensitive)."""
        wanted = name.lower()
        for cf in self.custom_fields.values():
            if str(cf["name"]).lower() == wanted:
                return cf
        return None

    def to_json(self) -> dict[str, Any]:
        """A JSON-able copy (the email index is rebuilt on load)."""
        data = dict(self.__dict__)
        data.pop("emails")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Account:
        """Rebuild an account saved by ``to_json``."""
        account = cls(**{k: v for k, v in data.items() if k != "emails"})
        for contact in account.contacts.values():
            account.index_email(contact)
        return account


def _empty_oauth() -> dict[str, dict[str, Record]]:
    return {"codes": {}, "grants": {}, "access": {}, "refresh": {}, "pending": {}}


class EmulatorState:
    """Accounts, OAuth records, the clock and the config, guarded by one lock."""

    def __init__(self, config: EmulatorConfig, clock: Clock, state_file: Path | None) -> None:
        self.config = config
        self.clock = clock
        self.state_file = state_file
        self.lock = threading.RLock()
        self.accounts: dict[int, Account] = {}
        self.oauth: dict[str, dict[str, Record]] = _empty_oauth()
        self.version = 0
        self.changed_at = 0.0
        self._dirty = False
        self._cache: dict[Hashable, Any] = {}
        self._cache_version = -1

    @property
    def dirty(self) -> bool:
        """Whether the state changed since the last save."""
        return self._dirty

    @dirty.setter
    def dirty(self, value: bool) -> None:
        # Every mutation marks the state dirty, so this is also where cached answers expire.
        self._dirty = value
        if value:
            self.version += 1
            self.changed_at = time.monotonic()

    def cached(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """``build()`` memoised until the next mutation (e.g. a sorted contact query)."""
        if self._cache_version != self.version:
            self._cache.clear()
            self._cache_version = self.version
        if key not in self._cache:
            if len(self._cache) >= 64:
                self._cache.clear()
            self._cache[key] = build()
        return self._cache[key]

    def now(self) -> str:
        """The emulator clock as a stored timestamp."""
        return stamp(self.clock.time())

    def account(self, number: int) -> Account:
        """Account ``number`` (raises ``KeyError`` if there is none)."""
        return self.accounts[number]

    def add_account(self, number: int) -> Account:
        """Create account ``number`` with a predictable owner login."""
        account = Account(
            number=number,
            account_id=f"a{number:03d}" + uuid.uuid5(uuid.NAMESPACE_URL, f"cc{number}").hex[:9],
            login=f"owner{number}@example.com",
            password=f"emulator-pass-{number}",
        )
        self.accounts[number] = account
        return account

    def reset_accounts(self) -> None:
        """Empty every account (contacts, lists, fields, activities); OAuth stays valid."""
        for number, old in list(self.accounts.items()):
            self.accounts[number] = Account(number, old.account_id, old.login, old.password)
        self.dirty = True

    def to_json(self) -> dict[str, Any]:
        """Everything that survives a restart."""
        return {
            "accounts": {str(n): a.to_json() for n, a in self.accounts.items()},
            "oauth": self.oauth,
            "clock_offset": self.clock.time() - datetime.now(UTC).timestamp(),
        }

    def load(self) -> bool:
        """Load the state file if it exists; returns whether it did."""
        if self.state_file is None or not self.state_file.exists():
            return False
        data = json.loads(self.state_file.read_text(encoding="utf-8"))
        self.accounts = {int(n): Account.from_json(a) for n, a in data["accounts"].items()}
        self.oauth = {**_empty_oauth(), **data.get("oauth", {})}
        offset = float(data.get("clock_offset", 0.0))
        if abs(offset) > 1.0:
            self.clock.advance(offset)
        return True

    def save(self) -> None:
        """Write the state file atomically (write a sibling, then rename)."""
        if self.state_file is None:
            return
        with self.lock:
            payload = json.dumps(self.to_json(), separators=(",", ":"))
            self.dirty = False
        tmp = self.state_file.with_name(self.state_file.name + ".tmp")
        tmp.write_text(payload, encoding="utf-8")
        os.replace(tmp, self.state_file)


class Saver(threading.Thread):
    """Saves the state file once changes pause for ``quiet`` seconds, or every ``longest``.

    A save serialises everything under the lock (seconds for 40,000 contacts), so a busy
    emulator is not stalled by a save after every change.
    """

    def __init__(self, state: EmulatorState, quiet: float = 1.0, longest: float = 30.0) -> None:
        super().__init__(name="cc-emulator-saver", daemon=True)
        self.state = state
        self.quiet = quiet
        self.longest = longest
        self.stopped = threading.Event()

    def run(self) -> None:
        """Loop until ``stop``; the last save happens in ``stop``."""
        last_save = time.monotonic()
        while not self.stopped.wait(min(self.quiet, 0.5)):
            now = time.monotonic()
            idle = now - self.state.changed_at >= self.quiet
            if self.state.dirty and (idle or now - last_save >= self.longest):
                self.state.save()
                last_save = now

    def stop(self) -> None:
        """Stop the loop and save one last time."""
        self.stopped.set()
        self.state.save()
