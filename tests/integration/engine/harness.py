"""End-to-end sync harness: both emulators as real subprocesses, a fresh SQLite store per test.

``Emulators`` start once (per session) and are reset between tests through ``/_emulator/reset``;
``World`` holds one installation (data dir, database, one connector signed in through the CC
emulator's ``/_emulator/grant``) and the controls that act as people on both sides.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2

from ccsync.connectors.constantcontact.tokens import TokenSet
from ccsync.domain.normalize import email_key
from ccsync.engine.config import ConnectorConfig, load_config
from ccsync.engine.result import RunResult
from ccsync.engine.runner import execute_run, resolve_held
from ccsync.settings import AppSettings, get_settings
from ccsync.store import repos
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.store.tokens import DbTokenStore
from support.processes import Proc, start_ccsync

CLIENT_ID = "ccsync-test-client"
CLIENT_SECRET = "ccsync-test-secret-value"
VT_USER = "admin"
VT_KEY = "testAccessKey0123456"
REDIRECT = "http://127.0.0.1:18765/oauth/callback"
REMOTE_REDIRECT = "https://ccsync.example.com/oauth/callback"  # not loopback: pasted back


@dataclass
class Emulators:
    """Both emulator processes and an HTTP client for their controls."""

    cc: Proc
    vt: Proc
    http: httpx2.Client = field(default_factory=lambda: httpx2.Client(timeout=30))

    @classmethod
    def start(
        cls, tmp: Path, *, cc_args: tuple[str, ...] = (), vt_args: tuple[str, ...] = ()
    ) -> Emulators:
        """Start both emulators (rate limits and quotas off unless ``*_args`` say otherwise)."""
        cc = start_ccsync(
            [
                "emulate", "constant-contact", "--client-id", CLIENT_ID,
                "--client-secret", CLIENT_SECRET, "--redirect-uri", REDIRECT,
                "--redirect-uri", REMOTE_REDIRECT,
                "--auto-approve", "--rate-limit", "0", "--daily-quota", "0", *cc_args,
            ],
            tmp,
            name="cc",
        )  # fmt: skip
        try:
            vt = start_ccsync(
                ["emulate", "vtiger", "--username", VT_USER, "--access-key", VT_KEY, *vt_args],
                tmp,
                name="vt",
            )
        except Exception:
            cc.stop()
            raise
        return cls(cc, vt)

    def stop(self) -> None:
        """Stop both processes."""
        self.http.close()
        self.cc.stop()
        self.vt.stop()

    def reset(self) -> None:
        """Empty both emulators and clear faults and counters."""
        for proc in (self.cc, self.vt):
            self.post(proc, "/_emulator/reset", {})
            self.http.delete(proc.base_url + "/_emulator/faults").raise_for_status()
            self.http.delete(proc.base_url + "/_emulator/counters").raise_for_status()

    def post(self, proc: Proc, path: str, body: dict[str, Any]) -> Any:
        """POST a control request and return its JSON."""
        response = self.http.post(proc.base_url + path, json=body)
        response.raise_for_status()
        return response.json() if response.content else None


class World:
    """One ccsync installation synced against the emulators, with people's actions."""

    def __init__(
        self, emus: Emulators, data_dir: Path, database_url: str = "", *, existing: bool = False
    ) -> None:
        self.emus = emus
        overrides: dict[str, Any] = {"data_dir": data_dir}
        if database_url:
            overrides["database_url"] = database_url
            overrides["secret_keys"] = "uX8sC3gYQ2l3mJYx7fGb2vJk3s0m3xq9m0j3z5m0Z1s="
        self.settings: AppSettings = get_settings(**overrides)
        configure_encryption(self.settings.fernet_keys)
        self.engine = init_db(self.settings.database_url)
        self.sessions = session_factory(self.engine)
        self.connector_id = 1 if existing else self._add_connector()

    # -- set-up -------------------------------------------------------------------------------

    def config(self, **changes: Any) -> ConnectorConfig:
        """The connector's settings pointing at the emulators."""
        cc = self.emus.cc.base_url
        base = ConnectorConfig.from_keys(
            vtiger_url=self.emus.vt.base_url,
            vtiger_username=VT_USER,
            cc_client_id=CLIENT_ID,
            cc_auth_url=f"{cc}/oauth2/default/v1/authorize",
            cc_token_url=f"{cc}/oauth2/default/v1/token",
            cc_api_url=f"{cc}/v3",
            cc_redirect_uri=REDIRECT,
        )
        return base.updated(**changes)

    def _add_connector(self) -> int:
        with self.sessions.begin() as session:
            user = repos.create_user(session, "admin", "a-long-test-password", role="admin")
            # the client-side CC limiter runs far above the emulator's (disabled) limit here
            retry = {"attempts": 2, "first_wait": 0.01, "max_wait": 0.05, "max_delay": 1.0}
            settings = self.config(cc_rate=500, cc_retry=retry).stored()
            row = repos.create_connector(
                session, "main", user.id, settings,
                client_secret=CLIENT_SECRET, vtiger_access_key=VT_KEY, status="connected",
            )  # fmt: skip
        self.grant(row.id)
        return row.id

    def grant(self, connector_id: int) -> None:
        """Sign in through the CC emulator's grant control and store the tokens."""
        scope = {"scope": "contact_data offline_access"}
        raw = self.emus.post(self.emus.cc, "/_emulator/grant", scope)
        store = DbTokenStore(self.sessions, connector_id, self.settings.data_dir)
        current = store.load()
        new = TokenSet.from_response(raw, datetime.now(UTC))
        assert store.swap(None if current is None else current.version, new) is not None

    def set(self, **changes: Any) -> None:
        """Change connector settings."""
        with self.sessions.begin() as session:
            row = repos.get_connector(session, self.connector_id)
            assert row is not None
            config = load_config(row).updated(**changes)
            repos.update_connector_settings(
                session, self.connector_id, config.stored_patch(changes)
            )

    def close(self) -> None:
        """Release the database."""
        self.engine.dispose()

    # -- runs ---------

    def sync(self, **kw: Any) -> RunResult:
        """One run through the real entry point."""
        kw.setdefault("confirm", True)
        return execute_run(self.settings, self.connector_id, "test", **kw)

    def held(self, *, confirm: bool) -> RunResult:
        """Confirm or discard held actions."""
        return resolve_held(self.settings, self.connector_id, confirm=confirm)

    def until_quiet(self, limit: int = 6) -> RunResult:
        """Run until a run writes nothing (fails after ``limit`` runs)."""
        for _ in range(limit):
            result = self.sync()
            assert result.status in ("succeeded", "partial"), (result.status, result.error)
            if result.writes == 0:
                return result
        raise AssertionError(f"not quiet after {limit} runs: {result.counts}")

    def later(self, seconds: float = 2) -> None:
        """Move both emulators' clocks on: what people do next happens in a later second
        (Vtiger's times have whole seconds, and a same-second tie goes to a delete)."""
        for proc in (self.emus.vt, self.emus.cc):
            self.emus.post(proc, "/_emulator/clock", {"advance": seconds})

    # -- Vtiger as a CRM user ---------------------------------------------------------------------

    def crm_create(self, **fields: str) -> str:
        """A Vtiger user creates a contact; returns its webservice id."""
        fields.setdefault("lastname", "Doe")
        record = self.emus.post(self.emus.vt, "/_emulator/ui/contacts", {"fields": fields})
        return str(record["id"])

    def crm_edit(self, crm_id: str, **fields: str) -> None:
        """A Vtiger user edits a contact."""
        url = f"{self.emus.vt.base_url}/_emulator/ui/contacts/{crm_id}"
        self.emus.http.patch(url, json={"fields": fields}).raise_for_status()

    def crm_delete(self, crm_id: str) -> None:
        """A Vtiger user deletes a contact (Recycle Bin)."""
        url = f"{self.emus.vt.base_url}/_emulator/ui/contacts/{crm_id}"
        self.emus.http.request("DELETE", url, json={}).raise_for_status()

    def crm_all(self, *, deleted: bool = False) -> list[dict[str, Any]]:
        """Every Vtiger contact (live only unless ``deleted``)."""
        rows = self.emus.http.get(self.emus.vt.base_url + "/_emulator/contacts").json()
        return [r for r in rows if deleted or not r.get("deleted")]

    # -- Constant Contact as its owner and as the contact ----------------------------------------

    def cc_create(self, email: str, **body: Any) -> str:
        """The account owner adds a contact in the CC web app; returns its id."""
        payload = {"email_address": {"address": email}, **body}
        record = self.emus.post(self.emus.cc, "/_emulator/accounts/1/contacts", payload)
        return str(record["contact_id"])

    def cc_edit(self, cc_id: str, **body: Any) -> None:
        """The owner edits fields of a contact."""
        url = f"{self.emus.cc.base_url}/_emulator/accounts/1/contacts/{cc_id}"
        self.emus.http.patch(url, json=body).raise_for_status()

    def cc_delete(self, cc_id: str) -> None:
        """The owner deletes a contact (soft)."""
        url = f"{self.emus.cc.base_url}/_emulator/accounts/1/contacts/{cc_id}"
        self.emus.http.delete(url).raise_for_status()

    def cc_unsubscribe(self, cc_id: str) -> None:
        """The contact unsubscribes themselves."""
        self.emus.post(self.emus.cc, f"/_emulator/contacts/{cc_id}/unsubscribe", {})

    def cc_resubscribe(self, cc_id: str) -> None:
        """The contact re-subscribes themselves."""
        self.emus.post(self.emus.cc, f"/_emulator/contacts/{cc_id}/resubscribe", {})

    def cc_all(self, *, deleted: bool = False) -> list[dict[str, Any]]:
        """Every CC contact of account 1 (live only unless ``deleted``)."""
        rows = self.emus.http.get(self.emus.cc.base_url + "/_emulator/accounts/1/contacts").json()
        return [r for r in rows if deleted or not r.get("deleted_at")]

    # -- checks ---------

    def counters(self) -> dict[str, int]:
        """Requests per provider since the last ``clear_counters``."""
        out = {}
        for side, proc in (("cc", self.emus.cc), ("crm", self.emus.vt)):
            data = self.emus.http.get(proc.base_url + "/_emulator/counters").json()
            out[side] = total_requests(data)
        return out

    def clear_counters(self) -> None:
        """Zero both emulators' counters."""
        for proc in (self.emus.cc, self.emus.vt):
            self.emus.http.delete(proc.base_url + "/_emulator/counters").raise_for_status()

    def links(self) -> list[repos.LinkRow]:
        """Live links."""
        with self.sessions.begin() as session:
            return list(repos.iter_links(session, self.connector_id))

    def items(self, run_id: int) -> list[repos.RunItemRow]:
        """A run's items."""
        with self.sessions.begin() as session:
            return list(repos.iter_run_items(session, run_id))

    def faults(self, side: str, rules: list[dict[str, Any]], seed: int = 1) -> None:
        """Install fault rules on one emulator (``cc`` or ``crm``)."""
        proc = self.emus.cc if side == "cc" else self.emus.vt
        self.emus.post(proc, "/_emulator/faults", {"rules": rules, "seed": seed})


def total_requests(snapshot: Any) -> int:
    """Sum the request counts in an emulator's counters snapshot, whatever its shape."""
    if isinstance(snapshot, dict):
        if isinstance(snapshot.get("total"), int):
            return int(snapshot["total"])
        return sum(total_requests(v) for v in snapshot.values())
    if isinstance(snapshot, int):
        return snapshot
    return 0


def by_email(rows: list[dict[str, Any]], *, cc: bool) -> dict[str, dict[str, Any]]:
    """Records keyed by normalised email."""
    out = {}
    for row in rows:
        address = row.get("email_address", {}).get("address", "") if cc else row.get("email", "")
        key = email_key(address) if address else None
        if key:
            out[key] = row
    return out


def dump(value: Any) -> str:
    """Pretty JSON for assertion messages."""
    return json.dumps(value, indent=1, default=str)[:4000]
