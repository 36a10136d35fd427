"""Organisation names for account_id: batched id reads, a day's cache, exact-name links."""

from __future__ import annotations

from typing import Any

from ccsync.connectors.vtiger.accounts import AccountNames

ACCOUNTS = {f"11x{n}": f"Org {n}" for n in range(1, 251)} | {"11x900": "Twin", "11x901": "Twin"}


class FakeVtiger:
    """Answers the two Accounts queries the resolver sends, and counts them."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def __call__(self, sql: str) -> list[dict[str, Any]]:
        self.queries.append(sql)
        if " IN (" in sql:
            wanted = sql.split(" IN (", 1)[1].split(")", 1)[0].replace("'", "").split(",")
            return [{"id": i, "accountname": ACCOUNTS[i]} for i in wanted if i in ACCOUNTS]
        name = sql.split("accountname = '", 1)[1].rsplit("'", 1)[0].replace("''", "'")
        return [{"id": i, "accountname": n} for i, n in ACCOUNTS.items() if n == name]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_ids_are_read_in_batches_of_100_and_cached_for_a_day() -> None:
    vt, clock = FakeVtiger(), Clock()
    names = AccountNames(vt, clock)
    rows: list[dict[str, Any]] = [{"account_id": f"11x{n}"} for n in range(1, 251)]
    rows += [{"account_id": ""}, {"account_id": "11x7"}, {"account_id": "11x999"}]
    names.show(rows)
    assert len(vt.queries) == 3  # 251 distinct ids → 100 + 100 + 51
    assert rows[0]["account_id"] == "Org 1" and rows[-2]["account_id"] == "Org 7"
    assert rows[-3]["account_id"] == "" and rows[-1]["account_id"] == "", "never an id"

    again = AccountNames(vt, clock)
    again.load(names.dump())  # the next run, from the change-read state
    more = [{"account_id": "11x5"}, {"account_id": "11x999"}]
    again.show(more)
    assert len(vt.queries) == 3 and more[0]["account_id"] == "Org 5"
    clock.now += 86401
    stale = AccountNames(vt, clock)
    stale.load(names.dump())
    stale.show([{"account_id": "11x5"}])
    assert len(vt.queries) == 4, "older than a day: read again"


def test_a_name_links_only_the_one_organisation_with_exactly_that_name() -> None:
    vt = FakeVtiger()
    names = AccountNames(vt, Clock())
    assert names.id_of("Org 12") == "11x12"
    assert names.id_of("Org 12") == "11x12" and len(vt.queries) == 1, "cached"
    assert names.id_of("Twin") is None, "several: none is chosen"
    assert names.id_of("Nowhere") is None and names.id_of("") is None
    assert names.id_of("O'Hara") is None  # quotes are escaped, not a broken query
