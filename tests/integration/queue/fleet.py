"""Many connectors on one PostgreSQL database, run by real ``ccsync worker`` subprocesses.

``Fleet`` owns a throw-away PostgreSQL database, N connectors (connector n syncs the Vtiger
user ``u<n>``'s contacts with CC account n of one application, so every connector shares one
API key), the worker processes (each with a data directory of its own, like separate
machines) and the checks: runs never overlap, both emulators agree.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import psycopg
from sqlalchemy import text

from ccsync.connectors.constantcontact.limiter import close_pools
from ccsync.connectors.constantcontact.tokens import TokenSet
from ccsync.domain.normalize import email_key
from ccsync.engine.config import ConnectorConfig
from ccsync.jobs.queue import ProcrastinateBackend
from ccsync.settings import AppSettings, get_settings
from ccsync.store import repos
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.store.tokens import DbTokenStore
from ccsync.store.workers import list_workers
from integration.engine.harness import CLIENT_ID, CLIENT_SECRET, REDIRECT, Emulators

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
KEYS = "uX8sC3gYQ2l3mJYx7fGb2vJk3s0m3xq9m0j3z5m0Z1s="
QUEUE_ENV = {
    "CCSYNC_JOBS": "procrastinate",
    "CCSYNC_TICK_SECONDS": "1",
    "CCSYNC_WORKER_HEARTBEAT_S": "0.5",
    "CCSYNC_WORKER_STALLED_S": "3",
}


def user_key(n: int) -> str:
    """The Vtiger access key of user ``u<n>``."""
    return f"u{n:03d}Key0123456789ab"


def vtiger_users(count: int) -> tuple[str, ...]:
    """``--user`` arguments of the Vtiger emulator for users ``u1`` … ``u<count>``."""
    out: list[str] = []
    for n in range(1, count + 1):
        out += ["--user", f"u{n}:{user_key(n)}:user"]
    return tuple(out)


def poll(check: Callable[[], bool], timeout: float, what: str, every: float = 0.1) -> None:
    """Poll ``check`` until it holds, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)  # polling interval of a state check, not a wait for a server
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class WorkerProc:
    """One ``ccsync worker`` subprocess."""

    name: str
    popen: subprocess.Popen[str]
    log_path: Path
    log_file: IO[str]

    def log(self) -> str:
        """What the worker printed."""
        return self.log_path.read_text(errors="replace")


@dataclass
class Fleet:
    """One PostgreSQL installation, its connectors and its workers."""

    emus: Emulators
    tmp: Path
    url: str = ""
    settings: AppSettings = field(init=False)
    workers: dict[str, WorkerProc] = field(default_factory=dict)
    connectors: dict[int, int] = field(default_factory=dict)  # account n → connector id
    _db: str = ""
    _backend: ProcrastinateBackend | None = None

    def __post_init__(self) -> None:
        self._db = f"ccsync_queue_{secrets.token_hex(5)}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self._db}"')
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self._db}"
        self.settings = get_settings(
            data_dir=self.tmp / "app",
            database_url=self.url,
            secret_keys=KEYS,
            jobs="procrastinate",
            tick_seconds=1,
            worker_heartbeat_s=0.5,
            worker_stalled_s=3,
        )
        configure_encryption(self.settings.fernet_keys)
        self.engine = init_db(self.url)
        self.sessions = session_factory(self.engine)
        with self.sessions.begin() as session:
            self.owner = repos.create_user(session, "admin", "a-long-test-password", role="admin")

    # -- set-up -------------------------------------------------------------------------------

    def add_connector(self, n: int, **settings: Any) -> int:
        """Connector ``c<n>``: Vtiger user ``u<n>`` ⇄ CC account ``n``, signed in."""
        cc = self.emus.cc.base_url
        retry = {"attempts": 4, "first_wait": 0.05, "max_wait": 0.5, "max_delay": 20.0}
        config = ConnectorConfig.from_keys(
            vtiger_url=self.emus.vt.base_url,
            vtiger_username=f"u{n}",
            cc_client_id=CLIENT_ID,
            cc_auth_url=f"{cc}/oauth2/default/v1/authorize",
            cc_token_url=f"{cc}/oauth2/default/v1/token",
            cc_api_url=f"{cc}/v3",
            cc_redirect_uri=REDIRECT,
            frequency="off",
            cc_rate=500,
            cc_retry=retry,
        )
        stored = config.updated(**settings).stored()  # cc_rate=None: the product's pace
        with self.sessions.begin() as session:
            row = repos.create_connector(
                session, f"c{n}", self.owner.id, stored,
                client_secret=CLIENT_SECRET, vtiger_access_key=user_key(n), status="connected",
            )  # fmt: skip
        raw = self.emus.post(self.emus.cc, "/_emulator/grant", {"account": n, "scope": SCOPE})
        tokens = DbTokenStore(self.sessions, row.id, self.settings.data_dir)
        assert tokens.swap(None, TokenSet.from_response(raw, datetime.now(UTC))) is not None
        self.connectors[n] = row.id
        return row.id

    def crm_create(self, n: int, **fields: str) -> str:
        """User ``u<n>`` creates a Vtiger contact (assigned to them)."""
        fields.setdefault("lastname", "Doe")
        body = {"user": f"u{n}", "fields": fields}
        return str(self.emus.post(self.emus.vt, "/_emulator/ui/contacts", body)["id"])

    def crm_edit(self, crm_id: str, **fields: str) -> None:
        """A Vtiger user edits a contact."""
        url = f"{self.emus.vt.base_url}/_emulator/ui/contacts/{crm_id}"
        self.emus.http.patch(url, json={"fields": fields}).raise_for_status()

    def cc_create(self, n: int, email: str, **body: Any) -> str:
        """The owner of CC account ``n`` adds a contact."""
        payload = {"email_address": {"address": email}, **body}
        record = self.emus.post(self.emus.cc, f"/_emulator/accounts/{n}/contacts", payload)
        return str(record["contact_id"])

    # -- workers ------------------------------------------------------------------------------

    def env(self, name: str) -> dict[str, str]:
        """A worker's environment: the shared database and key, a data directory of its own."""
        return {
            **os.environ,
            **QUEUE_ENV,
            "CCSYNC_DATA_DIR": str(self.tmp / name),
            "CCSYNC_DATABASE_URL": self.url,
            "CCSYNC_SECRET_KEYS": KEYS,
        }

    def start_worker(self, name: str, concurrency: int = 3) -> WorkerProc:
        """Start ``ccsync worker`` and wait until it is registered."""
        log_path = self.tmp / f"{name}.log"
        log_file = log_path.open("w")
        args = [sys.executable, "-m", "ccsync", "worker", "--name", name]
        args += ["--concurrency", str(concurrency)]
        popen = subprocess.Popen(
            args, stdout=log_file, stderr=subprocess.STDOUT, text=True, env=self.env(name)
        )
        proc = WorkerProc(name, popen, log_path, log_file)
        self.workers[name] = proc

        def taking_jobs() -> bool:
            if popen.poll() is not None:
                raise AssertionError(f"worker {name} exited:\n{proc.log()}")
            return "taking jobs" in proc.log()

        poll(taking_jobs, 30, f"worker {name} to take jobs")
        return proc

    def kill_worker(self, name: str) -> None:
        """SIGKILL a worker (and reap it, so its pid is really gone)."""
        proc = self.workers[name]
        proc.popen.send_signal(signal.SIGKILL)
        proc.popen.wait(10)

    def stop_workers(self) -> None:
        """SIGTERM every worker still running (SIGKILL after 20 s)."""
        for proc in self.workers.values():
            if proc.popen.poll() is None:
                proc.popen.send_signal(signal.SIGTERM)
        for proc in self.workers.values():
            try:
                proc.popen.wait(20)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(10)
            proc.log_file.close()

    def close(self) -> None:
        """Stop the workers, then drop the database."""
        self.stop_workers()
        if self._backend is not None:
            self._backend.shutdown()
        self.engine.dispose()
        close_pools()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self._db}" WITH (FORCE)')

    # -- the queue ----------------------------------------------------------------------------

    @property
    def backend(self) -> ProcrastinateBackend:
        """The backend the web app and the CLI use (it only defers jobs)."""
        if self._backend is None:
            self._backend = ProcrastinateBackend(self.settings)
            self._backend.start()
        return self._backend

    def jobs(self, task: str = "ccsync.sync") -> list[dict[str, Any]]:
        """Every job of ``task`` (id, status, lock, attempts, worker_id, args)."""
        sql = text(
            "SELECT id, status::text AS status, lock, attempts, worker_id, args "
            "FROM procrastinate_jobs WHERE task_name = :task ORDER BY id"
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sql, {"task": task})]

    def wait_idle(self, timeout: float) -> None:
        """Until no sync job waits or runs (and no worker died on the way)."""

        def idle() -> bool:
            for proc in self.workers.values():
                if proc.popen.returncode is None and proc.popen.poll() is not None:
                    raise AssertionError(f"worker {proc.name} exited:\n{proc.log()}")
            return all(j["status"] not in ("todo", "doing") for j in self.jobs())

        poll(idle, timeout, "the sync jobs to finish", every=0.2)

    # -- checks ---------------------------------------------------------------------------------

    def runs(self, connector_id: int) -> list[repos.RunRow]:
        """The connector's runs, oldest first."""
        with self.sessions() as session:
            return list(reversed(repos.list_runs(session, connector_id, limit=1000)))

    def worker_rows(self) -> dict[str, Any]:
        """Worker name → its registry row."""
        return {w.name: w for w in list_workers(self.sessions)}

    def crm_emails(self, n: int) -> list[str]:
        """Emails of the live Vtiger contacts assigned to ``u<n>``."""
        users = self.emus.http.get(self.emus.vt.base_url + "/_emulator/users").json()
        ws_id = next(u["userId"] for u in users if u["name"] == f"u{n}")
        rows = self.emus.http.get(self.emus.vt.base_url + "/_emulator/contacts").json()
        return sorted(
            email_key(r["email"])
            for r in rows
            if not r.get("deleted") and r.get("assigned_user_id") == ws_id and r.get("email")
        )

    def cc_emails(self, n: int) -> list[str]:
        """Emails of the live contacts of CC account ``n``."""
        url = f"{self.emus.cc.base_url}/_emulator/accounts/{n}/contacts"
        rows = self.emus.http.get(url).json()
        return sorted(
            email_key(r["email_address"]["address"]) for r in rows if not r.get("deleted_at")
        )

    def cc_counters(self) -> dict[str, Any]:
        """The CC emulator's counters (``by_key`` per application)."""
        return dict(self.emus.http.get(self.emus.cc.base_url + "/_emulator/counters").json())


SCOPE = "contact_data offline_access"


def assert_no_overlap(runs: list[repos.RunRow]) -> None:
    """Never two runs of one connector at a time: each ends before the next one starts."""
    ordered = sorted(runs, key=lambda r: r.started_at)
    for before, after in zip(ordered, ordered[1:], strict=False):
        assert before.ended_at is not None, f"run {before.id} never ended"
        assert before.ended_at <= after.started_at, (
            f"runs {before.id} and {after.id} of connector {before.connector_id} overlap: "
            f"{before.started_at}–{before.ended_at} and {after.started_at}"
        )
