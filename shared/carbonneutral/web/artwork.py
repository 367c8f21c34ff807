"""A scene's printed matter: its QR code (PNG and SVG) and its A4 poster, kept in S3.

Each render's key carries what it is made from (the page URL, the scene), so a changed scene or
another public origin gets a new render.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Protocol

from carbonneutral.domain.ports import SceneRepository
from carbonneutral.domain.scenes import Scene
from carbonneutral.errors import NotFound
from carbonneutral.store.renders import render_key
from carbonneutral.web.html import render


class Renders(Protocol):
    def get_or_render(self, key: str, content_type: str, render: Callable[[], bytes]) -> bytes: ...


class SceneArtwork:
    def __init__(self, scenes: SceneRepository, renders: Renders) -> None:
        self._scenes, self._renders = scenes, renders

    def _scene(self, scene_id: str) -> Scene:
        scene = self._scenes.get(scene_id)
        if scene is None:
            raise NotFound(f"no scene {scene_id!r}")
        return scene

    @staticmethod
    def page_url(scene: Scene, base_url: str) -> str:
        return f"{base_url}/s/{scene.scene_id}"

    def qr_png(self, scene_id: str, base_url: str) -> bytes:
        from carbonneutral.qr import qr_png

        url = self.page_url(self._scene(scene_id), base_url)
        return self._renders.get_or_render(
            render_key(f"scenes/{scene_id}", "qr.png", url), "image/png", lambda: qr_png(url)
        )

    def qr_svg(self, scene_id: str, base_url: str) -> str:
        from carbonneutral.qr import qr_svg

        url = self.page_url(self._scene(scene_id), base_url)
        key = render_key(f"scenes/{scene_id}", "qr.svg", url)
        return self._renders.get_or_render(key, "image/svg+xml", lambda: qr_svg(url).encode()).decode()

    def poster(self, scene_id: str, base_url: str) -> str:
        """The A4 print page in Chinese, with the scene's QR code."""
        from carbonneutral.qr import qr_svg

        scene = self._scene(scene_id)
        url = self.page_url(scene, base_url)

        def make() -> bytes:
            qr = base64.b64encode(qr_svg(url).encode()).decode()
            return render("poster.html", "zh-CN", scene=scene, qr_svg_b64=qr, page_url=url).encode()

        key = render_key(f"scenes/{scene_id}", "poster.html", url, scene.model_dump_json())
        return self._renders.get_or_render(key, "text/html", make).decode()
