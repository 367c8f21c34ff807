"""Rendered artefacts in S3. DynamoDB is the source of truth: a missing render is made again.

A render's key carries a digest of everything it is made from (its inputs, such as the public
URL in a QR code or the scene it shows, and the layer's own code and templates), so a changed
scene, a new PublicBaseUrl or a new deploy makes a new render instead of serving a stale one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from carbonneutral.errors import ServiceUnavailable
from carbonneutral.observability import logger
from carbonneutral.store import aws

_PACKAGE = Path(__file__).resolve().parent.parent
_RENDER_INPUTS = (".py", ".html", ".css", ".svg", ".js", ".mo")


@cache
def code_digest() -> str:
    """A digest of the package's own source, templates and catalogs (read once per process)."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*")):
        if path.suffix in _RENDER_INPUTS and "__pycache__" not in path.parts:
            digest.update(path.relative_to(_PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def render_key(folder: str, name: str, *inputs: str) -> str:
    """S3 key for a render of `name` made from `inputs`: folder/stem-<digest>.ext."""
    stem, _, ext = name.rpartition(".")
    digest = hashlib.sha256("\0".join((code_digest(), *inputs)).encode()).hexdigest()[:20]
    return f"{folder}/{stem}-{digest}.{ext}"


class RenderStore:
    def __init__(self, bucket: str, client: Any | None = None) -> None:
        self._bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws.s3()

    def get(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            answer = aws.call("renders", self.client.get_object, Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in {"NoSuchKey", "404"}:
                return None
            raise
        return answer["Body"].read()  # type: ignore[no-any-return]

    def put(self, key: str, content: bytes, content_type: str) -> None:
        aws.call(
            "renders",
            self.client.put_object,
            Bucket=self._bucket,
            Key=key,
            Body=content,
            ContentType=content_type,
            ServerSideEncryption="AES256",
        )

    def get_or_render(self, key: str, content_type: str, render: Callable[[], bytes]) -> bytes:
        """S3 is a cache: when it fails, the render is made from DynamoDB's data and served anyway."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            cached = self.get(key)
        except (ClientError, BotoCoreError, ServiceUnavailable) as exc:
            logger.warning(
                "render cache unreadable; rendering", extra={"key": key, "error": type(exc).__name__}
            )
            cached = None
        if cached is not None:
            return cached
        content = render()
        try:
            self.put(key, content, content_type)
        except (ClientError, BotoCoreError, ServiceUnavailable) as exc:
            logger.warning("render not cached", extra={"key": key, "error": type(exc).__name__})
        return content
