"""The emulator instance: settings, clock, state, faults, quotas, persistence."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ccsync.emulators.clock import Clock
from ccsync.emulators.faults import FaultInjector
from ccsync.emulators.vtiger import persist, seed
from ccsync.emulators.vtiger.quota import Quota
from ccsync.emulators.vtiger.state import Store, User

DEFAULT_ACCESS_KEY = "demoAccessKey0123"


@dataclass(frozen=True)
class UserSpec:
    """A user given on the command line (``NAME:ACCESSKEY:admin|user``)."""

    name: str
    access_key: str
    is_admin: bool

    @classmethod
    def parse(cls, text: str) -> UserSpec:
        """Parse ``NAME:ACCESSKEY:admin|user``."""
        parts = text.split(":")
        if len(parts) != 3 or parts[2] not in ("admin", "user") or not parts[0] or not parts[1]:
            raise ValueError(f"expected NAME:ACCESSKEY:admin|user, got {parts[0]!r}:…")
        return cls(parts[0], parts[1], parts[2] == "admin")


@dataclass
class Settings:
    """Everything the command line configures."""

    username: str = "admin"
    access_key: str = DEFAULT_ACCESS_KEY
    users: list[UserSpec] = field(default_factory=list)
    seed_contacts: int = 0
    seed: int = 0
    id_prefix: str = "12"
    timezone: str = "UTC"
    session_idle: float = 1440.0
    sync_operation: str = "broken"
    flavour: str = "webservice"
    state_file: Path | None = None
    quota_minute: int = 60
    quota_hour: int = 4000
    quota_day: int = 7200
    clock_start: datetime | None = None
    clock_frozen: bool = False

    def all_users(self) -> list[UserSpec]:
        """The main (admin) user first, then the extra ones."""
        return [UserSpec(self.username, self.access_key, True), *self.users]


class Emulator:
    """One running emulator."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock(settings.clock_start, settings.clock_frozen)
        self.injector = FaultInjector(settings.seed)
        self.quota = Quota(
            self.clock, settings.quota_minute, settings.quota_hour, settings.quota_day
        )
        self.store = self._load_or_seed()
        self._saver: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def lock(self) -> threading.RLock:
        """The one lock that guards the state."""
        return self.store.lock

    def main_user(self) -> User:
        """The user given by ``--username``."""
        return self.store.users[self.settings.username]

    def fresh_store(self, seed_contacts: int | None = None) -> Store:
        """A new store with the configured users and seeded data."""
        store = Store(self.clock, self.settings.id_prefix, self.settings.timezone)
        for spec in self.settings.all_users():
            store.add_user(spec.name, spec.access_key, spec.is_admin)
        count = self.settings.seed_contacts if seed_contacts is None else seed_contacts
        seed.populate(store, count, self.settings.seed, self.settings.username)
        return store

    def reset(self, seed_contacts: int | None = None) -> None:
        """Back to a freshly started emulator (clock, data, layout, sessions, counters, faults).

        The clock goes back first, so seeded records are dated relative to the emulator's start
        instant (``--clock``), never to the real date.
        """
        self.clock.restart()
        fresh = self.fresh_store(seed_contacts)
        with self.lock:
            self.store.__dict__.update({k: v for k, v in fresh.__dict__.items() if k != "lock"})
            self.store.dirty.set()
        self.injector.clear()
        self.quota.reset()

    def _load_or_seed(self) -> Store:
        path = self.settings.state_file
        if path is not None and path.exists():
            store = Store(self.clock, self.settings.id_prefix, self.settings.timezone)
            persist.load(store, path)
            for spec in self.settings.all_users():
                if spec.name not in store.users:
                    store.add_user(spec.name, spec.access_key, spec.is_admin)
            return store
        return self.fresh_store()

    def start_saver(self) -> None:
        """Write the state file shortly after every change (if one is configured)."""
        if self.settings.state_file is None:
            return
        self._saver = threading.Thread(target=self._save_loop, daemon=True, name="vtiger-save")
        self._saver.start()

    def _save_loop(self) -> None:
        while not self._stop.is_set():
            if self.store.dirty.wait(0.2):
                self.save()

    def save(self) -> None:
        """Write the state file now."""
        path = self.settings.state_file
        if path is None:
            return
        with self.lock:
            self.store.dirty.clear()
            data = persist.dump(self.store)
        persist.write(path, data)

    def stop(self) -> None:
        """Stop the saver and write a final copy."""
        self._stop.set()
        self.save()
