"""The closed choices of a connector's sync settings, each defined once.

The engine's settings (``engine.config``), the planner's inputs (``engine.plan_types``), the
mapping rows and the web forms all type their fields with these literals; the tuples list the
allowed values in the order the forms offer them::

    direction: Direction = "both"
    assert "crm_to_cc" in DIRECTIONS
"""

from __future__ import annotations

from typing import Literal, get_args

# Which way a connector, or one mapping row, syncs.
Direction = Literal["both", "crm_to_cc", "cc_to_crm"]
# Which side wins when both changed a field (sync rule: newest change, or a fixed side).
ConflictPolicy = Literal["newest", "crm", "cc"]
# What a Vtiger deletion does in Constant Contact.
CrmDeletePolicy = Literal["mirror", "unlist", "ignore"]
# What a Constant Contact deletion does in Vtiger.
CcDeletePolicy = Literal["mirror", "ignore"]

DIRECTIONS: tuple[Direction, ...] = get_args(Direction)
CONFLICT_POLICIES: tuple[ConflictPolicy, ...] = get_args(ConflictPolicy)
CRM_DELETE_POLICIES: tuple[CrmDeletePolicy, ...] = get_args(CrmDeletePolicy)
CC_DELETE_POLICIES: tuple[CcDeletePolicy, ...] = get_args(CcDeletePolicy)
