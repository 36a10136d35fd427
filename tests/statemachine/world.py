"""The harsh world's tools: the email pool, organisations, the target list, killed runs.

Everything here talks to the emulators over loopback HTTP or to the installation's database; a
killed run is a real ``python -m ccsync sync`` subprocess SIGKILLed while one of its write
requests is held by the emulator (a ``hold`` fault rule), so the kill point is the k-th write,
not a moment in time.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ccsync.domain.normalize import email_key
from ccsync.store.models import Run, RunItem
from integration.engine.harness import VT_KEY, VT_USER, World

BASES = [f"p{n}@example.com" for n in range(6)]
ORGS = ["Globex", "Initech"]
TARGET_LIST = "ccsync"
CC_WRITES = {"kind": "hold", "method": "POST|PUT|PATCH|DELETE", "path_prefix": "/v3/"}
CRM_WRITES = {"kind": "hold", "operation": "create|update|revise|delete"}


def variant(base: str, case: int) -> str:
    """``base`` in one of three spellings that normalise to the same address."""
    local, domain = base.split("@")
    return [base, f"{local.upper()}@{domain.title()}", f"{local}@{domain.upper()}"][case]


def key(address: str | None) -> str:
    """The normalised email (``""`` when empty or invalid)."""
    return (email_key(address) or "") if address else ""


def cc_email(row: dict[str, Any]) -> str:
    """The normalised email of a CC contact."""
    return key(row.get("email_address", {}).get("address"))


def crm_email(row: dict[str, Any]) -> str:
    """The normalised email of a Vtiger contact."""
    return key(row.get("email"))


def permission(row: dict[str, Any]) -> str:
    """A CC contact's ``permission_to_send``."""
    return str(row.get("email_address", {}).get("permission_to_send") or "")


def on_list(row: dict[str, Any], list_id: str) -> bool:
    """Whether a CC contact is a member of the list."""
    return list_id in (row.get("list_memberships") or [])


def create_orgs(world: World) -> dict[str, str]:
    """Create the organisations through the webservice; returns id → name."""
    http, url = world.emus.http, world.emus.vt.base_url + "/webservice.php"
    token = http.get(url, params={"operation": "getchallenge", "username": VT_USER}).json()
    digest = hashlib.md5((token["result"]["token"] + VT_KEY).encode()).hexdigest()
    login = {"operation": "login", "username": VT_USER, "accessKey": digest}
    result = http.post(url, data=login).json()["result"]
    orgs = {}
    for name in ORGS:
        element = {"accountname": name, "assigned_user_id": result["userId"]}
        body = {
            "operation": "create",
            "sessionName": result["sessionName"],
            "elementType": "Accounts",
            "element": json.dumps(element),
        }
        created = http.post(url, data=body).json()
        assert created["success"], created
        orgs[created["result"]["id"]] = name
    return orgs


def create_target_list(world: World) -> str:
    """Create ccsync's target list as the owner would; returns its id."""
    grant = world.emus.post(world.emus.cc, "/_emulator/grant", {"scope": "contact_data"})
    headers = {"Authorization": f"Bearer {grant['access_token']}"}
    url = world.emus.cc.base_url + "/v3/contact_lists"
    answer = world.emus.http.post(url, json={"name": TARGET_LIST}, headers=headers)
    answer.raise_for_status()
    return str(answer.json()["list_id"])


@dataclass
class Kill:
    """What a killed run left behind: its run id (if any), its written items, whether killed."""

    side: str
    killed: bool
    run_id: int | None
    items: int
    output: str


def killed_sync(world: World, side: str, k: int, apply: bool) -> Kill:
    """Run ``ccsync sync main`` as a subprocess and SIGKILL it at its k-th write on ``side``.

    The emulator holds the k-th write request (applied first when ``apply``) until the client
    goes away; the kill lands while the process waits for that answer.
    """
    rule = dict(CC_WRITES if side == "cc" else CRM_WRITES, skip=k - 1, count=1, apply=apply)
    proc = world.emus.cc if side == "cc" else world.emus.vt
    world.emus.post(proc, "/_emulator/faults", {"rules": [rule]})
    before = _last_run(world)
    env = {n: v for n, v in os.environ.items() if not n.startswith("CCSYNC_")}
    env["CCSYNC_DATA_DIR"] = str(world.settings.data_dir)
    args = [sys.executable, "-m", "ccsync", "sync", "main", "--json"]
    child = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    killed = False
    try:
        while child.poll() is None:
            rules = world.emus.http.get(proc.base_url + "/_emulator/faults").json()["rules"]
            if rules and rules[0]["fired"]:
                child.kill()
                killed = True
                break
            try:
                child.wait(0.02)  # the poll interval of the fault rule, not a wait for a server
            except subprocess.TimeoutExpired:
                pass
        output = child.communicate(timeout=60)[0]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        world.emus.http.delete(proc.base_url + "/_emulator/faults").raise_for_status()
    run_id = _last_run(world)
    run_id = run_id if run_id != before else None
    return Kill(side, killed, run_id, _items(world, run_id), output)


def _last_run(world: World) -> int | None:
    with world.sessions.begin() as session:
        return session.scalar(select(func.max(Run.id)))


def _items(world: World, run_id: int | None) -> int:
    if run_id is None:
        return 0
    with world.sessions.begin() as session:
        stmt = select(func.count()).select_from(RunItem).where(RunItem.run_id == run_id)
        stmt = stmt.where(RunItem.action != "skipped")
        return int(session.scalar(stmt) or 0)
