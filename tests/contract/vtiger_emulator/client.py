"""A tiny webservice client for the emulator tests (real HTTP over loopback)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

try:  # the test tree is importable as ``tests`` or (rootdir-relative) as its sub-packages
    from tests.support.processes import CLOCK_ARGS, Proc, start_ccsync
except ImportError:  # pragma: no cover - depends on how pytest was invoked
    from support.processes import CLOCK_ARGS, Proc, start_ccsync  # type: ignore[no-redef]

ADMIN_KEY = "demoAccessKey0123"
SALES_KEY = "salesKey0123456"
WS = "/webservice.php"
REST = "/restapi/v1/vtiger/default"


def start_vtiger(tmp_path: Path, *extra: str, name: str = "vtiger") -> Proc:
    """Start ``ccsync emulate vtiger`` with an extra non-admin user ``sales1``, clock set."""
    args = ["emulate", "vtiger", "--user", f"sales1:{SALES_KEY}:user", *CLOCK_ARGS, *extra]
    return start_ccsync(args, tmp_path, name=name)


def digest(token: str, key: str) -> str:
    """The login ``accessKey``: ``md5(token + accessKey)``."""
    return hashlib.md5((token + key).encode()).hexdigest()


@dataclass
class Vt:
    """A webservice session against one emulator."""

    base_url: str
    http: httpx2.Client = field(init=False)
    session: str = ""
    user_id: str = ""

    def __post_init__(self) -> None:
        self.http = httpx2.Client(base_url=self.base_url, timeout=30)

    def login(self, username: str = "admin", key: str = ADMIN_KEY) -> Vt:
        """getchallenge + login; keeps the session."""
        token = self.get({"operation": "getchallenge", "username": username})["result"]["token"]
        body = self.post(
            {"operation": "login", "username": username, "accessKey": digest(token, key)}
        )
        self.session = body["result"]["sessionName"]
        self.user_id = body["result"]["userId"]
        return self

    def get(self, params: dict[str, str]) -> Any:
        """A GET operation's JSON body."""
        return self.http.get(WS, params=params).json()

    def post(self, data: dict[str, str]) -> Any:
        """A POST operation's JSON body."""
        return self.http.post(WS, data=data).json()

    def op_get(self, operation: str, **params: str) -> Any:
        """A GET operation with the session."""
        return self.get({"operation": operation, "sessionName": self.session, **params})

    def op_post(self, operation: str, **params: str) -> Any:
        """A POST operation with the session."""
        return self.post({"operation": operation, "sessionName": self.session, **params})

    def query(self, vtql: str) -> Any:
        """Run a query; returns the JSON body."""
        return self.op_get("query", query=vtql)

    def rows(self, vtql: str) -> list[dict[str, str]]:
        """Run a query that must succeed; returns its rows."""
        body = self.query(vtql)
        assert body["success"], body
        rows: list[dict[str, str]] = body["result"]
        return rows

    def create(self, **fields: Any) -> dict[str, str]:
        """Create a contact that must succeed (owner defaults to the session user)."""
        fields.setdefault("assigned_user_id", self.user_id)
        body = self.op_post("create", elementType="Contacts", element=json.dumps(fields))
        assert body["success"], body
        result: dict[str, str] = body["result"]
        return result

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """Call a ``/_emulator`` control; returns its JSON."""
        response = self.http.request(method, "/_emulator" + path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()
