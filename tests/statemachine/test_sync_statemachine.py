"""Random interleavings of people's work, runs, faults and kills; the sync rules
(docs/sync-rules.md) checked at quiet points.

CI runs a fixed (derandomized) set of examples within its 120 s budget on a loaded 2-core
machine; ``pytest -m slow tests/statemachine`` runs 2,000 random examples by hand.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from statemachine.machine import Context, SyncMachine

pytestmark = pytest.mark.statemachine

CI = settings(
    max_examples=25,
    stateful_step_count=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    # a failure is reported as drawn: shrinking a whole-sync example can take minutes
    phases=[Phase.explicit, Phase.generate],
)
# by hand: STATEMACHINE_EXAMPLES splits the 2,000 over several processes (one per core, each
# with its own --hypothesis-seed); read at import, before the suite's clean environment
SLOW = settings(
    CI,
    max_examples=int(os.environ.get("STATEMACHINE_EXAMPLES", "2000")),
    stateful_step_count=15,
    derandomize=False,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)


@pytest.mark.timeout(300)
def test_sync_invariants_hold_in_a_harsh_world(machine_context: type[Context]) -> None:
    run_state_machine_as_test(SyncMachine, settings=CI)


@pytest.mark.slow
@pytest.mark.timeout(6 * 3600)
def test_sync_invariants_hold_in_a_harsh_world_longer(machine_context: type[Context]) -> None:
    run_state_machine_as_test(SyncMachine, settings=SLOW)
