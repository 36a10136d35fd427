"""The in-memory CRM of ``tests/support/memory_connector.py`` as a contract-suite pairing.

Neither Vtiger nor Constant Contact: it shows the contract holds for a third connector that has
none of the optional capabilities.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from support.memory_connector import MemoryConnector, MemoryCrm

try:  # the test tree is importable as ``tests`` or (rootdir-relative) as its sub-packages
    from tests.contract.harness import ContractHarness
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from contract.harness import ContractHarness  # type: ignore[no-redef]


def _sample(i: int) -> dict[str, Any]:
    return {
        "firstname": f"Mem{i}",
        "lastname": "Contract",
        "email": f"contract-memory-{i}@example.com",
        "phone": f"+1 202 555 01{i:02d}",
        "mailingcity": "Lyon",
    }


def make_memory_harness() -> ContractHarness:
    """A ``MemoryConnector`` over a fresh ``MemoryCrm``."""
    server = MemoryCrm()
    connector = MemoryConnector(server)

    def email_of(fields: Mapping[str, Any]) -> str:
        return str(fields.get("email") or "")

    def first_name_of(fields: Mapping[str, Any]) -> str:
        return str(fields.get("firstname") or "")

    return ContractHarness(
        connector=connector,
        sample=_sample,
        rename=lambda name: {"firstname": name},
        email_of=email_of,
        first_name_of=first_name_of,
        remote_edit=lambda record_id, name: server.person_edit(record_id, firstname=name),
        remote_delete=server.person_delete,
        advance_clock=server.advance,
        calls=lambda: server.requests,
        close=connector.close,
    )
