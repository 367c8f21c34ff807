"""Typed settings read once from the environment (never at import time)."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    table_name: str = Field(min_length=3)
    bucket_name: str = Field(min_length=3)
    public_base_url: str = "http://127.0.0.1:3000"
    max_body_bytes: int = 64 * 1024
    factor_set: str | None = None  # None: the newest shipped set

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            table_name=env.get("TABLE_NAME", ""),
            bucket_name=env.get("BUCKET_NAME", ""),
            public_base_url=env.get("PUBLIC_BASE_URL", "http://127.0.0.1:3000").rstrip("/"),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", str(64 * 1024))),
            factor_set=env.get("FACTOR_SET") or None,
        )


@cache
def get_settings() -> Settings:
    return Settings.from_env()
