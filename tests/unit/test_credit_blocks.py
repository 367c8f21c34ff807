"""Choosing serials: lowest first, spread under contention, never more than asked."""

from __future__ import annotations

import itertools
import random

from carbonneutral.domain.projects import SerialRange, overlapping, pooled, take, take_largest, take_spread
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


def test_take_largest_starts_from_the_biggest_blocks_and_takes_no_more_blocks_than_allowed() -> None:
    scattered = [SerialRange(first=i * 10 + 1, last=i * 10 + 2) for i in range(5)]  # five of 2 kg
    big = SerialRange(first=1001, last=1100)
    picked = take_largest([*scattered, big], 101, max_blocks=3)
    assert picked == [(big, big), (scattered[0], SerialRange(first=1, last=1))]
    assert take_largest(scattered, 6, max_blocks=2) == []  # the two largest hold 4 kg
    assert [part for _, part in take_largest(scattered, 6, max_blocks=3)] == scattered[:3]


@settings(max_examples=200)
@given(st.lists(st.integers(1, 50), min_size=1, max_size=10), st.integers(1, 60), st.integers(0, 2**32))
def test_any_choice_takes_exactly_the_quantity_from_inside_available_blocks(sizes, quantity, seed) -> None:
    available = blocks_from(sizes)
    for picked in (
        take(available, quantity),
        take_spread(available, quantity, random.Random(seed)),
        take_largest(available, quantity, len(available)),
    ):
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


def r(first: int, last: int) -> SerialRange:
    return SerialRange(first=first, last=last)


def test_released_serials_join_the_available_blocks_they_touch() -> None:
    from carbonneutral.domain.projects import merged

    # between two available blocks: all three become one, under the lower block's key
    assert merged([r(11, 20)], [r(1, 10), r(21, 30)]) == [(r(1, 30), [r(1, 10), r(21, 30)])]
    # touching neither: put back as it is
    assert merged([r(11, 20)], [r(1, 9), r(22, 30)]) == [(r(11, 20), [])]
    # two released ranges that meet, and one apart
    assert merged([r(5, 6), r(7, 9), r(20, 25)], [r(26, 40)]) == [(r(5, 9), []), (r(20, 40), [r(26, 40)])]


@settings(max_examples=300)
@given(st.lists(st.integers(1, 9), min_size=2, max_size=24), st.integers(0, 2**32))
def test_joining_keeps_every_serial_once_and_leaves_no_two_blocks_that_meet(sizes, seed) -> None:
    from carbonneutral.domain.projects import merged

    rng = random.Random(seed)
    cuts, first = [], 1
    for size in sizes:  # consecutive ranges, each released, available or neither (retired)
        cuts.append((r(first, first + size - 1), rng.choice(["released", "available", "retired"])))
        first += size
    released = [c for c, kind in cuts if kind == "released"]
    available = [c for c, kind in cuts if kind == "available"]
    joined = merged(released, available)
    untouched = [b for b in available if all(b not in absorbed for _, absorbed in joined)]
    after = sorted([j for j, _ in joined] + untouched, key=lambda b: b.first)
    assert sum(b.size for b in after) == sum(b.size for b in released + available)
    joined_ranges = [j for j, _ in joined]
    for a, b in itertools.pairwise(after):  # a joined range meets no other block
        assert a.last + 1 < b.first or (a not in joined_ranges and b not in joined_ranges)
    for j, absorbed in joined:
        assert all(j.first <= b.first and b.last <= j.last for b in absorbed)


def test_with_enough_blocks_contention_takes_a_blocks_start_and_splits_none() -> None:
    from carbonneutral.domain.projects import SPREAD_BLOCKS

    many = blocks_from([20] * SPREAD_BLOCKS)
    for seed in range(50):
        [(block, part)] = take_spread(many, 7, random.Random(seed))
        assert part == r(block.first, block.first + 6)  # the block shrinks; no new block is made
    few = blocks_from([1000])  # one block: a stretch inside it, to make blocks to spread over
    starts = {take_spread(few, 7, random.Random(seed))[0][1].first for seed in range(50)}
    assert len(starts) > 1 and starts != {1}


def test_a_small_issuance_stays_in_pool_zero_and_a_large_one_is_shared_out_in_serial_order() -> None:
    assert pooled([SerialRange(first=1, last=100)], 8, 10_000) == [(0, SerialRange(first=1, last=100))]
    assert pooled([SerialRange(first=1, last=80_000)], 8, 10_000) == [
        (k, SerialRange(first=k * 10_000 + 1, last=(k + 1) * 10_000)) for k in range(8)
    ]
    # 40 t make four pools of 10 t: the first block is cut twice, the second is a pool of its own
    assert pooled([SerialRange(first=1, last=30_000), SerialRange(first=50_001, last=60_000)], 8, 10_000) == [
        (0, SerialRange(first=1, last=10_000)),
        (1, SerialRange(first=10_001, last=20_000)),
        (2, SerialRange(first=20_001, last=30_000)),
        (3, SerialRange(first=50_001, last=60_000)),
    ]


@settings(max_examples=200)
@given(st.lists(st.integers(1, 5_000), min_size=1, max_size=90), st.integers(1, 8), st.integers(1, 3_000))
def test_pools_hold_every_issued_serial_once_in_about_equal_shares(sizes, pools, min_kg) -> None:
    issued = blocks_from(sizes)
    pieces = pooled(issued, pools, min_kg)
    total = sum(sizes)
    shares = max(1, min(pools, total // min_kg))
    assert len(pieces) <= len(issued) + shares - 1  # 90 blocks: at most 97 pieces in the transaction
    assert [k for k, _ in pieces] == sorted(k for k, _ in pieces)  # pools follow the serials
    assert {k for k, _ in pieces} == set(range(shares))
    assert all(any(block.first <= p.first and p.last <= block.last for block in issued) for _, p in pieces)
    assert sorted(s for _, p in pieces for s in range(p.first, p.last + 1)) == [
        s for block in issued for s in range(block.first, block.last + 1)
    ]
    held = [sum(p.size for k, p in pieces if k == pool) for pool in range(shares)]
    assert max(held) - min(held) <= 1


def test_a_stretch_taken_inside_a_large_block_starts_near_its_lowest_serials() -> None:
    """Issue 17: a stretch far up a large block would strand what is left around it, which lowest
    first never reaches; near the start, colliding buyers still get stretches of their own."""
    from carbonneutral.domain.projects import SPREAD_WINDOW

    huge = [SerialRange(first=1_000_001, last=2_000_000)]
    starts = {take_spread(huge, 7, random.Random(seed))[0][1].first for seed in range(200)}
    assert min(starts) >= 1_000_001 and max(starts) <= 1_000_000 + SPREAD_WINDOW * 7 - 6
    assert len(starts) > 100  # spread over the window, not all at its start
