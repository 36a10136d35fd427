"""The VTQL parser: grammar, precedence, caps and the real server's error messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccsync.emulators.vtiger.errors import VtigerError
from ccsync.emulators.vtiger.vtql import Condition, parse


def test_full_statement() -> None:
    query = parse(
        "select id, lastname FROM Contacts WHERE modifiedtime > '2026-01-01 00:00:00' OR "
        "modifiedtime = '2026-01-01 00:00:00' AND id > '12x40' ORDER BY modifiedtime, id "
        "DESC LIMIT 20, 500;"
    )
    assert (query.columns, query.module) == (["id", "lastname"], "Contacts")
    assert [len(group) for group in query.where] == [1, 2]  # AND binds tighter than OR
    assert query.where[1][1] == Condition("id", ">", ["12x40"])
    assert (query.order_by, query.descending) == (["modifiedtime", "id"], True)
    assert (query.offset, query.limit) == (20, 100)


def test_count_star_in_and_like() -> None:
    query = parse(
        "SELECT count(*) FROM Contacts WHERE id IN ('12x1','12x2') AND email LIKE '%@x%';"
    )
    assert query.count and query.where == [
        [Condition("id", "IN", ["12x1", "12x2"]), Condition("email", "LIKE", ["%@x%"])]
    ]


def test_limit_defaults_to_the_cap() -> None:
    assert parse("SELECT * FROM Contacts;").limit == 100
    assert parse("SELECT * FROM Contacts LIMIT 150;").limit == 100
    assert parse("SELECT * FROM Contacts LIMIT 7;").limit == 7


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "SELECT * FROM Contacts",
            "token 'Contacts' Unexpected End of Input(0), expected one of: SEMICOLON",
        ),
        (
            "SELECT id FROM Contacts WHERE (lastname = 'a' OR lastname = 'b');",
            "token '(' Unexpected PARENOPEN((), expected one of: COLUMNNAME",
        ),
        (
            "SELECT id, lastname FROM Contacts WHERE lastname = 'O\\'Brien & Sons <test>';",
            "token 'Brien' Unexpected COLUMNNAME(Brien), expected one of: SEMICOLON",
        ),
        (
            "SELECT id, External Ref FROM Contacts LIMIT 1;",
            "token 'Ref' Unexpected COLUMNNAME(Ref), expected one of: SELECT",
        ),
    ],
)
def test_syntax_errors_match_the_real_server(text: str, message: str) -> None:
    with pytest.raises(VtigerError) as caught:
        parse(text)
    assert caught.value.code == "QUERY_SYNTAX_ERROR"
    assert caught.value.message == "Syntax Error on line 1: " + message


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_doubled_quotes_round_trip(value: str) -> None:
    literal = value.replace("'", "''")
    query = parse(f"SELECT id FROM Contacts WHERE lastname = '{literal}';")
    assert query.where[0][0].values == [value]
