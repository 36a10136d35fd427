"""The mapping a connector's stored settings select (custom fields included)."""

from __future__ import annotations

import pytest

from ccsync.engine.config import ConnectorConfig
from ccsync.engine.mapping import cc_to_canonical, crm_to_canonical
from ccsync.engine.steps import mapping_of
from ccsync.errors import ConfigError


def test_custom_fields_of_the_settings_are_mapped_on_both_sides() -> None:
    custom = {"crm_field": "cf_853", "cc_id": "f-1", "cc_name": "tier", "direction": "both"}
    config = ConnectorConfig.from_keys(custom_fields=[custom])

    mapping = mapping_of(config)

    crm = crm_to_canonical({"lastname": "Lee", "cf_853": "gold"}, mapping)
    cc, _ = cc_to_canonical(
        {"last_name": "Lee", "custom_fields": [{"custom_field_id": "f-1", "value": "gold"}]},
        mapping,
    )
    assert crm["cf_853"] == "gold" and cc["cf_853"] == "gold"


def test_a_custom_field_with_an_unknown_direction_is_a_configuration_error() -> None:
    custom = {"crm_field": "cf_1", "cc_id": "f", "cc_name": "x", "direction": "sideways"}
    with pytest.raises(ConfigError, match="sideways"):
        mapping_of(ConnectorConfig.from_keys(custom_fields=[custom]))
