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
    order_token_secret: str = ""
    payment_provider: str = "sandbox"
    sandbox_webhook_secret: str = ""
    stripe_api_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_payment_methods: tuple[str, ...] = ("card",)
    stripe_api_base: str | None = None
    reservation_minutes: int = Field(default=30, ge=1, le=24 * 60)
    client_reservation_cap_kg: int = Field(default=5000, ge=0, description="0 turns the per-client cap off")
    cert_signing_key: str = ""
    cert_key_id: str = "cert-1"
    cert_retired_keys: str = ""
    cert_public_keys: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            table_name=env.get("TABLE_NAME", ""),
            bucket_name=env.get("BUCKET_NAME", ""),
            public_base_url=env.get("PUBLIC_BASE_URL", "http://127.0.0.1:3000").rstrip("/"),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", str(64 * 1024))),
            factor_set=env.get("FACTOR_SET") or None,
            order_token_secret=_secret("ORDER_TOKEN_SECRET"),
            payment_provider=env.get("PAYMENT_PROVIDER", "sandbox"),
            sandbox_webhook_secret=_secret("SANDBOX_WEBHOOK_SECRET"),
            stripe_api_key=_secret("STRIPE_API_KEY"),
            stripe_webhook_secret=_secret("STRIPE_WEBHOOK_SECRET"),
            stripe_payment_methods=tuple(
                m for m in env.get("STRIPE_PAYMENT_METHODS", "card").split(",") if m
            ),
            stripe_api_base=env.get("STRIPE_API_BASE") or None,
            reservation_minutes=int(env.get("RESERVATION_MINUTES", "30")),
            client_reservation_cap_kg=int(env.get("CLIENT_RESERVATION_CAP_KG", "5000")),
            cert_signing_key=_secret("CERT_SIGNING_KEY"),
            cert_key_id=env.get("CERT_KEY_ID", "cert-1"),
            cert_retired_keys=_secret("CERT_RETIRED_KEYS"),
            cert_public_keys=_secret("CERT_PUBLIC_KEYS"),
        )


def _secret(name: str) -> str:
    """A secret's value: NAME itself (local runs), else the SSM SecureString named by NAME_PARAM."""
    if name in os.environ:  # set, even empty: no lookup
        return os.environ[name]
    parameter = os.environ.get(f"{name}_PARAM")
    if not parameter:
        return ""
    return _ssm_parameter(parameter)


@cache
def _ssm_parameter(name: str) -> str:
    import boto3
    from botocore.exceptions import ClientError

    try:
        answer = boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ParameterNotFound":
            return ""  # an optional secret (e.g. Stripe's) that this stack does not use
        raise
    return str(answer["Parameter"]["Value"])


@cache
def get_settings() -> Settings:
    return Settings.from_env()
