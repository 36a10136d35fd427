"""Declarative mapping rows and the default table (sync rule M1).

A row links one Vtiger field (its API name, which is also the canonical key) to one place in a
Constant Contact ``ContactResource``. ``kind`` says how the CC side is addressed:

* ``core``: a top-level property (``first_name``); ``cc_key`` is its name.
* ``email``: ``email_address.address``.
* ``phone``: ``phone_numbers[kind=cc_key].phone_number``.
* ``address``: ``street_addresses[kind=cc_key].<part>``.
* ``birthday``: ``birthday_month``/``birthday_day`` ⇄ canonical ``MM-DD``.
* ``consent``: ``emailoptout`` ⇄ ``permission_to_send``; handled by the consent rules only.
* ``custom``: ``custom_fields[custom_field_id=cc_key].value``; ``cc_name`` names it for imports.

Example::

    mapping = default_mapping(office_phone_as_work=True, custom=[CustomField("cf_7", id, "tier")])
    mapping.fields          # ("firstname", "lastname", "email", ...)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ccsync.domain.choices import Direction
from ccsync.domain.contact import EMAIL, EMAILOPTOUT
from ccsync.domain.normalize import phones_equal

RowKind = Literal["core", "email", "phone", "address", "birthday", "consent", "custom"]

ADDRESS_PARTS = ("street", "city", "state", "postal_code", "country")
# Vtiger's address columns by CC address part, for the two mapped address kinds.
_ADDRESS_FIELDS = {
    "mailing": ("mailingstreet", "mailingcity", "mailingstate", "mailingzip", "mailingcountry"),
    "other": ("otherstreet", "othercity", "otherstate", "otherzip", "othercountry"),
}


@dataclass(frozen=True, slots=True)
class MappingRow:
    """One field of the mapping.

    Attributes:
        crm_field: the Vtiger API name; also the canonical key.
        cc_path: where the value lives in Constant Contact (for people: shown in the mapping view).
        direction: ``both``, ``crm_to_cc`` or ``cc_to_crm``.
        kind: how the CC side is addressed (see the module docstring).
        cc_key: property name, phone/address kind, or custom field id, per ``kind``.
        part: the address part (``street``, ``city``, ``state``, ``postal_code``, ``country``).
        transform: ``text``, ``phone`` (compared as E.164), ``birthday`` or ``optout``.
        extended: True for rows beyond Vtiger's own table (switchable).
        cc_name: a CC custom field's name (JSON import key ``cf:<name>``).
    """

    crm_field: str
    cc_path: str
    direction: Direction = "both"
    kind: RowKind = "core"
    cc_key: str = ""
    part: str = ""
    transform: str = "text"
    extended: bool = False
    cc_name: str = ""

    @property
    def to_cc(self) -> bool:
        """True when CRM values flow into Constant Contact."""
        return self.direction != "cc_to_crm"

    @property
    def to_crm(self) -> bool:
        """True when Constant Contact values flow into Vtiger."""
        return self.direction != "crm_to_cc"


@dataclass(frozen=True, slots=True)
class CustomField:
    """A custom field mapped on both sides: Vtiger ``cf_*`` ⇄ CC custom field (id + name)."""

    crm_field: str
    cc_id: str
    cc_name: str
    direction: Direction = "both"


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """An ordered set of rows plus the lookups the planner needs on every pair.

    Attributes:
        rows: the rows, in display order.
        fields: canonical keys of every row except consent (the merged fields).
        to_cc_fields / to_crm_fields: merged fields allowed to flow into CC / into Vtiger.
        phone_fields: fields compared as phone numbers.
        has_consent: True when ``emailoptout`` ⇄ ``permission_to_send`` is mapped.
    """

    rows: tuple[MappingRow, ...]
    fields: tuple[str, ...] = field(init=False)
    to_cc_fields: frozenset[str] = field(init=False)
    to_crm_fields: frozenset[str] = field(init=False)
    phone_fields: frozenset[str] = field(init=False)
    has_consent: bool = field(init=False)
    by_field: dict[str, MappingRow] = field(init=False, compare=False, repr=False)
    order: dict[str, int] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        merged = [r for r in self.rows if r.kind != "consent"]
        object.__setattr__(self, "fields", tuple(r.crm_field for r in merged))
        object.__setattr__(self, "to_cc_fields", frozenset(r.crm_field for r in merged if r.to_cc))
        to_crm = frozenset(r.crm_field for r in merged if r.to_crm)
        object.__setattr__(self, "to_crm_fields", to_crm)
        phones = frozenset(r.crm_field for r in merged if r.transform == "phone")
        object.__setattr__(self, "phone_fields", phones)
        object.__setattr__(self, "has_consent", any(r.kind == "consent" for r in self.rows))
        object.__setattr__(self, "by_field", {r.crm_field: r for r in self.rows})
        object.__setattr__(self, "order", {name: i for i, name in enumerate(self.fields)})

    def rows_of(self, kind: RowKind) -> list[MappingRow]:
        """The rows of one kind, in order."""
        return [r for r in self.rows if r.kind == kind]

    def row(self, crm_field: str) -> MappingRow | None:
        """The row whose canonical key is ``crm_field``."""
        return self.by_field.get(crm_field)

    def equal(self, crm_field: str, left: str, right: str) -> bool:
        """True when two canonical values of ``crm_field`` are the same value."""
        if left == right:
            return True
        return crm_field in self.phone_fields and phones_equal(left, right)


def _core(
    crm: str, cc: str, *, direction: Direction = "both", extended: bool = False
) -> MappingRow:
    return MappingRow(crm, cc, direction, "core", cc_key=cc, extended=extended)


def _phone(crm: str, kind: str, *, extended: bool) -> MappingRow:
    return MappingRow(
        crm, f"phone_numbers[kind={kind}]", "both", "phone", kind, "", "phone", extended
    )


def _address_rows(prefix: str, kind: str, *, extended: bool) -> list[MappingRow]:
    return [
        MappingRow(
            crm,
            f"street_addresses[kind={kind}].{part}",
            "both",
            "address",
            kind,
            part,
            extended=extended,
        )
        for crm, part in zip(_ADDRESS_FIELDS[prefix], ADDRESS_PARTS, strict=True)
    ]


def _phone_rows(office_phone_as_work: bool, extended: bool) -> list[MappingRow]:
    office_kind = "work" if office_phone_as_work else "home"
    rows = [_phone("phone", office_kind, extended=False)]
    if extended:
        home_kind = "home" if office_phone_as_work else "other"
        rows += [
            _phone("mobile", "mobile", extended=True),
            _phone("homephone", home_kind, extended=True),
        ]
    return rows


def _extended_rows() -> list[MappingRow]:
    return [
        _core("title", "job_title", extended=True),
        _core("account_id", "company_name", extended=True),
        *_address_rows("other", "other", extended=True),
        MappingRow(
            "birthday",
            "birthday_month/birthday_day",
            "crm_to_cc",
            "birthday",
            transform="birthday",
            extended=True,
        ),
    ]


# Consent is never switched off with the extended rows: without Email Opt Out the planner could
# not keep sync rules C1–C7 (sync rule C8, "consent-safe by construction").
CONSENT_ROW = MappingRow(
    EMAILOPTOUT, "email_address.permission_to_send", "both", "consent", transform="optout"
)


def custom_rows(custom: Iterable[CustomField]) -> list[MappingRow]:
    """Rows for custom fields mapped on both sides."""
    return [
        MappingRow(
            c.crm_field,
            f"custom_fields[{c.cc_name}]",
            c.direction,
            "custom",
            c.cc_id,
            cc_name=c.cc_name,
        )
        for c in custom
    ]


def default_mapping(
    extended: bool = True,
    office_phone_as_work: bool = False,
    custom: Sequence[CustomField] = (),
) -> FieldMapping:
    """The default mapping (sync rule M1).

    Args:
        extended: include the extended rows (title, company, mobile, home phone, other address,
            birthday); False gives Vtiger's own table. Email Opt Out ⇄ permission is always
            mapped, because the consent rules depend on it.
        office_phone_as_work: map ``phone`` ⇄ kind=work and ``homephone`` ⇄ kind=home.
        custom: custom fields mapped on both sides (Vtiger ``cf_*`` ⇄ CC custom field).

    Returns:
        The mapping, rows in display order.
    """
    rows = [
        _core("firstname", "first_name"),
        _core("lastname", "last_name"),
        MappingRow(EMAIL, "email_address.address", "both", "email"),
        *_phone_rows(office_phone_as_work, extended),
        *_address_rows("mailing", "home", extended=False),
    ]
    if extended:
        rows += _extended_rows()
    rows += [CONSENT_ROW, *custom_rows(custom)]
    return FieldMapping(tuple(rows))
