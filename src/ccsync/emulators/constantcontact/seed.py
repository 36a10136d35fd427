"""Realistic seeded accounts: lists, custom fields and contacts (deterministic per seed).

Names include non-ASCII letters; about 5 % of contacts are unsubscribed (half by the contact,
half by the account) and about 3 % are deleted, as in a real account that has been used.
"""

from __future__ import annotations

import random
import unicodedata
import uuid

from ccsync.emulators.constantcontact import contacts as ops
from ccsync.emulators.constantcontact.state import Account, EmulatorState, Record, stamp

FIRST = (
    "Anna", "Björn", "Chloé", "Dmitri", "Élodie", "Fatima", "Giulia", "Hiroshi", "Ingrid",
    "José", "Katarzyna", "Liam", "María", "Noah", "Oğuz", "Priya", "Quentin", "Renée",
    "Søren", "Tomás", "Ulla", "Václav", "Wei", "Xavier", "Yuki", "Zoë", "李", "Олег",
)  # fmt: skip
LAST = (
    "Andersson", "Bäcker", "Castillo", "Dubois", "Eriksen", "Fernández", "García", "Hoffmann",
    "Ivanova", "Jørgensen", "Kowalski", "López", "Müller", "Nakamura", "O'Brien", "Peña",
    "Quinn", "Rossi", "Schröder", "Tanaka", "Ueda", "Villeneuve", "Wójcik", "Xu", "Young",
    "Zimmermann", "王", "Смирнов",
)  # fmt: skip
COMPANIES = ("Acme GmbH", "Globex", "Initech", "Umbrella SA", "Stark & Co", "Société Générale")
TITLES = ("Manager", "Engineer", "Director", "Consultant", "Owner", "Analyst", "")
CITIES = (
    ("Springfield", "IL", "62701", "US"),
    ("München", "BY", "80331", "DE"),
    ("Montréal", "QC", "H2X 1Y4", "CA"),
    ("Austin", "TX", "73301", "US"),
    ("Zürich", "ZH", "8001", "CH"),
)
FIELDS = (("Customer ID", "string"), ("Membership", "string"), ("Renewal date", "date"))
LISTS = ("General Interest", "Newsletter", "Customers")
DAY = 86400.0


def seed_all(state: EmulatorState, per_account: int, seed: int) -> None:
    """Give every account its lists and custom fields, plus ``per_account`` contacts."""
    for account in state.accounts.values():
        rng = random.Random(seed * 1000 + account.number)
        now = state.clock.time()
        _lists_and_fields(account, rng, now)
        for i in range(per_account):
            contact = _contact(account, rng, i, now, state)
            account.contacts[contact["contact_id"]] = contact
            account.index_email(contact)
    state.dirty = True


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _lists_and_fields(account: Account, rng: random.Random, now: float) -> None:
    created = stamp(now - 400 * DAY)
    for name in LISTS:
        list_id = _uuid(rng)
        account.lists[list_id] = {
            "list_id": list_id,
            "name": name,
            "description": f"{name} (seeded)",
            "favorite": False,
            "created_at": created,
            "updated_at": created,
        }
    for label, kind in FIELDS:
        field_id = _uuid(rng)
        account.custom_fields[field_id] = {
            "custom_field_id": field_id,
            "label": label,
            "name": label.replace(" ", "_"),
            "type": kind,
            "version": 1,
            "created_at": created,
            "updated_at": created,
        }


def _contact(
    account: Account, rng: random.Random, i: int, now: float, state: EmulatorState
) -> Record:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    created_t = now - rng.uniform(1, 365) * DAY
    created = stamp(created_t)
    updated = stamp(min(now, created_t + rng.uniform(0, 30) * DAY))
    address = f"{_ascii(first)}.{_ascii(last)}.{account.number}x{i}@example.com".lower()
    permission = rng.choice(("explicit", "implicit", "implicit"))
    contact: Record = {"contact_id": _uuid(rng)}
    contact["email_address"] = ops.new_email(address, permission, "Account", created)
    contact.update(
        first_name=first,
        last_name=last,
        job_title=rng.choice(TITLES) or None,
        company_name=rng.choice(COMPANIES),
        birthday_month=None,
        birthday_day=None,
        anniversary=None,
        update_source="Account",
        create_source="Account",
        created_at=created,
        updated_at=updated,
        deleted_at=None,
        taggings=[],
        notes=[],
    )
    if rng.random() < 0.3:
        contact.update(birthday_month=rng.randint(1, 12), birthday_day=rng.randint(1, 28))
    _subresources(contact, account, rng, created, state)
    _lifecycle(contact, rng, updated)
    return contact


def _subresources(
    contact: Record, account: Account, rng: random.Random, at: str, state: EmulatorState
) -> None:
    kinds = rng.sample(("home", "work", "mobile"), rng.randint(0, 2))
    phones = [{"phone_number": _phone(rng), "kind": kind} for kind in kinds]
    contact["phone_numbers"] = ops.build_phones(phones, at, "Account", state.config)
    city, region, zip_code, country = rng.choice(CITIES)
    street = f"{rng.randint(1, 999)} {rng.choice(('Main St', 'Hauptstraße', 'Rue Ste-Catherine'))}"
    address = {"kind": "home", "street": street, "city": city, "state": region}
    address.update(postal_code=zip_code, country=country)
    contact["street_addresses"] = ops.build_addresses([address], at) if rng.random() < 0.7 else []
    field_ids = list(account.custom_fields)
    values = [f"C-{rng.randint(10000, 99999)}", rng.choice(("Gold", "Silver", "Bronze"))]
    contact["custom_fields"] = [
        {"custom_field_id": fid, "value": v} for fid, v in zip(field_ids, values, strict=False)
    ]
    lists = list(account.lists)
    contact["list_memberships"] = rng.sample(lists, rng.randint(1, len(lists)))


def _lifecycle(contact: Record, rng: random.Random, at: str) -> None:
    roll = rng.random()
    if roll < 0.05:
        source = "Contact" if roll < 0.025 else "Account"
        ops.unsubscribe(contact, source, "Seeded opt-out", at, bump=True)
    elif roll < 0.08:
        contact["deleted_at"] = at[:10]
        contact["list_memberships"] = []


def _phone(rng: random.Random) -> str:
    return f"{rng.randint(201, 989)}-555-{rng.randint(0, 9999):04d}"


def _ascii(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    cleaned = "".join(ch for ch in decomposed if ch.isascii() and ch.isalpha())
    return cleaned or "contact"
