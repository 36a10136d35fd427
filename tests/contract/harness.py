"""What the connector contract suite needs from each connector + emulator pair.

`tests/contract/test_connector_contract.py` runs the same tests against every harness:
Vtiger (webservice and restapi flavours) and Constant Contact (default, pessimistic and
optimistic emulator profiles). Each factory starts its emulator subprocess, builds a connector
against it, and fills in this harness.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ccsync.connectors.base import Connector


@dataclass
class ContractHarness:
    """A live connector plus the ways a test drives its provider from the outside.

    Attributes:
        connector: the connector under test, talking to a running emulator.
        sample: native fields of a new realistic record number ``i`` (unique email per ``i``).
        rename: native fields that change the record's first name to the given value.
        email_of: the primary email of a native record.
        first_name_of: the first name of a native record.
        remote_edit: change a record's first name as a person in the provider's own UI would.
        remote_delete: delete a record as a person in the provider's own UI would.
        advance_clock: move the emulator's clock forward by seconds.
        calls: remote requests the emulator has counted so far (all endpoints).
        close: stop everything the factory started.
    """

    connector: Connector
    sample: Callable[[int], dict[str, Any]]
    rename: Callable[[str], dict[str, Any]]
    email_of: Callable[[Mapping[str, Any]], str]
    first_name_of: Callable[[Mapping[str, Any]], str]
    remote_edit: Callable[[str, str], None]
    remote_delete: Callable[[str], None]
    advance_clock: Callable[[float], None]
    calls: Callable[[], int]
    close: Callable[[], None]
