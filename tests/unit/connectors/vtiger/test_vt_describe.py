"""The schema from describe and client-side write validation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ccsync.connectors.vtiger.describe import (
    SchemaCache,
    prepare_write,
    schema_from_describe,
    stored_length,
)
from ccsync.errors import SkippableRecordError

try:  # the test tree is importable as ``tests`` or (rootdir-relative) as its sub-packages
    from tests.support.paths import VTIGER_FIXTURES
except ImportError:  # pragma: no cover - depends on how pytest was invoked
    from support.paths import VTIGER_FIXTURES  # type: ignore[no-redef]

FIXTURES = VTIGER_FIXTURES


def _describe() -> dict[str, Any]:
    data = json.loads((FIXTURES / "describe_contacts.json").read_text())
    return data["response"]["body"]["result"]  # type: ignore[no-any-return]


def test_schema_from_the_real_describe() -> None:
    schema = schema_from_describe(_describe())
    assert schema.id_prefix == "12"
    assert sorted(schema.mandatory) == ["assigned_user_id", "lastname"]
    assert schema.fields["firstname"].max_length == 40
    assert schema.fields["lastname"].max_length == 80
    assert schema.fields["email"].max_length == 100
    assert schema.fields["email"].type == "email"
    assert schema.fields["lastname"].label == "Last Name"


def test_custom_field_takes_the_length_the_server_gives() -> None:
    describe = _describe()
    describe["fields"].append(
        {
            "name": "cf_853",
            "label": "External Ref",
            "mandatory": False,
            "type": {"name": "string", "length": 12},
        }
    )
    info = schema_from_describe(describe).fields["cf_853"]
    assert info.custom and info.max_length == 12


def test_over_long_value_is_skipped_with_a_precise_reason() -> None:
    schema = schema_from_describe(_describe())
    with pytest.raises(SkippableRecordError) as info:
        prepare_write({"lastname": "L", "firstname": "F" * 41}, schema, creating=False)
    assert info.value.reason == "value_too_long"
    assert info.value.message == "firstname is 41 characters; Vtiger keeps 40"


def test_emoji_count_four_characters_each() -> None:
    assert stored_length("Emo\U0001f600ji") == 9
    schema = schema_from_describe(_describe())
    with pytest.raises(SkippableRecordError):
        prepare_write({"firstname": "\U0001f600" * 10 + "x"}, schema, creating=False)


def test_mandatory_fields_on_create_and_clearing_on_update() -> None:
    schema = schema_from_describe(_describe())
    with pytest.raises(SkippableRecordError) as info:
        prepare_write({"firstname": "A", "assigned_user_id": "19x1"}, schema, creating=True)
    assert info.value.reason == "missing_mandatory"
    assert "lastname" in info.value.message
    with pytest.raises(SkippableRecordError):
        prepare_write({"lastname": ""}, schema, creating=False)
    element = prepare_write(
        {"lastname": "X", "emailoptout": True, "phone": None, "id": "12x1"}, schema, creating=False
    )
    assert element == {"lastname": "X", "emailoptout": "1", "phone": ""}


def test_unknown_field_is_skipped() -> None:
    schema = schema_from_describe(_describe())
    with pytest.raises(SkippableRecordError) as info:
        prepare_write({"cf_999": "x"}, schema, creating=False)
    assert info.value.reason == "unknown_field"


def test_schema_cache_persists_and_invalidates(tmp_path: Path) -> None:
    fetched: list[int] = []

    def fetch() -> dict[str, Any]:
        fetched.append(1)
        return _describe()

    path = tmp_path / "describe.json"
    assert SchemaCache(fetch, path).get().id_prefix == "12"
    assert SchemaCache(fetch, path).get().id_prefix == "12"
    assert len(fetched) == 1
    cache = SchemaCache(fetch, path)
    cache.invalidate()
    cache.get()
    assert len(fetched) == 2
    assert SchemaCache(fetch, path, ttl=-1).get().fields
    assert len(fetched) == 3
