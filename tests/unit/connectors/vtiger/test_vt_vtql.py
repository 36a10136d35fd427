"""VTQL building: quoting, owner distribution over OR, keyset pages, ids."""

from __future__ import annotations

import pytest

from ccsync.connectors.vtiger import vtql
from ccsync.connectors.vtiger.changes import keyset_query
from ccsync.errors import SkippableRecordError


def test_literal_doubles_single_quotes() -> None:
    assert vtql.literal("O'Brien & Sons <test>") == "'O''Brien & Sons <test>'"


def test_cond_rejects_injected_column_and_operator() -> None:
    with pytest.raises(ValueError):
        vtql.cond("email; DROP", "=", "x")
    with pytest.raises(ValueError):
        vtql.cond("email", "OR", "x")


def test_select_distributes_owner_over_alternatives() -> None:
    query = vtql.select(
        "Contacts",
        where=[["a = '1'"], ["b = '2'", "c = '3'"]],
        also=["assigned_user_id = '19x1'"],
        order_by="id",
    )
    assert query == (
        "SELECT * FROM Contacts WHERE a = '1' AND assigned_user_id = '19x1' OR "
        "b = '2' AND c = '3' AND assigned_user_id = '19x1' ORDER BY id LIMIT 100;"
    )
    assert "(" not in query.replace("count(*)", "")


def test_select_count_without_limit() -> None:
    query = vtql.select("Contacts", columns="count(*)", also=["x = '1'"], limit=None)
    assert query == "SELECT count(*) FROM Contacts WHERE x = '1';"


def test_keyset_query_matches_the_reference_shape() -> None:
    query = keyset_query(None, ("2026-11-26 20:40:26", "12x40"), "19x5")
    assert query == (
        "SELECT * FROM Contacts WHERE modifiedtime > '2026-11-26 20:40:26' AND "
        "assigned_user_id = '19x5' OR modifiedtime = '2026-11-26 20:40:26' AND id > '12x40' "
        "AND assigned_user_id = '19x5' ORDER BY modifiedtime, id LIMIT 100;"
    )


def test_first_keyset_page_of_all_contacts_has_no_where() -> None:
    assert keyset_query(None, None, None) == (
        "SELECT * FROM Contacts ORDER BY modifiedtime, id LIMIT 100;"
    )


def test_in_list_and_ids() -> None:
    assert vtql.in_list("id", ["12x3", "12x4"]) == "id IN ('12x3','12x4')"
    assert vtql.ws_id("12", 345) == "12x345"
    assert vtql.split_id("12x345") == ("12", 345)
    with pytest.raises(SkippableRecordError) as info:
        vtql.split_id("345")
    assert info.value.reason == "invalid_id"
