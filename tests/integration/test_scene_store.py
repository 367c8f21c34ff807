"""Scenes in DynamoDB Local: seeded, read, listed by kind and searched, page by page."""

from __future__ import annotations

import pytest
from carbonneutral.domain.scenes import SceneKind
from carbonneutral.errors import InvalidCursor, NotConfigured
from carbonneutral.store.scenes import DynamoSceneRepository

pytestmark = pytest.mark.integration


@pytest.fixture
def scenes(stack) -> DynamoSceneRepository:
    return DynamoSceneRepository(stack.table, stack.dynamodb_client(), cursor_key=lambda: "k" * 43)


def test_demo_conference_is_seeded_with_its_calculator(scenes: DynamoSceneRepository) -> None:
    scene = scenes.get("cdcnf-2021")
    assert scene is not None
    assert scene.name.en == "First China Digital Carbon Neutrality Forum"
    assert scene.city.en == "Chengdu" and str(scene.starts_on) == "2021-09-07"
    flight = next(f for f in scene.calculator if f.type == "flight")
    assert flight.defaults["to"] == "CTU"


def test_every_scene_kind_but_other_has_a_demo(scenes: DynamoSceneRepository) -> None:
    listed, _ = scenes.list(limit=100)
    assert {s.kind for s in listed} >= set(SceneKind) - {SceneKind.other}


def test_list_by_kind_returns_only_that_kind(scenes: DynamoSceneRepository) -> None:
    listed, _ = scenes.list(kind=SceneKind.restaurant, limit=100)
    assert "demo-panda-kitchen" in {s.scene_id for s in listed}
    assert {s.kind for s in listed} == {SceneKind.restaurant}


@pytest.mark.parametrize("query", ["PANDA", "熊猫", "chengdu"])
def test_search_matches_names_and_cities_in_both_languages(scenes: DynamoSceneRepository, query: str) -> None:
    listed, _ = scenes.list(query=query.lower() if query.isascii() else query)
    assert listed and all(
        query.lower() in (s.name.en + s.name.zh_cn + s.city.en + s.city.zh_cn).lower() for s in listed
    )


def test_pages_cover_the_catalogue_once(scenes: DynamoSceneRepository) -> None:
    everything, _ = scenes.list(limit=100)
    seen, cursor = [], None
    while True:
        page, cursor = scenes.list(limit=2, cursor=cursor)
        assert len(page) <= 2
        seen += [s.scene_id for s in page]
        if not cursor:
            break
    assert seen == [s.scene_id for s in everything]


def test_a_forged_cursor_is_refused(scenes: DynamoSceneRepository) -> None:
    with pytest.raises(InvalidCursor) as err:
        scenes.list(cursor="eyJQSyI6IDF9")
    assert (err.value.status, err.value.field, err.value.location) == (400, "cursor", "query")


def test_a_repository_without_a_cursor_key_pages_nothing_but_lists_a_single_page(stack) -> None:
    keyless = DynamoSceneRepository(stack.table, stack.dynamodb_client())
    assert keyless.list(limit=100)[0]
    with pytest.raises(NotConfigured, match="cursor-key"):
        keyless.list(limit=1)
