"""Choosing serials: lowest first, spread under contention, never more than asked."""

from __future__ import annotations

import random

from carbonneutral.domain.projects import SerialRange, overlapping, take, take_spread
from hypothesis import given, settings
from hypothesis import strategies as st


def blocks_from(sizes: list[int]) -> list[SerialRange]:
    out, first = [], 1
    for size in sizes:
        out.append(SerialRange(first=first, last=first + size - 1))
        first += size + 3  # gaps between blocks
    return out


def test_take_uses_the_lowest_serials_and_splits_the_last_block() -> None:
    picked = take([SerialRange(first=11, last=20), SerialRange(first=1, last=5)], 8)
    assert [part for _, part in picked] == [SerialRange(first=1, last=5), SerialRange(first=11, last=13)]


def test_take_gives_nothing_when_there_is_not_enough() -> None:
    assert take([SerialRange(first=1, last=5)], 6) == []


@settings(max_examples=200)
@given(st.lists(st.integers(1, 50), min_size=1, max_size=10), st.integers(1, 60), st.integers(0, 2**32))
def test_any_choice_takes_exactly_the_quantity_from_inside_available_blocks(sizes, quantity, seed) -> None:
    available = blocks_from(sizes)
    for picked in (take(available, quantity), take_spread(available, quantity, random.Random(seed))):
        if sum(sizes) < quantity:
            assert picked == []
            continue
        parts = [part for _, part in picked]
        assert sum(p.size for p in parts) == quantity
        assert overlapping(parts, []) == []
        for block, part in picked:
            assert block in available and block.first <= part.first and part.last <= block.last


def test_overlaps_are_found_among_new_blocks_and_against_issued_ones() -> None:
    issued = [SerialRange(first=1, last=100)]
    assert overlapping([SerialRange(first=101, last=200)], issued) == []
    assert overlapping([SerialRange(first=100, last=100)], issued)
    assert overlapping([SerialRange(first=200, last=300), SerialRange(first=300, last=301)], issued)
