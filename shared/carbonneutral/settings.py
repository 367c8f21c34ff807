"""Typed settings read once from the environment (never at import time).

The environment holds names and settings only. Secrets live in SSM: SECRETS lists the parameters
under SECRETS_PATH that this function may read (store/secrets.py reads them on first use).
Each function is given only what it uses; a setting it lacks is an error where it is needed,
answered as a 503 naming the setting, never a silent default.
"""

from __future__ import annotations

import os
import re
from enum import StrEnum
from functools import cache

from pydantic import BaseModel, Field, ValidationError, field_validator

from carbonneutral.errors import NotConfigured

ORIGIN_PATTERN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$"


class PaymentProviderName(StrEnum):
    sandbox = "sandbox"
    stripe = "stripe"
    wechatpay = "wechatpay"
    alipay = "alipay"


class Settings(BaseModel):
    table_name: str | None = Field(default=None, min_length=3, max_length=255)
    bucket_name: str | None = Field(default=None, min_length=3, max_length=63)
    public_base_url: str | None = Field(
        default=None, pattern=ORIGIN_PATTERN, description="None: each request's own domain"
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    factor_set: str | None = None  # None: the newest shipped set
    payment_provider: PaymentProviderName = PaymentProviderName.sandbox
    stripe_payment_methods: tuple[str, ...] = ("card",)
    stripe_api_base: str | None = None
    # WeChat Pay's and Alipay's ids are template parameters (not secrets); their keys are in SSM.
    wechatpay_mchid: str | None = Field(default=None, pattern=r"^[0-9]{6,32}$")
    wechatpay_appid: str | None = Field(default=None, pattern=r"^wx[0-9a-zA-Z]{6,32}$")
    wechatpay_merchant_serial: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f]{8,64}$")
    wechatpay_public_key_id: str | None = Field(default=None, pattern=r"^[0-9A-Za-z_]{8,64}$")
    wechatpay_api_base: str | None = Field(default=None, pattern=ORIGIN_PATTERN)
    wechatpay_oauth_base: str | None = Field(default=None, pattern=ORIGIN_PATTERN)
    alipay_app_id: str | None = Field(default=None, pattern=r"^[0-9]{8,32}$")
    alipay_seller_id: str | None = Field(default=None, pattern=r"^2088[0-9]{12}$")
    alipay_gateway: str | None = Field(
        default=None, pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[A-Za-z0-9./_-]*$"
    )
    reservation_minutes: int = Field(default=30, ge=1, le=24 * 60)
    client_reservation_cap_kg: int = Field(
        default=5000,
        ge=0,
        description="Most kg one client holds unpaid per project (and never above 20 % of what it has free); "
        "0 turns clients' holds off, for a stack whose clients all share one address",
    )
    secrets_path: str | None = Field(default=None, pattern=r"^(/[A-Za-z0-9_.-]+)+$")
    secrets: tuple[str, ...] = ()
    secrets_ttl_s: int = Field(default=300, ge=0, le=3600)

    @field_validator("secrets")
    @classmethod
    def _parameter_names(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for name in names:
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", name):
                raise ValueError(f"{name!r} is not a parameter name")
        return names

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        raw = {
            "table_name": env.get("TABLE_NAME") or None,
            "bucket_name": env.get("BUCKET_NAME") or None,
            "public_base_url": (env.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            "max_body_bytes": env.get("MAX_BODY_BYTES", str(64 * 1024)),
            "factor_set": env.get("FACTOR_SET") or None,
            "payment_provider": env.get("PAYMENT_PROVIDER", "sandbox"),
            "stripe_payment_methods": tuple(
                m for m in env.get("STRIPE_PAYMENT_METHODS", "card").split(",") if m
            ),
            "stripe_api_base": env.get("STRIPE_API_BASE") or None,
            **{name: env.get(variable) or None for name, variable in _PROVIDER_ENV.items()},
            "reservation_minutes": env.get("RESERVATION_MINUTES", "30"),
            "client_reservation_cap_kg": env.get("CLIENT_RESERVATION_CAP_KG", "5000"),
            "secrets_path": (env.get("SECRETS_PATH") or "").rstrip("/") or None,
            "secrets": tuple(n.strip() for n in env.get("SECRETS", "").split(",") if n.strip()),
            "secrets_ttl_s": env.get("SECRETS_TTL_SECONDS", "300"),
        }
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            name = _ENV_NAMES.get(str(first["loc"][0]), str(first["loc"][0]))
            raise NotConfigured(f"{name} is not valid: {first['msg']} (got {first['input']!r})") from exc

    def required(self, name: str) -> str:
        """A provider's id the stack needs: a 503 naming its template parameter when it is empty."""
        value = getattr(self, name)
        if not value:
            raise NotConfigured(
                f"{_PROVIDER_ENV[name]} is not set: give the stack its {_PARAMETERS[name]} parameter"
            )
        return str(value)

    def table(self) -> str:
        if not self.table_name:
            raise NotConfigured("TABLE_NAME is not set for this function")
        return self.table_name

    def bucket(self) -> str:
        if not self.bucket_name:
            raise NotConfigured("BUCKET_NAME is not set for this function")
        return self.bucket_name


_PROVIDER_ENV = {
    "wechatpay_mchid": "WECHATPAY_MCHID",
    "wechatpay_appid": "WECHATPAY_APPID",
    "wechatpay_merchant_serial": "WECHATPAY_MERCHANT_SERIAL",
    "wechatpay_public_key_id": "WECHATPAY_PUBLIC_KEY_ID",
    "wechatpay_api_base": "WECHATPAY_API_BASE",
    "wechatpay_oauth_base": "WECHATPAY_OAUTH_BASE",
    "alipay_app_id": "ALIPAY_APP_ID",
    "alipay_seller_id": "ALIPAY_SELLER_ID",
    "alipay_gateway": "ALIPAY_GATEWAY",
}
_PARAMETERS = {
    "wechatpay_mchid": "WeChatPayMchId",
    "wechatpay_appid": "WeChatPayAppId",
    "wechatpay_merchant_serial": "WeChatPayMerchantSerial",
    "wechatpay_public_key_id": "WeChatPayPublicKeyId",
    "alipay_app_id": "AlipayAppId",
}
_ENV_NAMES = {
    **_PROVIDER_ENV,
    "table_name": "TABLE_NAME",
    "bucket_name": "BUCKET_NAME",
    "public_base_url": "PUBLIC_BASE_URL",
    "payment_provider": "PAYMENT_PROVIDER",
    "reservation_minutes": "RESERVATION_MINUTES",
    "client_reservation_cap_kg": "CLIENT_RESERVATION_CAP_KG",
    "secrets_path": "SECRETS_PATH",
    "secrets": "SECRETS",
    "secrets_ttl_s": "SECRETS_TTL_SECONDS",
    "max_body_bytes": "MAX_BODY_BYTES",
}


@cache
def get_settings() -> Settings:
    return Settings.from_env()
