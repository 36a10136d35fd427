"""Replays one fixture file against a reset emulator and records every difference."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .client import ADMIN_KEY, SALES_KEY, WS, Vt, digest
from .replay_support import (
    LAB_START,
    IdMap,
    exchanges,
    global_catalog,
    iso,
    load,
    merge_records,
    shape_diff,
    world_ids,
    writable,
)

KEYS = {"admin": ADMIN_KEY, "sales1": SALES_KEY}
Action = Callable[["Replayer"], None]
Handler = Callable[["Replayer", dict[str, Any]], None]


class Replayer:
    """State of one file's replay: sessions, tokens, id map, outcomes."""

    def __init__(self, base_url: str, name: str) -> None:
        self.vt = Vt(base_url)
        self.name = name
        self.pairs = exchanges(name)
        self.ids = IdMap()
        self.sessions: dict[str, str] = {}
        self.tokens: dict[str, str] = {}
        self.failures: list[str] = []
        self.answers: dict[str, Any] = {}
        self.session_override: str | None = None
        self.key_override: str | None = None
        self.done: list[str] = []

    # setup ---------------------------------------------------------------------------------

    def setup(self, fillers: int = 0) -> None:
        """Reset, add the lab's custom field if the file shows it, log in, build the world."""
        self.vt.control("POST", "/reset", {"seed_contacts": 0})
        self.clock(LAB_START)
        if "cf_853" in json.dumps(load(self.name)):
            field = self.vt.control("POST", "/ui/fields", {"label": "External Ref"})
            assert field["name"] == "cf_853", field
        for user in KEYS:
            self.login(user)
        self.build_world()
        for number in range(fillers):
            self.create_as_admin({"lastname": f"Filler {number}", "assigned_user_id": "19x1"})

    def clock(self, stamp: str) -> None:
        """Freeze the emulator clock at a lab time."""
        self.vt.control("POST", "/clock", {"set": iso(stamp), "freeze": True})

    def login(self, user: str) -> None:
        """Open a session for ``user`` (not part of the comparison)."""
        self.challenge(user)
        body = self.vt.post(
            {
                "operation": "login",
                "username": user,
                "accessKey": digest(self.tokens[user], KEYS[user]),
            }
        )
        self.sessions[user] = body["result"]["sessionName"]

    def challenge(self, user: str) -> None:
        """A fresh getchallenge for ``user``."""
        body = self.vt.get({"operation": "getchallenge", "username": user})
        self.tokens[user] = body["result"]["token"]

    def build_world(self) -> None:
        """Create the records the file refers to, oldest crmid first, at their lab times."""
        data = load(self.name)
        local = merge_records([data])
        extra = {k: v for k, v in data.items() if k != "examples"}
        catalog = global_catalog()
        text = json.dumps(data)
        for crmid in sorted(world_ids(self.pairs, extra)):
            # Owners changed over the lab session: trust only this file's view of the owner.
            known = {k: v for k, v in catalog.get(crmid, {}).items() if k != "assigned_user_id"}
            record = {**known, **local.get(crmid, {})}
            contact = bool(re.search(rf"\b12x{crmid}\b", text))
            contact = contact or str(record.get("id", "12x")).startswith("12x")
            self.clock(record.get("modifiedtime", LAB_START))
            fields = self.world_fields(record, contact, crmid)
            made = self.create_as_admin(fields, "Contacts" if contact else "Accounts")
            self.ids.learn(f"12x{crmid}", made["id"])

    def world_fields(self, record: dict[str, Any], contact: bool, crmid: int) -> dict[str, Any]:
        """Writable fields of a world record, with references mapped (unknown ones dropped)."""
        fields = {}
        for key, value in writable(record).items():
            if isinstance(value, str) and value and key in ("account_id", "contact_id"):
                if int(value.partition("x")[2]) not in self.ids.forward:
                    continue  # the lab's referenced record is not part of this world
                value = self.ids.apply(value)
            fields[key] = value
        fields.setdefault("assigned_user_id", "19x1")
        if contact:
            fields.setdefault("lastname", f"World {crmid}")
        else:
            fields.setdefault("accountname", f"Organisation {crmid}")
        return fields

    def create_as_admin(self, fields: dict[str, Any], module: str = "Contacts") -> Any:
        """Create a record that must succeed."""
        body = self.vt.post(
            {
                "operation": "create",
                "sessionName": self.sessions["admin"],
                "elementType": module,
                "element": json.dumps(fields),
            }
        )
        assert body["success"], (fields, body)
        return body["result"]

    # replay --------------------------------------------------------------------------------

    def run(
        self,
        hooks: dict[str, list[Action]],
        as_sales1: set[str],
        handlers: dict[str, Handler],
        allowed: dict[str, str],
    ) -> None:
        """Replay every exchange in order."""
        for name, exchange in self.pairs:
            for action in hooks.get(name, []):
                action(self)
            if name in allowed:
                continue
            if name in handlers:
                handlers[name](self, exchange)
            else:
                self.replay(name, exchange, "sales1" if name in as_sales1 else "admin")
            self.done.append(name)

    def params(self, exchange: dict[str, Any], user: str) -> tuple[str, dict[str, str]]:
        """HTTP method and parameters with placeholders, ids and digests filled in."""
        request = exchange["request"]
        raw = request.get("params") or {k: v for k, v in request.items() if k != "http_method"}
        params: dict[str, str] = {}
        for key, value in raw.items():
            if value == "<SESSION_NAME>":
                value = self.session_override or self.sessions[user]
            params[key] = self.ids.apply(str(value))
        if params.get("operation") == "login":
            username = params["username"]
            key = self.key_override or KEYS[username]
            params["accessKey"] = digest(self.tokens[username], key)
        return str(request.get("http_method", "GET")), params

    def replay(self, name: str, exchange: dict[str, Any], user: str) -> None:
        """Send one exchange and compare status and body shape."""
        method, params = self.params(exchange, user)
        expected = exchange["response"]
        self.follow_clock(expected.get("body"))
        if method == "GET":
            response = self.vt.http.get(WS, params=params)
        else:
            response = self.vt.http.post(WS, data=params)
        status = expected.get("http_status", 200)
        if response.status_code != status:
            self.fail(name, f"status {response.status_code}, expected {status}")
            return
        if status != 200:
            if response.content:
                self.fail(name, f"expected an empty body, got {response.content[:80]!r}")
            return
        body = response.json()
        self.answers[name] = body
        for problem in shape_diff(expected["body"], body):
            self.fail(name, problem)
        self.learn(params, expected["body"], body)

    def follow_clock(self, body: Any) -> None:
        """Stamp writes at the lab's time so later epoch/datetime literals still fit."""
        result = body.get("result") if isinstance(body, dict) else None
        if isinstance(result, dict) and isinstance(result.get("modifiedtime"), str):
            self.clock(result["modifiedtime"])

    def learn(self, params: dict[str, str], expected: Any, actual: Any) -> None:
        """Map ids of created records; keep tokens of challenges."""
        operation = params.get("operation")
        if not (isinstance(actual, dict) and actual.get("success")):
            return
        if operation == "create":
            self.ids.learn(expected["result"]["id"], actual["result"]["id"])
        if operation == "getchallenge":
            self.tokens[params["username"]] = actual["result"]["token"]

    def fail(self, name: str, problem: str) -> None:
        """Record a difference."""
        self.failures.append(f"{self.name}:{name}: {problem}")

    def check(self, name: str, ok: bool, problem: str) -> None:
        """Record a difference unless ``ok``."""
        if not ok:
            self.fail(name, problem)

    def call(self, user: str, operation: str, **params: str) -> Any:
        """A GET operation outside the fixture sequence (for derived checks)."""
        query = {"operation": operation, "sessionName": self.sessions[user], **params}
        return self.vt.get(query)
