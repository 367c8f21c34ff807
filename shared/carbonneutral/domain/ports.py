"""The small storage interfaces the domain needs; the store package implements them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from carbonneutral.domain.footprints import Footprint
    from carbonneutral.domain.scenes import Scene, SceneKind


class SceneRepository(Protocol):
    def get(self, scene_id: str) -> Scene | None: ...
    def put(self, scene: Scene) -> None: ...
    def list(
        self,
        *,
        kind: SceneKind | None = None,
        query: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[Scene], str | None]: ...


class FootprintRepository(Protocol):
    def add(self, footprint: Footprint) -> None: ...
    def get(self, footprint_id: str) -> Footprint | None: ...
