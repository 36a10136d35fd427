"""The Constant Contact side of the connector contract suite (profiles of the CC emulator).

``make_cc_harness("default" | "pessimistic" | "optimistic", tmp_path)`` starts
``ccsync emulate constant-contact --profile <profile>`` and builds a signed-in
``ConstantContactConnector`` against it. Under the pessimistic profile (deletes do not bump
``updated_at``) the connector runs with ``deletion_check="count_probe"``, the setting the
report recommends whenever that behaviour of the real service is not known.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

try:  # the test tree is importable as ``tests`` or (rootdir-relative) as its sub-packages
    from tests.contract.harness import ContractHarness
    from tests.integration.cc_connector.ccemu import (
        connector_for,
        sample_contact,
        settings_for,
        start_emulator,
    )
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from contract.harness import ContractHarness  # type: ignore[no-redef]
    from integration.cc_connector.ccemu import (  # type: ignore[no-redef]
        connector_for,
        sample_contact,
        settings_for,
        start_emulator,
    )

PROFILES = ("default", "pessimistic", "optimistic")


def _email_of(fields: Mapping[str, Any]) -> str:
    return str((fields.get("email_address") or {}).get("address") or "")


def _first_name_of(fields: Mapping[str, Any]) -> str:
    return str(fields.get("first_name") or "")


def make_cc_harness(profile: str, tmp_path: Path) -> ContractHarness:
    """A signed-in CC connector against an emulator running ``profile``.

    Args:
        profile: ``default``, ``pessimistic`` or ``optimistic``.
        tmp_path: where tokens, the limiter file and the emulator log go.

    Returns:
        The harness; ``close()`` stops the connector and the emulator.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown CC emulator profile {profile!r}")
    emu = start_emulator(tmp_path, "--profile", profile, name=f"cc-{profile}")
    check = "count_probe" if profile == "pessimistic" else "updated_after"
    connector = connector_for(emu, tmp_path, settings=settings_for(emu, deletion_check=check))

    def close() -> None:
        connector.close()
        emu.stop()

    return ContractHarness(
        connector=connector,
        sample=lambda i: sample_contact(i, f"contract-{profile}"),
        rename=lambda name: {"first_name": name},
        email_of=_email_of,
        first_name_of=_first_name_of,
        remote_edit=lambda cid, name: emu.owner_edit(cid, {"first_name": name}),
        remote_delete=emu.owner_delete,
        advance_clock=emu.advance,
        calls=lambda: int(emu.counters()["total"]),
        close=close,
    )
