"""A small driver for the emulator under test: control API plus an authorised API client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2

try:  # the test tree is importable as ``tests`` or (rootdir-relative) as its sub-packages
    from tests.support.processes import CLOCK_ARGS, Proc, start_ccsync
except ModuleNotFoundError:  # depends on how pytest set sys.path
    from support.processes import CLOCK_ARGS, Proc, start_ccsync  # type: ignore[no-redef]

CLIENT = ("ccsync-demo-client", "ccsync-demo-secret")
SCOPES = "contact_data offline_access"
FAST = ["--rate-limit", "0", "--daily-quota", "0", "--activity-rate", "100000", "--accounts", "2"]
DEFAULTS = {
    "profile": "default",
    "rate_limit": 0,
    "daily_quota": 0,
    "token_rate_limit": 0,
    "activity_rate": 100000,
    "activity_delay": 0,
    "refresh_tokens": "rotating",
    "pkce": "accepted",
    "auto_approve": False,
}


def start(tmp_path: Path, *args: str) -> CC:
    """Start ``ccsync emulate constant-contact`` with fast defaults (``args`` override)."""
    argv = ["emulate", "constant-contact", *CLOCK_ARGS, *FAST, *args]
    return CC(start_ccsync(argv, tmp_path, name="cc"))


class CC:
    """An emulator subprocess: ``control`` talks to ``/_emulator``, ``api`` to ``/v3``."""

    def __init__(self, proc: Proc) -> None:
        self.proc = proc
        self.url = proc.base_url
        self.http = httpx2.Client(base_url=proc.base_url, timeout=30, follow_redirects=False)
        self.token = ""

    def close(self) -> None:
        """Stop the subprocess."""
        self.http.close()
        self.proc.stop()

    def ctl(self, method: str, path: str, body: Any = None) -> Any:
        """A control request that must succeed; returns the JSON answer (or ``None``)."""
        response = self.http.request(method, "/_emulator" + path, json=body)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def reset(self, seed_contacts: int = 0) -> None:
        """Empty state, default settings, fresh token for account 1, counters at zero."""
        self.ctl("POST", "/config", DEFAULTS)
        self.ctl("POST", "/reset", {"seed_contacts": seed_contacts})  # clock back to its start
        self.ctl("DELETE", "/faults")
        self.token = self.grant()["access_token"]
        self.ctl("DELETE", "/counters")

    def grant(self, account: int = 1, scope: str = SCOPES) -> dict[str, Any]:
        """A token response through the control API."""
        return dict(self.ctl("POST", "/grant", {"account": account, "scope": scope}))

    def config(self, **settings: Any) -> dict[str, Any]:
        """Change settings at run time."""
        return dict(self.ctl("POST", "/config", settings))

    def clock(self, **body: Any) -> dict[str, Any]:
        """``POST /_emulator/clock``."""
        return dict(self.ctl("POST", "/clock", body))

    def api(
        self, method: str, path: str, body: Any = None, token: str | None = None, **kw: Any
    ) -> httpx2.Response:
        """A ``/v3`` request with the current bearer token."""
        bearer = self.token if token is None else token
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        headers.update(kw.pop("headers", {}))
        return self.http.request(method, "/v3" + path, json=body, headers=headers, **kw)

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        """A ``/v3`` request that must answer ``status``; returns the JSON body."""
        response = self.api(method, path, body)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    def new_list(self, name: str = "Customers") -> str:
        """Create a contact list; returns its id."""
        return str(self.ok("POST", "/contact_lists", {"name": name}, 201)["list_id"])

    def new_contact(self, email: str, **fields: Any) -> dict[str, Any]:
        """Create a contact through the API (``create_source`` Account)."""
        body = {"email_address": {"address": email}, "create_source": "Account", **fields}
        return dict(self.ok("POST", "/contacts", body, 201))

    def contacts(self, account: int = 1) -> list[dict[str, Any]]:
        """Every contact of the account in full (control API)."""
        return list(self.ctl("GET", f"/accounts/{account}/contacts"))

    def token_request(self, data: dict[str, str], auth: Any = CLIENT) -> httpx2.Response:
        """``POST /oauth2/default/v1/token`` with a form body and Basic auth."""
        return self.http.post("/oauth2/default/v1/token", data=data, auth=auth)

    def wait_activity(self, activity_id: str, advance: float = 60) -> dict[str, Any]:
        """Move the clock past the activity's end and return its final status."""
        self.clock(advance=advance)
        status = dict(self.ok("GET", f"/activities/{activity_id}"))
        assert status["state"] == "completed", status
        return status
