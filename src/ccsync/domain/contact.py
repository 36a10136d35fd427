"""The canonical contact: one ``dict[str, str]`` keyed by the Vtiger API name of each mapping row.

Both sides are mapped into this form before anything is compared, so "did it change?" and
"are the two sides equal?" are plain dictionary questions. Values are stripped strings and
``""`` means empty. The Constant Contact permission travels *beside* the canonical form as a
``Consent`` and is never merged as a field: consent follows its own rules (sync rules C1–C5).

Example::

    crm = {"firstname": "Zoë", "lastname": "O'Brien", "email": "zoe@example.com"}
    consent = Consent("explicit", None)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Canonical = dict[str, str]

# The top-level scalar properties of a Constant Contact ``ContactResource`` (a PUT nulls the
# ones it is not sent; an import row carries them as columns).
CC_CORE_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "company_name",
    "birthday_month",
    "birthday_day",
    "anniversary",
)

EMAIL = "email"
LASTNAME = "lastname"
FIRSTNAME = "firstname"
EMAILOPTOUT = "emailoptout"

UNSUBSCRIBED = "unsubscribed"
SUBSCRIBED_STATES = frozenset({"implicit", "explicit"})
PERMISSIONS = frozenset(
    {"explicit", "implicit", "not_set", "pending_confirmation", "temp_hold", UNSUBSCRIBED}
)


@dataclass(frozen=True, slots=True)
class Consent:
    """A Constant Contact contact's email permission.

    Attributes:
        permission: ``permission_to_send`` (explicit, implicit, unsubscribed, …).
        opt_out_source: ``Contact`` or ``Account`` when unsubscribed, else None.
    """

    permission: str
    opt_out_source: str | None = None

    @property
    def unsubscribed(self) -> bool:
        """True when Constant Contact may not email this contact."""
        return self.permission == UNSUBSCRIBED


def value(contact: Mapping[str, str], field: str) -> str:
    """The canonical value of ``field`` (``""`` when absent)."""
    return contact.get(field, "")


def changed_fields(
    old: Mapping[str, str], new: Mapping[str, str], fields: Iterable[str]
) -> list[str]:
    """The fields among ``fields`` whose value differs between ``old`` and ``new``."""
    return [f for f in fields if old.get(f, "") != new.get(f, "")]


def display_name(contact: Mapping[str, str]) -> str:
    """A human name for logs: "First Last", else the email, else ``""``."""
    name = f"{contact.get(FIRSTNAME, '')} {contact.get(LASTNAME, '')}".strip()
    return name or contact.get(EMAIL, "")


def fingerprint(contact: Mapping[str, str], consent: Consent | None = None) -> str:
    """A stable digest of a canonical form (and consent), e.g. to count a skip once per change.

    Python's ``hash`` is salted per process, so a persisted fingerprint needs a real digest.
    """
    # One update of the joined text: the same digest as one update per field, far cheaper.
    text = "".join([f"{key}\x1f{contact[key]}\x1e" for key in sorted(contact)])
    if consent is not None:
        text += f"\x1d{consent.permission}\x1f{consent.opt_out_source}"
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
