"""Leaderboards against DynamoDB Local: ranks agree with a brute-force ranking, whatever the data."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from carbonneutral.domain.ranking import SHARDS, entry_id_for, shard_of
from carbonneutral.store.leaderboards import INDEX_SHARDS, Leaderboards, board_key, index_key, index_shard_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import NOV, retired_order
from tests.journeys import record

pytestmark = pytest.mark.integration


@pytest.fixture
def boards(stack) -> Leaderboards:
    return Leaderboards(stack.table, stack.dynamodb_client())


def brute_force(totals: dict[str, int]) -> dict[str, int]:
    return {who: 1 + sum(1 for other in totals.values() if other > kg) for who, kg in totals.items()}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.integers(0, 9), st.sampled_from([1, 2, 3, 5, 8, 50, 61, 1000, 1005, 250_000])),
        min_size=1,
        max_size=25,
    )
)
def test_ranks_agree_with_a_brute_force_ranking(stack, boards, purchases) -> None:
    scene = "rank-" + secrets.token_hex(5)
    client = stack.dynamodb_client()
    people = [secrets.token_urlsafe(18) for _ in range(10)]
    totals: dict[str, int] = {}
    for who, kg in purchases:
        record(boards, client, retired_order(kg, name=f"P{who}", participant=people[who], scene_id=scene))
        entry = entry_id_for("individual", f"P{who}", people[who], "")
        totals[entry] = totals.get(entry, 0) + kg
    expected = brute_force(totals)
    top = boards.top(f"scene:{scene}", "individual", "all", 100)
    assert {e.entry_id: e.rank for e in top} == expected
    assert [e.kg for e in top] == sorted(totals.values(), reverse=True)
    ordered = sorted(totals, key=lambda e: (totals[e], e), reverse=True)
    for i, entry_id in enumerate(ordered):
        entry, above, below = boards.ranked_with_neighbours(f"scene:{scene}", "individual", "all", entry_id)
        assert entry.rank == expected[entry_id]
        assert (
            (above.entry_id, above.rank) == (ordered[i - 1], expected[ordered[i - 1]]) if i else above is None
        )
        assert (
            (below.entry_id, below.rank) == (ordered[i + 1], expected[ordered[i + 1]])
            if i + 1 < len(ordered)
            else below is None
        )


def test_a_persons_name_is_masked_unless_shown_in_full_and_each_name_keeps_its_own_entry(
    stack, boards
) -> None:
    scene, client, me = "names-" + secrets.token_hex(5), stack.dynamodb_client(), secrets.token_urlsafe(18)
    record(boards, client, retired_order(5, name="张三", participant=me, scene_id=scene))
    record(boards, client, retired_order(6, name="张三", participant=me, scene_id=scene))
    # the same browser buys for someone else: a second entry under that name, not a rename of the first
    record(boards, client, retired_order(4, name="李四光", participant=me, scene_id=scene, full_name=True))
    record(boards, client, retired_order(9, name="Green Co", kind="organization", scene_id=scene))
    record(boards, client, retired_order(2, name="王五", participant=me, scene_id=scene, hidden=True))
    people = boards.top(f"scene:{scene}", "individual", "all", 10)
    assert [(e.name, e.kg) for e in people] == [("张*", 11), ("李四光", 4), (None, 2)]
    assert [(e.name, e.kg) for e in boards.top(f"scene:{scene}", "organization", "all", 10)] == [
        ("Green Co", 9)
    ]
    # nothing public holds a masked or hidden person's full name
    found = client.scan(
        TableName=stack.table,
        FilterExpression="#type = :entry AND #name IN (:a, :b)",
        ExpressionAttributeNames={"#type": "type", "#name": "name"},
        ExpressionAttributeValues={
            ":entry": {"S": "leaderboard_entry"},
            ":a": {"S": "张三"},
            ":b": {"S": "王五"},
        },
    )
    assert found["Items"] == []


def test_ties_share_a_rank(stack, boards) -> None:
    scene, client = "ties-" + secrets.token_hex(5), stack.dynamodb_client()
    for kg in (10, 7, 7, 3):
        record(boards, client, retired_order(kg, participant=secrets.token_urlsafe(18), scene_id=scene))
    assert [e.rank for e in boards.top(f"scene:{scene}", "individual", "all", 10)] == [1, 2, 2, 4]


def test_repeat_neutralizations_by_one_person_or_organization_add_up(stack, boards) -> None:
    scene, client, me = "repeat-" + secrets.token_hex(5), stack.dynamodb_client(), secrets.token_urlsafe(18)
    record(boards, client, retired_order(5, participant=me, scene_id=scene))
    record(boards, client, retired_order(6, participant=me, scene_id=scene))
    record(boards, client, retired_order(4, name="Green  Co", kind="organization", scene_id=scene))
    record(boards, client, retired_order(4, name="green co", kind="organization", scene_id=scene))
    assert [(e.kg, e.rank) for e in boards.top(f"scene:{scene}", "individual", "all", 10)] == [(11, 1)]
    assert [e.kg for e in boards.top(f"scene:{scene}", "organization", "all", 10)] == [8]


def test_monthly_boards_roll_over_and_all_time_keeps_everything(stack, boards) -> None:
    scene, client, me = "month-" + secrets.token_hex(5), stack.dynamodb_client(), secrets.token_urlsafe(18)
    record(boards, client, retired_order(5, participant=me, scene_id=scene, when=NOV))
    record(boards, client, retired_order(7, participant=me, scene_id=scene, when=NOV + timedelta(days=15)))
    assert [e.kg for e in boards.top(f"scene:{scene}", "individual", "2026-11", 10)] == [5]
    assert [e.kg for e in boards.top(f"scene:{scene}", "individual", "2026-12", 10)] == [7]
    assert [e.kg for e in boards.top(f"scene:{scene}", "individual", "all", 10)] == [12]


def test_hidden_names_stay_hidden(stack, boards) -> None:
    scene, client = "hidden-" + secrets.token_hex(5), stack.dynamodb_client()
    record(
        boards,
        client,
        retired_order(
            9, name="Secret Person", hidden=True, participant=secrets.token_urlsafe(18), scene_id=scene
        ),
    )
    (entry,) = boards.top(f"scene:{scene}", "individual", "all", 10)
    assert entry.name is None


def test_the_global_board_counts_every_scene(stack, boards) -> None:
    me, client = secrets.token_urlsafe(18), stack.dynamodb_client()
    record(boards, client, retired_order(3, participant=me, scene_id="global-a-" + secrets.token_hex(3)))
    record(boards, client, retired_order(4, participant=me))
    entry = boards.entry("global", "individual", "all", entry_id_for("individual", "x", me, ""))
    assert entry.kg == 7


def _people_in_each_index_shard(each: int = 1) -> list[str]:
    """Participants whose entries fall on each of the index's shards, `each` per shard, in shard order."""
    found: dict[int, list[str]] = {shard: [] for shard in range(INDEX_SHARDS)}
    while any(len(people) < each for people in found.values()):
        me = secrets.token_urlsafe(18)
        shard = index_shard_of(entry_id_for("individual", "x", me, ""))
        if len(found[shard]) < each:
            found[shard].append(me)
    return [me for shard in range(INDEX_SHARDS) for me in found[shard]]


def _index_keys(client, table: str, board: str) -> dict[str, str]:
    """Each entry of a scene's all-time individual board, with its GSI2 partition key."""
    items = []
    for shard in range(SHARDS):
        items += client.query(
            TableName=table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"LB#{board}#individual#all#{shard}"}},
        )["Items"]
    return {item["entry_id"]["S"]: item["GSI2PK"]["S"] for item in items}


def test_a_boards_entries_are_spread_over_the_index_shards_and_merged_in_order(stack, boards) -> None:
    """Each entry sorts under its shard's GSI2 key (no key takes every retirement of a board), and the
    top and an entry's neighbours come out of all of them in score order."""
    scene, client = "spread-" + secrets.token_hex(5), stack.dynamodb_client()
    people = _people_in_each_index_shard()
    for kg, me in zip((3, 9, 5, 7), people, strict=True):
        record(boards, client, retired_order(kg, participant=me, scene_id=scene))
    ids = [entry_id_for("individual", "x", me, "") for me in people]
    board = f"scene:{scene}"
    assert _index_keys(client, stack.table, board) == {
        entry_id: index_key(board, "individual", "all", shard) for shard, entry_id in enumerate(ids)
    }
    assert len({index_key(board, "individual", "all", k) for k in range(INDEX_SHARDS)}) == INDEX_SHARDS
    top = boards.top(board, "individual", "all", 3)
    assert [(e.entry_id, e.kg, e.rank) for e in top] == [(ids[1], 9, 1), (ids[3], 7, 2), (ids[2], 5, 3)]
    entry, above, below = boards.ranked_with_neighbours(board, "individual", "all", ids[2])
    assert (entry.rank, above.entry_id, above.rank, below.entry_id, below.rank) == (3, ids[3], 2, ids[0], 4)


def test_the_index_shards_merge_into_one_order_with_ties_and_neighbours_across_them(stack, boards) -> None:
    """Two entries in each index shard, two of them tied in different shards: the top, each entry's rank
    and its neighbours are those of the whole board sorted by score (ties by entry id, as the index)."""
    scene, client = "merge-" + secrets.token_hex(5), stack.dynamodb_client()
    people = _people_in_each_index_shard(2)
    kgs = (3, 1, 9, 5, 5, 2, 7, 6)  # shards 0, 0, 1, 1, 2, 2, 3, 3: the two 5s in shards 1 and 2
    totals = {}
    for kg, me in zip(kgs, people, strict=True):
        record(boards, client, retired_order(kg, participant=me, scene_id=scene))
        totals[entry_id_for("individual", "x", me, "")] = kg
    board, expected = f"scene:{scene}", brute_force(totals)
    ordered = sorted(totals, key=lambda e: (totals[e], e), reverse=True)
    top = boards.top(board, "individual", "all", 8)
    assert [(e.entry_id, e.rank) for e in top] == [(e, expected[e]) for e in ordered]
    assert [e.entry_id for e in boards.top(board, "individual", "all", 4)] == ordered[:4]
    for i, entry_id in enumerate(ordered):
        entry, above, below = boards.ranked_with_neighbours(board, "individual", "all", entry_id)
        assert entry.rank == expected[entry_id]
        assert (above.entry_id if above else None) == (ordered[i - 1] if i else None)
        assert (below.entry_id if below else None) == (ordered[i + 1] if i + 1 < len(ordered) else None)


def test_an_entry_the_index_shows_twice_while_it_moves_is_listed_once_and_never_its_own_neighbour(
    stack, boards
) -> None:
    """On AWS the index moves an entry whose key changes as a delete and a put, which a query can see
    half done: the entry at its old score under one key and its new score under another. (DynamoDB
    Local updates its index at once, so the old copy is put here by hand.)"""
    scene, client = "moving-" + secrets.token_hex(5), stack.dynamodb_client()
    third, first, second = _people_in_each_index_shard()[:3]  # the lowest in shard 0, with the old copy
    for kg, me in ((9, first), (6, second), (3, third)):
        record(boards, client, retired_order(kg, participant=me, scene_id=scene))
    board = f"scene:{scene}"
    mine, above_me, below_me = (entry_id_for("individual", "x", me, "") for me in (second, first, third))
    ghost = {"PK": {"S": f"GHOST#{mine}"}, "SK": {"S": "E"}}
    client.put_item(
        TableName=stack.table,
        Item={
            **ghost,
            "entry_id": {"S": mine},
            "name": {"S": "x"},
            "kg": {"N": "4"},
            "GSI2PK": {"S": index_key(board, "individual", "all", 0)},
            "GSI2SK": {"S": f"{4:015d}#{mine}"},
        },
    )
    try:
        assert [(e.entry_id, e.kg) for e in boards.top(board, "individual", "all", 10)] == [
            (above_me, 9),
            (mine, 6),
            (below_me, 3),
        ]
        _, above, below = boards.ranked_with_neighbours(board, "individual", "all", mine)
        assert (above.entry_id, below.entry_id) == (above_me, below_me)
    finally:
        client.delete_item(TableName=stack.table, Key=ghost)


def test_an_entry_from_before_the_index_was_sharded_is_read_and_moves_with_its_next_order(
    stack, boards
) -> None:
    """Entries written before the shards sort under the board's own key, which is shard 0's: they are
    in the top and among the neighbours as before, and move to their own shard's key when they next
    change."""
    scene, client = "legacy-" + secrets.token_hex(5), stack.dynamodb_client()
    first, other = _people_in_each_index_shard()[1:3]
    record(boards, client, retired_order(8, participant=first, scene_id=scene))
    record(boards, client, retired_order(5, participant=other, scene_id=scene))
    board, mine = f"scene:{scene}", entry_id_for("individual", "x", first, "")
    client.update_item(  # as written before: under the board's unsharded key
        TableName=stack.table,
        Key={"PK": {"S": f"LB#{board}#individual#all#{shard_of(mine)}"}, "SK": {"S": f"E#{mine}"}},
        UpdateExpression="SET GSI2PK = :board",
        ExpressionAttributeValues={":board": {"S": board_key(board, "individual", "all")}},
    )
    assert _index_keys(client, stack.table, board)[mine] == board_key(board, "individual", "all")
    theirs = entry_id_for("individual", "x", other, "")
    assert [(e.entry_id, e.kg) for e in boards.top(board, "individual", "all", 10)] == [
        (mine, 8),
        (theirs, 5),
    ]
    _, above, _ = boards.ranked_with_neighbours(board, "individual", "all", theirs)
    assert (above.entry_id, above.rank) == (mine, 1)
    record(boards, client, retired_order(1, participant=first, scene_id=scene))
    assert _index_keys(client, stack.table, board)[mine] == index_key(board, "individual", "all", 1)
    assert [(e.entry_id, e.kg) for e in boards.top(board, "individual", "all", 10)] == [
        (mine, 9),
        (theirs, 5),
    ]


def test_scene_rating_is_the_neutralized_share_of_what_the_organizer_declared(stack, boards, invoke) -> None:
    from carbonneutral.store.scenes import DynamoSceneRepository

    repo = DynamoSceneRepository(stack.table, stack.dynamodb_client())
    scene_id = "rating-" + secrets.token_hex(5)
    declared = {"expected_attendance": 2, "per_participant_kg": 107, "event_footprint_kg": 214}
    repo.put(repo.get("cdcnf-2021").model_copy(update={"scene_id": scene_id, **declared}))
    for _ in range(2):  # 2 x (107 kg hotel) = 214 kg of footprints
        assert (
            invoke(
                "POST",
                "/v1/footprints",
                json_body={
                    "kind": "scene",
                    "scene_id": scene_id,
                    "activities": [{"type": "hotel", "nights": 2}],
                },
            ).status
            == 201
        )
    client = stack.dynamodb_client()
    claim = retired_order(
        107,
        participant=secrets.token_urlsafe(18),
        scene_id=scene_id,
        footprint_g=106_600,
        counts_as="participants",
    )
    record(boards, client, claim)
    rating = invoke("GET", f"/v1/scenes/{scene_id}/rating").json()  # 106.6 of 2 x 107 + 214 = 428 kg
    assert (rating["footprint_kg"], rating["target_kg"], rating["participants_kg"], rating["level"]) == (
        214.0,
        428.0,
        106.6,
        "none",
    )
    organizer = retired_order(
        214, name="Organizer", kind="organization", role="organizer", scene_id=scene_id, counts_as="organizer"
    )
    record(boards, client, organizer)
    rating = invoke("GET", f"/v1/scenes/{scene_id}/rating").json()
    assert (rating["organizer_kg"], rating["neutralized_kg"], rating["level"]) == (214.0, 320.6, "silver")


def test_leaderboard_routes(stack, boards, invoke) -> None:
    scene, client, me = "routes-" + secrets.token_hex(5), stack.dynamodb_client(), secrets.token_urlsafe(18)
    from carbonneutral.store.scenes import DynamoSceneRepository

    scenes = DynamoSceneRepository(stack.table, client)
    scenes.put(scenes.get("cdcnf-2021").model_copy(update={"scene_id": scene}))  # a board needs its scene
    top_id = secrets.token_urlsafe(18)
    record(boards, client, retired_order(20, name="Top", participant=top_id, scene_id=scene))
    record(boards, client, retired_order(10, name="Me", participant=me, scene_id=scene))
    top = invoke("GET", f"/v1/leaderboards/scene:{scene}?entity=individual&limit=5").json()
    assert [(e["rank"], e["name"], e["kg"]) for e in top["entries"]] == [(1, "T**", 20), (2, "M*", 10)]
    mine = entry_id_for("individual", "Me", me, "")
    ranked = invoke("GET", f"/v1/leaderboards/scene:{scene}/entries/{mine}").json()
    assert ranked["entry"]["rank"] == 2 and ranked["above"]["name"] == "T**" and ranked["below"] is None
    assert invoke("GET", f"/v1/leaderboards/scene:{scene}/entries/p_AAAAAAAAAAAAAAAAAAAAAAAA").status == 404
    assert invoke("GET", "/v1/leaderboards/nonsense").status == 422
    assert invoke("GET", "/v1/leaderboards/global?period=2026-13").status == 422
    page = invoke(
        "GET", f"/leaderboard/scene:{scene}?lang=en", headers={"Cookie": f"participant={me}"}
    ).body.decode()
    assert 'class="me" aria-current="true"' in page and "M*" in page
    assert "2 taking part" in page and "You are ahead of 0% of the others here." in page
    top_page = invoke(
        "GET", f"/leaderboard/scene:{scene}?lang=en", headers={"Cookie": f"participant={top_id}"}
    )
    assert "You are ahead of 100% of the others here." in top_page.body.decode()
