"""Drive a Constant Contact emulator subprocess and build connectors against it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2

from ccsync.connectors.constantcontact.client import RetryPolicy
from ccsync.connectors.constantcontact.connector import ConstantContactConnector
from ccsync.connectors.constantcontact.settings import CCSettings
from ccsync.connectors.constantcontact.tokens import FileTokenStore, TokenSet

try:  # the test tree is importable as ``tests`` or (rootdir-relative) as its sub-packages
    from tests.support.processes import Proc, start_ccsync
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from support.processes import Proc, start_ccsync  # type: ignore[no-redef]

CLIENT_ID = "ccsync-demo-client"
CLIENT_SECRET = "ccsync-demo-secret"
SCOPES = "contact_data offline_access"
FAST_RETRIES = RetryPolicy(attempts=4, max_delay=20, first_wait=0.05, max_wait=0.5)


@dataclass
class Emulator:
    """A running emulator plus its control API."""

    proc: Proc
    limiter: Path  # the application's shared limiter file (every connector of this client id)
    control: httpx2.Client = field(init=False)
    offset: float = 0.0  # seconds the emulator clock was advanced (mirrored by ``now``)

    def __post_init__(self) -> None:
        self.control = httpx2.Client(base_url=self.proc.base_url + "/_emulator", timeout=30)

    @property
    def base_url(self) -> str:
        return self.proc.base_url

    def post(self, path: str, body: Any = None) -> Any:
        response = self.control.post(path, json=body if body is not None else {})
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def grant(self, account: int = 1, scope: str = SCOPES) -> dict[str, Any]:
        return dict(self.post("/grant", {"account": account, "scope": scope}))

    def counters(self) -> dict[str, Any]:
        return dict(self.control.get("/counters").json())

    def endpoint_count(self, key: str) -> int:
        return int(self.counters().get("by_endpoint", {}).get(key, 0))

    def clear_counters(self) -> None:
        self.control.delete("/counters")

    def faults(self, rules: Sequence[dict[str, Any]], seed: int = 0) -> None:
        self.post("/faults", {"rules": list(rules), "seed": seed})

    def configure(self, **settings: Any) -> dict[str, Any]:
        return dict(self.post("/config", settings))

    def advance(self, seconds: float) -> None:
        self.post("/clock", {"advance": seconds})
        self.offset += seconds

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def owner_create(self, body: dict[str, Any], account: int = 1) -> dict[str, Any]:
        return dict(self.post(f"/accounts/{account}/contacts", body))

    def owner_edit(self, contact_id: str, body: dict[str, Any], account: int = 1) -> None:
        r = self.control.patch(f"/accounts/{account}/contacts/{contact_id}", json=body)
        assert r.status_code < 300, r.text

    def owner_delete(self, contact_id: str, account: int = 1) -> None:
        r = self.control.delete(f"/accounts/{account}/contacts/{contact_id}")
        assert r.status_code < 300, r.text

    def contact_unsubscribes(self, contact_id: str) -> None:
        self.post(f"/contacts/{contact_id}/unsubscribe", {})

    def all_contacts(self, account: int = 1) -> list[dict[str, Any]]:
        return list(self.control.get(f"/accounts/{account}/contacts").json())

    def stop(self) -> None:
        self.control.close()
        self.proc.stop()


def start_emulator(tmp_path: Path, *args: str, name: str = "cc") -> Emulator:
    """``ccsync emulate constant-contact`` with rate limits off unless ``args`` say otherwise."""
    argv = ["emulate", "constant-contact", *args]
    if "--rate-limit" not in args:
        argv += ["--rate-limit", "0"]
    return Emulator(start_ccsync(argv, tmp_path, name=name), tmp_path / f"{name}-limiter.sqlite")


def settings_for(emu: Emulator, **kw: Any) -> CCSettings:
    return CCSettings.for_base_url(emu.base_url, CLIENT_ID, CLIENT_SECRET, **kw)


def signed_in_store(emu: Emulator, path: Path, *, expired: bool = False) -> FileTokenStore:
    """A token store holding a fresh grant (``expired`` makes the local copy look stale)."""
    store = FileTokenStore(path)
    now = emu.now()
    tokens = TokenSet.from_response(emu.grant(), now)
    if expired:
        tokens = TokenSet(tokens.access_token, tokens.refresh_token, now - timedelta(1), SCOPES)
    current = store.load()
    assert store.swap(None if current is None else current.version, tokens) is not None
    return store


def connector_for(
    emu: Emulator, tmp_path: Path, *, store: FileTokenStore | None = None, **kw: Any
) -> ConstantContactConnector:
    """A connector on ``emu`` with a fresh sign-in, fast retries and a fast limiter."""
    settings = kw.pop("settings", None) or settings_for(emu)
    store = store or signed_in_store(emu, tmp_path / "tokens.json")
    kw.setdefault("rate", 200.0)
    kw.setdefault("retry_policy", FAST_RETRIES)
    kw.setdefault("limiter_path", emu.limiter)
    return ConstantContactConnector(settings, store, clock=emu.now, **kw)


def sample_contact(i: int, tag: str = "t") -> dict[str, Any]:
    """A realistic new contact (native CC fields), unique per ``i`` and ``tag``."""
    return {
        "email_address": {
            "address": f"{tag}.person{i}@example.com",
            "permission_to_send": "implicit",
        },
        "first_name": f"Ann{i}",
        "last_name": "Lindqvist",
        "job_title": "Buyer",
        "company_name": "Nordic Parts AB",
        "phone_numbers": [{"phone_number": f"+46 8 555 {i:04d}", "kind": "home"}],
        "street_addresses": [
            {"kind": "home", "street": f"Storgatan {i}", "city": "Uppsala",
             "postal_code": "75320", "country": "Sweden"}
        ],
    }  # fmt: skip


def import_row(i: int, tag: str = "imp") -> dict[str, Any]:
    """A realistic ``JsonImportContact`` row."""
    return {
        "email": f"{tag}.{i}@example.com",
        "first_name": f"Maria{i}",
        "last_name": "Gonzalez-Whitfield",
        "job_title": "Procurement Manager",
        "company_name": "Acme Industrial Supplies",
        "phone": f"+1 415 555 {i % 10000:04d}",
        "mobile_phone": f"+1 650 555 {(i * 7) % 10000:04d}",
        "street": f"{100 + i % 900} Market Street",
        "city": "San Francisco",
        "state": "CA",
        "zip": "94105",
        "country": "United States",
        "birthday_month": 1 + i % 12,
        "birthday_day": 1 + i % 28,
    }
