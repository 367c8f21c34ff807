"""Composition root: wires settings, stores and domain services, once per process."""

from __future__ import annotations

from functools import cache

from carbonneutral.domain.factors import load_factor_set
from carbonneutral.domain.footprints import FootprintService
from carbonneutral.settings import get_settings
from carbonneutral.store.footprints import DynamoFootprintRepository
from carbonneutral.store.renders import RenderStore
from carbonneutral.store.scenes import DynamoSceneRepository


@cache
def scene_repository() -> DynamoSceneRepository:
    return DynamoSceneRepository(get_settings().table_name)


@cache
def footprint_service() -> FootprintService:
    settings = get_settings()
    return FootprintService(
        scene_repository(),
        DynamoFootprintRepository(settings.table_name),
        load_factor_set(settings.factor_set),
    )


@cache
def render_store() -> RenderStore:
    return RenderStore(get_settings().bucket_name)


def reset() -> None:
    """Forget cached wiring (tests that change the environment call this)."""
    for fn in (scene_repository, footprint_service, render_store, get_settings):
        fn.cache_clear()
