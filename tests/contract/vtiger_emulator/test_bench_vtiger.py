"""Query speed over 100,000 contacts, in process (benchmark: excluded from CI)."""

from __future__ import annotations

import time

import pytest

from ccsync.emulators.vtiger import queryexec
from ccsync.emulators.vtiger.emulator import Emulator, Settings, UserSpec


@pytest.mark.bench
def test_queries_over_100k_contacts_are_fast() -> None:
    started = time.perf_counter()
    emulator = Emulator(Settings(seed_contacts=100_000, users=[UserSpec("sales1", "k", False)]))
    seeded = time.perf_counter() - started
    store = emulator.store
    stamp, crmid = store.by_mtime["Contacts"][50_000]
    keyset = (
        f"SELECT * FROM Contacts WHERE modifiedtime > '{stamp}' OR modifiedtime = '{stamp}' "
        f"AND id > '12x{crmid}' ORDER BY modifiedtime, id LIMIT 100;"
    )
    timings = {}
    for name, text, user in (
        ("keyset page, admin", keyset, "admin"),
        ("keyset page, non-admin", keyset, "sales1"),
        ("count(*), admin", "SELECT count(*) FROM Contacts;", "admin"),
        (
            "count over an id range",
            "SELECT count(*) FROM Contacts WHERE id >= '12x50000' AND id < '12x60000';",
            "admin",
        ),
    ):
        begin = time.perf_counter()
        rows = queryexec.run(store, store.users[user], text)
        timings[name] = (time.perf_counter() - begin) * 1000
        assert rows
    print(
        f"\nseed 100k: {seeded:.1f} s; " + "; ".join(f"{k}: {v:.1f} ms" for k, v in timings.items())
    )
    assert timings["keyset page, admin"] < 50
    assert timings["count(*), admin"] < 500
