"""Random interleavings of people's work, runs, faults and crashes; PRODUCT 3.4 at quiet points."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from statemachine.machine import Context, SyncMachine

pytestmark = pytest.mark.statemachine

CI = settings(
    max_examples=200,
    stateful_step_count=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
MORE = settings(CI, max_examples=1000, stateful_step_count=15, derandomize=False)


@pytest.mark.timeout(600)
def test_sync_invariants_hold_under_random_work(machine_context: type[Context]) -> None:
    run_state_machine_as_test(SyncMachine, settings=CI)


@pytest.mark.slow
@pytest.mark.timeout(7200)
def test_sync_invariants_hold_under_longer_random_work(machine_context: type[Context]) -> None:
    run_state_machine_as_test(SyncMachine, settings=MORE)
