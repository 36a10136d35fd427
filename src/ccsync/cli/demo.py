"""``ccsync demo``: the whole product offline, in one command.

It starts both emulators as subprocesses (seeded with realistic contacts, some of them on both
sides with the same email, some with conflicting values, some without a last name), creates a
demo admin, a standard demo user and a connector pointed at the emulators with the OAuth
settings filled in, and serves the web app in this process until Ctrl-C. The emulators are
stopped on the way out. What it printed is also written to ``demo.json`` in the data directory
(tests read it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx2

from ccsync.cli.serving import run_app
from ccsync.engine.config import ConnectorConfig
from ccsync.settings import AppSettings, get_settings
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.store.repos.connectors import create_connector, get_connector_by_name
from ccsync.store.repos.users import create_user, get_user_by_name

DEMO_ADMIN = ("demo-admin", "demo-password-1")
DEMO_USER = ("demo-user", "demo-password-2")
CLIENT_ID = "ccsync-demo-client"
CLIENT_SECRET = "ccsync-demo-secret"
VTIGER_USER = "admin"
VTIGER_KEY = "demoAccessKey0123"
VTIGER_SALES = ("sales", "salesAccessKey0123")
OVERLAP = 40
NO_LAST_NAME = 8
HEALTH = "/_emulator/health"
PR_SET_PDEATHSIG = 1
AUTHZ = "/oauth2/default/v1"

FIRST = ("Anna", "Ben", "Carla", "David", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jonas",
         "Keiko", "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sven",
         "Tara")  # fmt: skip
LAST = ("Andersen", "Baker", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Hoffmann",
        "Ivanova", "Jensen", "Kowalski", "Laurent", "Müller", "Nakamura", "O'Brien", "Petrov",
        "Rossi", "Schmidt", "Tanaka", "Weber")  # fmt: skip
TITLES = ("Sales Manager", "Office Manager", "CTO", "Buyer", "Marketing Lead", "Consultant")


@dataclass(frozen=True, slots=True)
class DemoInfo:
    """What the demo prints (and writes to ``demo.json``)."""

    url: str
    admin: str
    admin_password: str
    user: str
    user_password: str
    cc_url: str
    vtiger_url: str
    cc_logins: list[dict[str, Any]]
    data_dir: str


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the demo dies, even by SIGKILL (Linux)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Emulator:
    """An emulator subprocess on loopback."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        cmd = [
            sys.executable,
            "-m",
            "ccsync",
            *args,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self.proc = subprocess.Popen(
            cmd, stdout=self._log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
        self.log_path = log

    def wait_healthy(self, timeout: float = 60) -> None:
        """Poll the health URL until it answers (or fail with the process output)."""
        deadline = time.monotonic() + timeout
        with httpx2.Client(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"emulator exited:\n{self.log_path.read_text()}")
                try:
                    if client.get(self.url + HEALTH).status_code == 200:
                        return
                except httpx2.TransportError:
                    pass
                time.sleep(0.1)  # polling interval of the health check
        raise TimeoutError(f"{self.url} not healthy:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        """Terminate (then kill) the process."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


@contextmanager
def emulators(base_url: str, data_dir: Path, contacts: int) -> Iterator[tuple[Emulator, Emulator]]:
    """Both emulators, seeded, healthy; stopped when the block ends."""
    cc = Emulator(
        ["emulate", "constant-contact", "--accounts", "2", "--seed-contacts", str(contacts),
         "--seed", "7", "--redirect-uri", f"{base_url}/oauth/callback",
         "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET],
        data_dir / "cc-emulator.log",
    )  # fmt: skip
    vt = Emulator(
        ["emulate", "vtiger", "--username", VTIGER_USER, "--access-key", VTIGER_KEY,
         "--user", f"{VTIGER_SALES[0]}:{VTIGER_SALES[1]}:user",
         "--seed-contacts", str(contacts), "--seed", "7"],
        data_dir / "vtiger-emulator.log",
    )  # fmt: skip
    try:
        cc.wait_healthy()
        vt.wait_healthy()
        yield cc, vt
    finally:
        cc.stop()
        vt.stop()


def _person(rng: random.Random, i: int) -> tuple[str, str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    ascii_last = last.replace("'", "").replace("í", "i").replace("ü", "ue")
    return first, last, f"{first}.{ascii_last}.{i}@demo-shared.example".lower()


def seed_overlap(cc_url: str, vtiger_url: str, seed: int = 7) -> None:
    """Contacts on both sides with one email (every third with conflicting values) and CC
    contacts without a last name (Vtiger requires one: they are skipped with the reason)."""
    rng = random.Random(seed)
    with httpx2.Client(timeout=30) as client:
        for i in range(OVERLAP):
            first, last, email = _person(rng, i)
            title = rng.choice(TITLES)
            other = rng.choice([t for t in TITLES if t != title]) if i % 3 == 0 else title
            phone = f"+1 555 01{i:02d}"
            _post(client, f"{vtiger_url}/_emulator/ui/contacts", {"fields": {
                "firstname": first, "lastname": last, "email": email, "title": title,
                "phone": phone}})  # fmt: skip
            _post(client, f"{cc_url}/_emulator/accounts/1/contacts", {
                "email_address": {"address": email, "permission_to_send": "implicit"},
                "first_name": first, "last_name": last, "job_title": other})  # fmt: skip
        for i in range(NO_LAST_NAME):
            first = rng.choice(FIRST)
            _post(client, f"{cc_url}/_emulator/accounts/1/contacts", {
                "email_address": {"address": f"{first}.nolastname.{i}@demo-cc.example".lower(),
                                  "permission_to_send": "implicit"},
                "first_name": first})  # fmt: skip


def _post(client: httpx2.Client, url: str, body: dict[str, Any]) -> None:
    answer = client.post(url, json=body)
    if answer.status_code >= 400:
        raise RuntimeError(f"seeding failed: POST {url} → {answer.status_code} {answer.text[:200]}")


def demo_config(
    cc_url: str, vtiger_url: str, base_url: str, vtiger_user: str = VTIGER_USER, account: int = 1
) -> ConnectorConfig:
    """Connector settings pointed at the emulators (OAuth settings filled in)."""
    return ConnectorConfig.from_keys(
        vtiger_url=vtiger_url,
        vtiger_username=vtiger_user,
        cc_client_id=CLIENT_ID,
        cc_auth_url=f"{cc_url}{AUTHZ}/authorize",
        cc_token_url=f"{cc_url}{AUTHZ}/token",
        cc_revoke_url=f"{cc_url}{AUTHZ}/revoke",
        cc_api_url=f"{cc_url}/v3",
        cc_redirect_uri=f"{base_url}/oauth/callback",
        frequency="off",
        cc_contact_url=f"{cc_url}/_emulator/accounts/{account}/contacts#{{cc_id}}",
    )


def prepare_store(settings: AppSettings, cc_url: str, vtiger_url: str) -> None:
    """Create the demo accounts and connector (kept when the data directory is reused)."""
    configure_encryption(settings.fernet_keys)
    sessions = session_factory(init_db(settings.database_url))
    base = settings.base_url
    with sessions.begin() as session:
        for (name, password), role in ((DEMO_ADMIN, "admin"), (DEMO_USER, "user")):
            if get_user_by_name(session, name) is None:
                create_user(session, name, password, role=role)
        admin = get_user_by_name(session, DEMO_ADMIN[0])
        user = get_user_by_name(session, DEMO_USER[0])
        assert admin is not None and user is not None
        # The admin's connector syncs the Vtiger admin's contacts with CC account 1; the
        # standard user's own (user level) connector syncs the Vtiger user "sales" with account 2.
        wanted = [
            ("Demo", admin.id, demo_config(cc_url, vtiger_url, base), VTIGER_KEY),
            (
                "Sales (demo-user)",
                user.id,
                demo_config(cc_url, vtiger_url, base, VTIGER_SALES[0], account=2),
                VTIGER_SALES[1],
            ),
        ]
        for name, owner, config, key in wanted:
            if get_connector_by_name(session, name) is None:
                create_connector(
                    session,
                    name,
                    owner,
                    config.stored(),
                    client_secret=CLIENT_SECRET,
                    vtiger_access_key=key,
                    status="needs_sign_in",
                )


def cc_logins(cc_url: str) -> list[dict[str, Any]]:
    """The emulator's account owner logins (for the consent page)."""
    with httpx2.Client(timeout=10) as client:
        rows = client.get(f"{cc_url}/_emulator/accounts").json()
    return [{"login": r["login"], "password": r["password"]} for r in rows]


def banner(info: DemoInfo) -> str:
    """The lines printed once everything is up."""
    logins = ", ".join(f"{a['login']} / {a['password']}" for a in info.cc_logins)
    return "\n".join([
        "",
        "ccsync demo is running — DEMO ONLY: fixed passwords, local emulators, no real accounts.",
        f"  Open:               {info.url}",
        f"  Demo admin:         {info.admin} / {info.admin_password}   (demo only)",
        f"  Demo standard user: {info.user} / {info.user_password}   (demo only)",
        f"  Constant Contact emulator: {info.cc_url}  (sign-in logins: {logins})",
        f"  Vtiger emulator:           {info.vtiger_url}",
        f"  Data directory:     {info.data_dir}",
        "  Stop with Ctrl-C.",
        "",
    ])  # fmt: skip


def _stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _serve_until_stopped(app: object, host: str, port: int) -> None:
    """Serve until Ctrl-C or SIGTERM, then return so the emulators get stopped.

    uvicorn re-raises the signal it caught once it has shut down; with this handler in place
    that becomes a ``KeyboardInterrupt`` here instead of the process dying on the spot.
    """
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        run_app(app, host, port, "web app listening on port {port}")
    except KeyboardInterrupt:
        print("Stopping the demo…", flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_demo(host: str, port: int, data_dir: Path | None, contacts: int) -> None:
    """Start everything, print the banner, serve until interrupted, then clean up."""
    # Imported here: the other commands start without loading FastAPI and the web layer.
    from ccsync.web.app import create_app

    temp = data_dir is None
    folder = Path(tempfile.mkdtemp(prefix="ccsync-demo-")) if temp else Path(data_dir or ".")
    folder.mkdir(parents=True, exist_ok=True)
    base_url = f"http://{host}:{port}"
    try:
        with emulators(base_url, folder, contacts) as (cc, vt):
            seed_overlap(cc.url, vt.url)
            settings = get_settings(data_dir=folder, base_url=base_url)
            prepare_store(settings, cc.url, vt.url)
            info = DemoInfo(base_url, *DEMO_ADMIN, *DEMO_USER, cc.url, vt.url, cc_logins(cc.url),
                            str(folder))  # fmt: skip
            (folder / "demo.json").write_text(json.dumps(asdict(info), indent=2))
            print(banner(info), flush=True)
            _serve_until_stopped(create_app(settings), host, port)
    finally:
        if temp:
            shutil.rmtree(folder, ignore_errors=True)
