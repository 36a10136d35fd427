"""Deterministic, realistic seed data: organisations and contacts with the usual mess.

Unicode and HTML characters, empty fields, duplicate e-mails, contacts without e-mail, ~5 %
e-mail opt-outs, most contacts owned by the main user; accounts and contacts interleave in the
shared crmid sequence, so Contacts ids are not contiguous.
"""

from __future__ import annotations

import random
from datetime import timedelta

from ccsync.emulators.vtiger.records import clean, label_of
from ccsync.emulators.vtiger.state import TIME_FORMAT, Record, Store, User

FIRST = ["Zoë", "José", "Ana", "Liam", "Olivia", "Noah", "Émile", "Søren", "Mei", "Ngozi", "Ólafur"]
FIRST += [
    "Chloé",
    "Jürgen",
    "Aisha",
    "Kenji",
    "Priya",
    "Marco",
    "Fatima",
    "Björn",
    "",
    "Anne-Marie",
]
LAST = ["O'Brien", "Müller", "Núñez", "Smith", "García", "Nguyen", "Dubois", "Kowalski", "李"]
LAST += ["Østergaard", "Johnson & Sons", "Brown", "Rossi", "O'Hara", "Schröder", "Tanaka", "Lee"]
COMPANIES = [
    "Acme Corp",
    "Müller & Söhne GmbH",
    "O'Brien <Holdings>",
    "日本商事株式会社",
    "Café Noir",
]
COMPANIES += [
    "Smith & Wesson Ltd",
    "Nordic Fjord AS",
    "Société Générale d'Essai",
    "Globex",
    "Initech",
]
CITIES = [("Springfield", "IL", "62701", "USA"), ("München", "BY", "80331", "Germany")]
CITIES += [("Paris", "", "75001", "France"), ("東京", "", "100-0001", "Japan"), ("", "", "", "")]
TITLES = ["CTO", "Sales Manager", "Head of R&D", "", "", "Buyer", "Director <EMEA>"]
DOMAINS = ["example.com", "example.org", "example.net"]


def populate(store: Store, contacts: int, seed: int, main_user: str) -> None:
    """Add ``contacts`` seeded Contacts (and about one organisation per 8) to an empty store."""
    if contacts <= 0:
        return
    rng = random.Random(seed)
    owners = _owners(store, main_user)
    start = store.clock.now().astimezone(store.zone) - timedelta(days=30)
    step = timedelta(days=30) / max(contacts, 1)
    accounts: list[Record] = []
    emails: list[str] = []
    for index in range(contacts):
        created = (start + step * index).strftime(TIME_FORMAT)
        if index % 8 == 0:
            accounts.append(_account(store, rng, owners[0], created, len(accounts)))
        _contact(store, rng, owners, created, accounts, emails)
    for index_list in store.by_mtime.values():
        index_list.sort()


def _owners(store: Store, main_user: str) -> list[User]:
    main = store.users[main_user]
    return [main, *(u for u in store.users.values() if u.name != main_user)]


def _add(store: Store, module: str, values: dict[str, str]) -> Record:
    """Insert without keeping the time index sorted (sorted once at the end)."""
    record = Record(store.next_crmid, module, values)
    store.next_crmid += 1
    store.records[record.crmid] = record
    store.ids[module].append(record.crmid)
    store.by_mtime[module].append((values["modifiedtime"], record.crmid))
    return record


def _base(store: Store, module: str, owner: User, created: str) -> dict[str, str]:
    schema = store.schemas[module]
    values = {n: ("0" if t == "boolean" else "") for n, t in schema.types().items() if n != "id"}
    values.update(createdtime=created, modifiedtime=created, modifiedby=owner.ws_id, source="CRM")
    values["assigned_user_id"] = owner.ws_id
    return values


def _account(store: Store, rng: random.Random, owner: User, created: str, n: int) -> Record:
    values = _base(store, "Accounts", owner, created)
    name = COMPANIES[n % len(COMPANIES)] + ("" if n < len(COMPANIES) else f" {n}")
    values.update(accountname=name, employees=str(rng.randint(0, 500)))
    values.update(annual_revenue="0.00000000", account_no=store.next_number("Accounts"))
    values["phone"] = f"+1 555 02{rng.randint(10, 99)}"
    return _add(store, "Accounts", values)


def _contact(
    store: Store,
    rng: random.Random,
    owners: list[User],
    created: str,
    accounts: list[Record],
    emails: list[str],
) -> Record:
    owner = owners[0] if len(owners) == 1 or rng.random() < 0.85 else rng.choice(owners[1:])
    values = _base(store, "Contacts", owner, created)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    values.update(firstname=first, lastname=last, contact_no=store.next_number("Contacts"))
    values["email"] = _email(rng, first, last, emails)
    values["phone"] = f"+1 555 01{rng.randint(0, 99):02d}" if rng.random() < 0.7 else ""
    values["mobile"] = f"+44 7700 900{rng.randint(100, 999)}" if rng.random() < 0.4 else ""
    values["title"] = rng.choice(TITLES)
    values["emailoptout"] = "1" if rng.random() < 0.05 else "0"
    city, state, zip_code, country = rng.choice(CITIES)
    values.update(mailingcity=city, mailingstate=state, mailingzip=zip_code)
    values.update(
        mailingcountry=country, mailingstreet=f"{rng.randint(1, 200)} Main St" if city else ""
    )
    if accounts and rng.random() < 0.7:
        values["account_id"] = store.ws_id(rng.choice(accounts))
    if rng.random() < 0.3:
        values["birthday"] = (
            f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        )
    if rng.random() < 0.1:
        values["description"] = "Met at the fair & asked for <b>pricing</b> — follow up ✓"
    schema = store.schemas["Contacts"]
    values = {
        k: clean(schema, k, v) if k in ("firstname", "lastname") else v for k, v in values.items()
    }
    record = _add(store, "Contacts", values)
    label_of(record)  # a seeded value that breaks label rendering should fail here, not later
    return record


def _email(rng: random.Random, first: str, last: str, emails: list[str]) -> str:
    roll = rng.random()
    if roll < 0.08:
        return ""
    if roll < 0.11 and emails:
        return rng.choice(emails)  # duplicates by e-mail exist in every real CRM
    local = "".join(
        c for c in f"{first}.{last}".lower() if c.isascii() and (c.isalnum() or c == ".")
    )
    email = f"{local.strip('.') or 'contact'}{len(emails)}@{rng.choice(DOMAINS)}"
    emails.append(email)
    return email
