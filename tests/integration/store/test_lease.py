"""The run lease on both dialects: refusal, takeover, renewal, and a race between processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from ccsync.store.lease import LeaseBusy, RunLease, default_holder, lease_busy

from . import workers
from .conftest import Db


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _pair(db: Db, clock: FakeClock) -> tuple[RunLease, RunLease]:
    one = RunLease(db.sessions, db.connector_id, "one", ttl=120, clock=clock)
    two = RunLease(db.sessions, db.connector_id, "two", ttl=120, clock=clock)
    return one, two


def test_second_holder_is_refused_while_live(db: Db) -> None:
    clock = FakeClock()
    one, two = _pair(db, clock)
    assert one.acquire()
    assert one.acquire()  # re-acquiring our own lease is fine
    clock.advance(119)
    assert not two.acquire()
    with pytest.raises(LeaseBusy), two:
        pass
    one.release()
    assert two.acquire()


def test_default_holders_are_unique() -> None:
    first, second = default_holder(), default_holder()
    assert first != second and first.split(":")[1] == second.split(":")[1]  # same pid


def test_takeover_after_expiry_and_loser_notices(db: Db) -> None:
    clock = FakeClock()
    one, two = _pair(db, clock)
    assert one.acquire()
    clock.advance(121)
    assert two.acquire()
    assert not one.renew()
    assert one.lost
    one.release()  # releasing a lease we lost leaves the new holder alone
    assert not one.acquire()


def test_renew_keeps_the_lease(db: Db) -> None:
    clock = FakeClock()
    one, two = _pair(db, clock)
    with one:
        for _ in range(5):
            clock.advance(100)
            assert one.renew()
            assert not two.acquire()
    assert two.acquire()  # released on exit


def test_keep_alive_renews_in_the_background(db: Db) -> None:
    one = RunLease(db.sessions, db.connector_id, "one", ttl=0.6)
    two = RunLease(db.sessions, db.connector_id, "two", ttl=0.6)
    with one, one.keep_alive(interval=0.1):
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:  # well past the TTL: still ours
            assert not two.acquire()
            time.sleep(0.1)  # the cadence of the check, not a wait for a server
        assert not one.lost
    assert two.acquire()


def test_two_processes_racing_exactly_one_wins(db: Db) -> None:
    barrier = workers.new_barrier(2)
    args = [(db.url, db.connector_id, name, barrier) for name in ("proc-a", "proc-b")]
    won = workers.run_processes(workers.race_for_lease, args)
    assert sorted(won) == [False, True]


def _dead_pid() -> int:
    """The id of a process that has just ended (and was reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(30)
    return proc.pid


def test_a_dead_holder_on_this_host_is_taken_over_at_once(db: Db) -> None:
    clock = FakeClock()
    here = socket.gethostname()
    dead = RunLease(db.sessions, db.connector_id, "dead", clock=clock, host=here, pid=_dead_pid())
    assert dead.acquire()
    assert lease_busy(db.sessions, db.connector_id, clock) is False

    mine = RunLease(db.sessions, db.connector_id, "mine", clock=clock)
    assert mine.acquire(), "no wait for the TTL: the holder's process is gone"
    assert not dead.renew() and dead.lost
    assert lease_busy(db.sessions, db.connector_id, clock) is True  # we are alive


def test_a_live_or_remote_holder_keeps_its_lease(db: Db) -> None:
    clock = FakeClock()
    alive = RunLease(db.sessions, db.connector_id, "alive", clock=clock, pid=os.getppid())
    assert alive.acquire()
    assert not RunLease(db.sessions, db.connector_id, "other", clock=clock).acquire()
    assert lease_busy(db.sessions, db.connector_id, clock)
    alive.release()

    far = "another-host.example"
    remote = RunLease(db.sessions, db.connector_id, "r", clock=clock, host=far, pid=_dead_pid())
    assert remote.acquire()
    assert not RunLease(db.sessions, db.connector_id, "other", clock=clock).acquire()
    assert lease_busy(db.sessions, db.connector_id, clock), "a pid on another host says nothing"
    clock.advance(121)
    assert not lease_busy(db.sessions, db.connector_id, clock)
    assert RunLease(db.sessions, db.connector_id, "other", clock=clock).acquire()
