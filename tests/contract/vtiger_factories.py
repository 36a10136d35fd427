"""Contract harnesses for the Vtiger connector (webservice and restapi flavours).

Also the small driver of the Vtiger emulator that the Vtiger integration tests share: start the
subprocess, act as a CRM user through ``/_emulator/``, read counters, build connectors.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from ccsync.connectors.vtiger import VtigerConnector, VtigerSettings

try:  # the test tree is importable as ``tests`` or (rootdir-relative) as its sub-packages
    from tests.contract.harness import ContractHarness
    from tests.support.processes import Proc, start_ccsync
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from contract.harness import ContractHarness  # type: ignore[no-redef]
    from support.processes import Proc, start_ccsync  # type: ignore[no-redef]

ADMIN_KEY = "demoAccessKey0123"
SALES_KEY = "salesKey0123"
NO_QUOTAS = ["--quota-minute", "0", "--quota-hour", "0", "--quota-day", "0"]


@dataclass
class VtigerEmulator:
    """A running Vtiger emulator and its control API."""

    proc: Proc
    flavour: str
    control: httpx2.Client = field(init=False)

    def __post_init__(self) -> None:
        self.control = httpx2.Client(base_url=self.proc.base_url + "/_emulator", timeout=60)

    @classmethod
    def start(
        cls, tmp_path: Path, *args: str, flavour: str = "webservice", name: str = "vtiger"
    ) -> VtigerEmulator:
        """Start ``ccsync emulate vtiger`` with a non-admin user ``sales1`` and no quotas."""
        argv = ["emulate", "vtiger", "--flavour", flavour, "--user", f"sales1:{SALES_KEY}:user"]
        proc = start_ccsync([*argv, *NO_QUOTAS, *args], tmp_path, name=name)
        return cls(proc, flavour)

    def stop(self) -> None:
        """Stop the subprocess."""
        self.control.close()
        self.proc.stop()

    def connector(
        self,
        state_dir: Path,
        *,
        user: str = "admin",
        scope: str = "assigned",
        http: httpx2.Client | None = None,
        timeout: float = 30.0,
    ) -> VtigerConnector:
        """A connector for ``user`` (``admin`` or ``sales1``)."""
        key = ADMIN_KEY if user == "admin" else SALES_KEY
        settings = VtigerSettings(
            url=self.proc.base_url,
            username=user,
            access_key=key,
            flavour=self.flavour,  # type: ignore[arg-type]
            scope=scope,  # type: ignore[arg-type]
            timeout=timeout,
        )
        return VtigerConnector(settings, state_dir=state_dir, http=http)

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """POST a control request and return its JSON."""
        response = self.control.post(path, json=dict(body or {}))
        response.raise_for_status()
        return response.json()

    def ui_create(self, fields: Mapping[str, Any], user: str = "admin") -> dict[str, Any]:
        """Create a contact as a CRM user in the web UI."""
        return self.post("/ui/contacts", {"fields": dict(fields), "user": user})  # type: ignore[no-any-return]

    def ui_edit(self, record_id: str, fields: Mapping[str, Any], user: str = "admin") -> None:
        """Edit a contact in the web UI."""
        response = self.control.patch(
            f"/ui/contacts/{record_id}", json={"fields": dict(fields), "user": user}
        )
        response.raise_for_status()

    def ui_delete(self, record_id: str, user: str = "admin") -> None:
        """Delete a contact in the web UI (to the Recycle Bin)."""
        response = self.control.request("DELETE", f"/ui/contacts/{record_id}", json={"user": user})
        response.raise_for_status()

    def advance(self, seconds: float) -> None:
        """Move the emulator clock."""
        self.post("/clock", {"advance": seconds})

    def freeze(self, frozen: bool) -> None:
        """Stop or restart the emulator clock."""
        self.post("/clock", {"freeze": frozen})

    def counters(self) -> dict[str, Any]:
        """Requests counted so far, in total and by operation."""
        response = self.control.get("/counters")
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def calls(self) -> int:
        """Requests counted so far."""
        return int(self.counters()["total"])

    def live_contacts(self) -> list[dict[str, Any]]:
        """Every contact the emulator holds that is not deleted."""
        response = self.control.get("/contacts")
        response.raise_for_status()
        return [c for c in response.json() if not c["deleted"]]


def _sample_factory(token: str) -> Any:
    def sample(i: int) -> dict[str, Any]:
        return {
            "firstname": f"Ann{i}",
            "lastname": f"O'Contract {i}",
            "email": f"contract.{token}.{i}@example.com",
            "phone": f"+1 555 01{i:02d}",
        }

    return sample


def make_vtiger_harness(flavour: str, tmp_path: Path) -> ContractHarness:
    """A contract harness for one Vtiger flavour."""
    emulator = VtigerEmulator.start(tmp_path, "--seed-contacts", "20", flavour=flavour)
    connector = emulator.connector(tmp_path)

    def close() -> None:
        connector.close()
        emulator.stop()

    return ContractHarness(
        connector=connector,
        sample=_sample_factory(uuid.uuid4().hex[:8]),
        rename=lambda name: {"firstname": name},
        email_of=lambda fields: str(fields.get("email", "")),
        first_name_of=lambda fields: str(fields.get("firstname", "")),
        remote_edit=lambda rid, name: emulator.ui_edit(rid, {"firstname": name}),
        remote_delete=emulator.ui_delete,
        advance_clock=emulator.advance,
        calls=emulator.calls,
        close=close,
    )


VTIGER_PARAMS: Sequence[str] = ("vtiger-webservice", "vtiger-restapi")


def make_harness(param: str, tmp_path: Path) -> ContractHarness:
    """The harness for a ``vtiger-*`` param."""
    return make_vtiger_harness(param.removeprefix("vtiger-"), tmp_path)
