"""The provider registry and the capabilities each built-in connector declares (issue 12)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ccsync.connectors.base import Connector, FieldInfo, Schema
from ccsync.connectors.capabilities import (
    AccountInfo,
    BulkDelete,
    BulkImport,
    BulkWrites,
    FullReplace,
    HiddenRecords,
    ScopeFilter,
    ServerClock,
    StateAfterWrites,
    TargetList,
    WrittenIds,
    sees_all,
    state_after,
)
from ccsync.connectors.constantcontact.connector import ConstantContactConnector
from ccsync.connectors.constantcontact.settings import CCSettings
from ccsync.connectors.constantcontact.tokens import FileTokenStore
from ccsync.connectors.registry import Provider, names, provider, register, unregister
from ccsync.connectors.vtiger.connector import VtigerConnector
from ccsync.connectors.vtiger.settings import VtigerSettings
from ccsync.connectors.vtiger.state import VtigerState, with_written
from ccsync.errors import ConfigError
from support.memory_connector import MemoryConnector, MemoryCrm

CAPABILITIES = (
    AccountInfo, BulkDelete, BulkImport, BulkWrites, FullReplace, HiddenRecords, ServerClock,
    ScopeFilter, StateAfterWrites, TargetList,
)  # fmt: skip


@pytest.fixture
def vtiger() -> Iterator[VtigerConnector]:
    settings = VtigerSettings(url="http://127.0.0.1:9", username="u", access_key="k")
    connector = VtigerConnector(settings)
    yield connector
    connector.close()


@pytest.fixture
def cc(tmp_path: Path) -> Iterator[ConstantContactConnector]:
    connector = ConstantContactConnector(CCSettings(client_id="c"), FileTokenStore(tmp_path / "t"))
    yield connector
    connector.close()


def _declared(connector: object) -> set[str]:
    return {c.__name__ for c in CAPABILITIES if isinstance(connector, c)}


def test_built_in_providers_are_registered_with_their_sides() -> None:
    assert provider("vtiger").side == "crm" and provider("constantcontact").side == "cc"
    assert "vtiger" in names("crm") and "constantcontact" in names("cc")
    assert "vtiger" not in names("cc")


def test_unknown_provider_or_wrong_side_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown connector provider 'nope'.*vtiger"):
        provider("nope")
    with pytest.raises(ConfigError, match="plays the crm side, not cc"):
        provider("vtiger", "cc")


def test_a_registered_provider_builds_its_connector() -> None:
    server = MemoryCrm()
    register(Provider("memory-test", "crm", lambda ctx: MemoryConnector(server)))
    try:
        found = provider("memory-test", "crm")
        assert found.name == "memory-test" and "memory-test" in names("crm")
    finally:
        unregister("memory-test")
    assert "memory-test" not in names()


def test_each_connector_declares_its_capabilities(
    vtiger: VtigerConnector, cc: ConstantContactConnector
) -> None:
    assert isinstance(vtiger, Connector) and isinstance(cc, Connector)
    assert _declared(vtiger) == {"BulkWrites", "HiddenRecords", "ServerClock", "StateAfterWrites"}
    assert _declared(cc) == {
        "AccountInfo", "BulkDelete", "BulkImport", "FullReplace", "ScopeFilter",
        "StateAfterWrites", "TargetList",
    }  # fmt: skip
    memory = MemoryConnector(MemoryCrm())
    assert isinstance(memory, Connector) and _declared(memory) == set()


def test_without_capabilities_state_is_stored_as_read_and_missing_means_deleted() -> None:
    memory = MemoryConnector(MemoryCrm())
    assert state_after(memory, '{"seq": 3}', WrittenIds(created=["m-9"])) == '{"seq": 3}'
    assert sees_all(memory)


def test_vtiger_state_after_writes_is_with_written(vtiger: VtigerConnector) -> None:
    raw = VtigerState(who="a", watermark=100, inventory=[3], prefix="12").dump()
    written = WrittenIds(created=["12x20"], deleted=["12x3"], touched=["12x4"])
    after = state_after(vtiger, raw, written)
    assert after == with_written(raw, ["12x20"], ["12x3"], ["12x4"])
    assert json.loads(after)["inventory"] == [20]


def test_schema_lengths_fill_in_what_the_fields_do_not_say() -> None:
    schema = Schema(
        {"a": FieldInfo("a", "A", max_length=5), "b": FieldInfo("b", "B")}, lengths={"b": 7, "c": 9}
    )
    assert [schema.max_length(n) for n in ("a", "b", "c", "d")] == [5, 7, 9, None]
