"""Import batching by serialised bytes and rows; delete chunks."""

from __future__ import annotations

import math

import pytest

from ccsync.connectors.constantcontact.bulk import (
    MAX_IMPORT_BYTES,
    batches,
    body_size,
    chunks,
    row_problem,
)

LISTS = ["5ff5a4b4-1f2c-11ee-9d2e-fa163e6b01c1"]


def _rows(n: int, pad: int = 0) -> list[dict[str, str]]:
    return [
        {
            "email": f"person{i}@example.com",
            "first_name": "Ann" + "é" * (i % 7 + pad),
            "city": "Köln",
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("max_bytes", [600, 1500, 10_000, 10**9])
def test_batches_fit_the_byte_limit_and_keep_every_row(max_bytes: int) -> None:
    rows = _rows(400)
    found = list(batches(rows, LISTS, max_bytes=max_bytes))
    assert [r for b in found for r in b.rows] == rows
    for batch in found:
        assert batch.size == body_size(batch.rows, LISTS)  # counted bytes are the sent bytes
        assert batch.size <= max_bytes
    total = body_size(rows, LISTS)
    assert len(found) >= math.ceil(total / max_bytes)
    # greedy filling: every batch but the last would overflow with the next batch's first row
    for batch, nxt in zip(found, found[1:], strict=False):
        assert body_size([*batch.rows, nxt.rows[0]], LISTS) > max_bytes


def test_batches_respect_the_row_limit() -> None:
    found = list(batches(_rows(25), LISTS, max_rows=10))
    assert [len(b.rows) for b in found] == [10, 10, 5]


def test_multibyte_characters_count_as_bytes() -> None:
    rows = [{"email": f"u{i}@example.com", "first_name": "€" * 40} for i in range(10)]
    found = list(batches(rows, LISTS, max_bytes=body_size(rows[:5], LISTS)))
    assert [len(b.rows) for b in found] == [5, 5]


def test_real_limit_for_a_realistic_load() -> None:
    rows = _rows(40_001)
    found = list(batches(rows, LISTS))
    assert all(len(b.rows) <= 40_000 and b.size <= MAX_IMPORT_BYTES for b in found)
    assert sum(len(b.rows) for b in found) == 40_001


def test_a_row_too_big_alone_is_refused() -> None:
    with pytest.raises(ValueError, match="alone exceeds"):
        list(batches([{"email": "a@example.com", "notes": "x" * 1000}], LISTS, max_bytes=500))


def test_row_problems() -> None:
    assert row_problem({"email": "a@example.com"}) is None
    assert row_problem({"first_name": "No Email"}) == "import row without email"
    assert "50" in str(row_problem({"email": "x" * 45 + "@example.com"}))


def test_delete_chunks_of_500() -> None:
    ids = [str(i) for i in range(1201)]
    parts = list(chunks(ids))
    assert [len(p) for p in parts] == [500, 500, 201]
    assert [i for p in parts for i in p] == ids
