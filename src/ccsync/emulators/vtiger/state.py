"""The emulator's data: users, records with indexes, layout, sessions (one lock guards it all)."""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from ccsync.emulators.clock import Clock
from ccsync.emulators.vtiger.schema import GROUPS_PREFIX, USERS_PREFIX, ModuleSchema

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
ACCOUNTS_PREFIX = "11"


@dataclass(slots=True)
class User:
    """A CRM user who can log in over the webservice."""

    name: str
    access_key: str
    is_admin: bool
    number: int
    first_name: str = ""
    last_name: str = ""

    @property
    def ws_id(self) -> str:
        """The user's webservice id (``19xN``)."""
        return f"{USERS_PREFIX}x{self.number}"

    @property
    def email(self) -> str:
        """The user's e-mail address."""
        return f"{self.name}@example.invalid"


@dataclass(slots=True)
class Record:
    """One CRM entity row: ``values`` holds every field but ``id`` and ``label``."""

    crmid: int
    module: str
    values: dict[str, str]
    deleted: bool = False

    @property
    def owner(self) -> int:
        """The crmid part of ``assigned_user_id`` (0 when unset)."""
        return crmid_of(self.values.get("assigned_user_id", ""))


@dataclass(slots=True)
class Session:
    """A webservice session and when it was last used (emulator clock seconds)."""

    user: str
    last_used: float


@dataclass(slots=True)
class Challenge:
    """The one live getchallenge token of a user."""

    token: str
    expires: float


@dataclass
class Counters:
    """Calls per operation since start or the last reset."""

    by_operation: dict[str, int] = field(default_factory=dict)

    def count(self, operation: str) -> None:
        """Count one call."""
        self.by_operation[operation] = self.by_operation.get(operation, 0) + 1

    def snapshot(self) -> dict[str, object]:
        """What ``GET /_emulator/counters`` answers."""
        return {"total": sum(self.by_operation.values()), "by_operation": dict(self.by_operation)}


def crmid_of(ws_id: str) -> int:
    """The numeric part after ``x`` of a webservice id, or 0."""
    _, sep, tail = ws_id.partition("x")
    return int(tail) if sep and tail.isdigit() else 0


class Store:
    """Every piece of mutable emulator state, guarded by ``lock``."""

    def __init__(self, clock: Clock, id_prefix: str = "12", timezone: str = "UTC") -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.zone = ZoneInfo(timezone)
        accounts_prefix = ACCOUNTS_PREFIX if id_prefix != ACCOUNTS_PREFIX else "3"
        self.schemas = {
            "Contacts": ModuleSchema("Contacts", id_prefix),
            "Accounts": ModuleSchema("Accounts", accounts_prefix),
        }
        self.users: dict[str, User] = {}
        self.records: dict[int, Record] = {}
        self.ids: dict[str, list[int]] = {m: [] for m in self.schemas}
        self.by_mtime: dict[str, list[tuple[str, int]]] = {m: [] for m in self.schemas}
        self.next_crmid = 2
        self.next_no = {m: 1 for m in self.schemas}
        self.next_field_id = 853
        self.duplicate_prevention = False
        self.sessions: dict[str, Session] = {}
        self.challenges: dict[str, Challenge] = {}
        self.counters = Counters()
        self.dirty = threading.Event()

    # users -------------------------------------------------------------------------------------

    def add_user(self, name: str, access_key: str, is_admin: bool) -> User:
        """Register a user (the first one gets number 1, later ones 5, 6, … like the lab)."""
        number = 1 if not self.users else max(4, *(u.number for u in self.users.values())) + 1
        first, last = ("Lab", "Administrator") if is_admin else (name.title(), "User")
        user = User(name, access_key, is_admin, number, first, last)
        self.users[name] = user
        return user

    def user_by_number(self, number: int) -> User | None:
        """The user with this id number, if any."""
        return next((u for u in self.users.values() if u.number == number), None)

    def owner_valid(self, ws_id: str) -> bool:
        """Whether ``ws_id`` names an existing user (groups are not emulated)."""
        prefix, _, _ = ws_id.partition("x")
        if prefix == GROUPS_PREFIX:
            return False
        return prefix == USERS_PREFIX and self.user_by_number(crmid_of(ws_id)) is not None

    # modules and ids ---------------------------------------------------------------------------

    def module_of_prefix(self, prefix: str) -> str | None:
        """The module whose webservice ids start with ``prefix``."""
        return next((m for m, s in self.schemas.items() if s.prefix == prefix), None)

    def ws_id(self, record: Record) -> str:
        """The webservice id of a record."""
        return f"{self.schemas[record.module].prefix}x{record.crmid}"

    def stamp(self) -> str:
        """The current server time as Vtiger writes it (1-second resolution, server zone)."""
        return self.clock.now().astimezone(self.zone).strftime(TIME_FORMAT)

    def epoch_of(self, stamp: str) -> int:
        """Epoch seconds of a stored ``modifiedtime``."""
        local = datetime.strptime(stamp, TIME_FORMAT).replace(tzinfo=self.zone)
        return int(local.timestamp())

    def stamp_of(self, epoch: float) -> str:
        """The stored form of an epoch instant (``date('Y-m-d H:i:s', t)``)."""
        return datetime.fromtimestamp(epoch, self.zone).strftime(TIME_FORMAT)

    # records -----------------------------------------------------------------------------------

    def insert(self, module: str, values: dict[str, str]) -> Record:
        """Store a new record under the next crmid (shared by all modules)."""
        record = Record(self.next_crmid, module, values)
        self.next_crmid += 1
        self.records[record.crmid] = record
        self.ids[module].append(record.crmid)
        bisect.insort(self.by_mtime[module], (values["modifiedtime"], record.crmid))
        self.dirty.set()
        return record

    def next_number(self, module: str) -> str:
        """The next ``contact_no`` / ``account_no``."""
        number = self.next_no[module]
        self.next_no[module] += 1
        return ("CON" if module == "Contacts" else "ACC") + str(number)

    def touch(self, record: Record, stamp: str, by: User) -> None:
        """Give a record a new ``modifiedtime`` and keep the time index sorted."""
        index = self.by_mtime[record.module]
        old = (record.values["modifiedtime"], record.crmid)
        pos = bisect.bisect_left(index, old)
        if pos < len(index) and index[pos] == old:
            del index[pos]
        record.values["modifiedtime"] = stamp
        record.values["modifiedby"] = by.ws_id
        bisect.insort(index, (stamp, record.crmid))
        self.dirty.set()

    def live(self, crmid: int, module: str | None = None) -> Record | None:
        """A record that exists and is not deleted."""
        record = self.records.get(crmid)
        if record is None or record.deleted or (module and record.module != module):
            return None
        return record

    def visible(self, record: Record, user: User) -> bool:
        """Contacts sharing is Private: non-admins see only the records they own."""
        return user.is_admin or record.values.get("assigned_user_id") == user.ws_id
