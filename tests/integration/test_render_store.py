"""Rendered artefacts live in the local S3 and are made again when missing."""

from __future__ import annotations

import pytest
from carbonneutral.store.renders import RenderStore

pytestmark = pytest.mark.integration


def test_render_is_stored_then_served_from_s3(stack) -> None:
    store = RenderStore(stack.bucket, stack.s3_client())
    calls = []

    def render() -> bytes:
        calls.append(1)
        return b"<svg>one</svg>"

    assert store.get_or_render("tests/a.svg", "image/svg+xml", render) == b"<svg>one</svg>"
    assert store.get_or_render("tests/a.svg", "image/svg+xml", render) == b"<svg>one</svg>"
    assert len(calls) == 1
    head = stack.s3_client().head_object(Bucket=stack.bucket, Key="tests/a.svg")
    assert head["ContentType"] == "image/svg+xml"


def test_deleted_render_is_made_again_with_the_same_content(stack) -> None:
    store = RenderStore(stack.bucket, stack.s3_client())
    store.get_or_render("tests/b.txt", "text/plain", lambda: b"same")
    stack.s3_client().delete_object(Bucket=stack.bucket, Key="tests/b.txt")
    assert store.get("tests/b.txt") is None
    assert store.get_or_render("tests/b.txt", "text/plain", lambda: b"same") == b"same"
    assert store.get("tests/b.txt") == b"same"
