"""Composition root: wires settings, stores and domain services once per process.

Everything is imported and built on first use, so each function pays only for what its routes
use (the sweeper never imports the calculator, the factor sets or a payment provider). Secrets
are asked of the secret store when used, never copied into long-lived objects: a rotated secret
reaches a warm container when its TTL runs out.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Literal

from carbonneutral.settings import PaymentProviderName, get_settings

if TYPE_CHECKING:
    from carbonneutral.certify.keys import SigningKey
    from carbonneutral.certify.registry import RegistryService
    from carbonneutral.certify.service import CertificateService
    from carbonneutral.domain.footprints import FootprintService
    from carbonneutral.domain.organizers import OrganizerService
    from carbonneutral.domain.payments import PaymentProvider
    from carbonneutral.domain.purchase import PurchaseService
    from carbonneutral.domain.ranking import RankingService
    from carbonneutral.store.event_certificates import EventCertificates
    from carbonneutral.store.footprints import DynamoFootprintRepository
    from carbonneutral.store.leaderboards import Leaderboards
    from carbonneutral.store.ledger import CreditLedger
    from carbonneutral.store.nonces import Nonces
    from carbonneutral.store.organizers import OrganizerStore
    from carbonneutral.store.renders import RenderStore
    from carbonneutral.store.scenes import DynamoSceneRepository
    from carbonneutral.store.secrets import SecretStore
    from carbonneutral.web.artwork import SceneArtwork


def clients_at_init(*services: Literal["dynamodb", "s3", "ssm"]) -> None:
    """Makes a function's AWS clients while its handler is imported, in a Lambda execution
    environment: INIT runs on a full vCPU, each invocation on the memory's share of one (0.29 at
    512 MB), so a client made here adds about a third to a cold start of what it adds in the first
    request (bench_coldstart.py). It sends no request: a missing secret or table still shows only in
    the request that needs it. Outside Lambda (tests, benchmarks, admin commands) clients stay lazy."""
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return
    from carbonneutral.store import aws

    for service in services:
        getattr(aws, service)()


@cache
def secrets() -> SecretStore:
    from carbonneutral.store.secrets import SecretStore

    settings = get_settings()
    return SecretStore(settings.secrets_path, settings.secrets, ttl_s=settings.secrets_ttl_s)


@cache
def scene_repository() -> DynamoSceneRepository:
    from carbonneutral.store.scenes import DynamoSceneRepository

    return DynamoSceneRepository(get_settings().table(), cursor_key=lambda: secrets().get("cursor-key"))


@cache
def footprint_repository() -> DynamoFootprintRepository:
    from carbonneutral.store.footprints import DynamoFootprintRepository

    return DynamoFootprintRepository(get_settings().table())


@cache
def footprint_service() -> FootprintService:
    from carbonneutral.domain.factors import load_factor_set
    from carbonneutral.domain.footprints import FootprintService

    return FootprintService(
        scene_repository(), footprint_repository(), load_factor_set(get_settings().factor_set)
    )


@cache
def render_store() -> RenderStore:
    from carbonneutral.store.renders import RenderStore

    return RenderStore(get_settings().bucket())


@cache
def organizer_store() -> OrganizerStore:
    from carbonneutral.store.organizers import OrganizerStore

    return OrganizerStore(get_settings().table())


@cache
def leaderboards() -> Leaderboards:
    from carbonneutral.store.leaderboards import Leaderboards

    return Leaderboards(get_settings().table())


@cache
def ledger() -> CreditLedger:
    from carbonneutral.store.ledger import CreditLedger

    return CreditLedger(get_settings().table())


def payment_providers() -> dict[str, PaymentProvider]:
    """The stack's one provider (its webhook is the only one live), built from its current secrets."""
    settings = get_settings()
    if settings.payment_provider is PaymentProviderName.stripe:
        return {"stripe": _stripe(secrets().get("stripe-api-key"), secrets().get("stripe-webhook-secret"))}
    if settings.payment_provider is PaymentProviderName.wechatpay:
        keys = ("wechatpay-private-key", "wechatpay-apiv3-key", "wechatpay-public-key")
        return {"wechatpay": _wechatpay(*(secrets().get(k) for k in keys))}
    if settings.payment_provider is PaymentProviderName.alipay:
        return {"alipay": _alipay(secrets().get("alipay-private-key"), secrets().get("alipay-public-key"))}
    return {"sandbox": _sandbox(secrets().get("sandbox-webhook-secret"))}


@lru_cache(maxsize=2)
def _wechatpay(private_key: str, apiv3_key: str, public_key: str) -> PaymentProvider:
    from carbonneutral.payments.wechatpay import API, OAUTH_API, WeChatPayAccount, WeChatPayProvider

    settings = get_settings()
    account = WeChatPayAccount(
        mchid=settings.required("wechatpay_mchid"),
        appid=settings.required("wechatpay_appid"),
        merchant_serial=settings.required("wechatpay_merchant_serial"),
        private_key=private_key,
        apiv3_key=apiv3_key,
        public_key=public_key,
        public_key_id=settings.required("wechatpay_public_key_id"),
        api_base=settings.wechatpay_api_base or API,
        oauth_base=settings.wechatpay_oauth_base or OAUTH_API,
    )
    return WeChatPayProvider(
        account,
        lambda nonce: nonces().claim("wechatpay", nonce),
        app_secret=lambda: secrets().get("wechatpay-app-secret"),
    )


@lru_cache(maxsize=2)
def _alipay(private_key: str, public_key: str) -> PaymentProvider:
    from carbonneutral.payments.alipay import GATEWAY, AlipayAccount, AlipayProvider

    settings = get_settings()
    account = AlipayAccount(
        app_id=settings.required("alipay_app_id"),
        private_key=private_key,
        alipay_public_key=public_key,
        seller_id=settings.alipay_seller_id,
        gateway=settings.alipay_gateway or GATEWAY,
    )
    return AlipayProvider(account)


@cache
def nonces() -> Nonces:
    from carbonneutral.store.nonces import Nonces

    return Nonces(get_settings().table())


@lru_cache(maxsize=2)
def _sandbox(webhook_secret: str) -> PaymentProvider:
    from carbonneutral.payments.sandbox import SandboxProvider

    return SandboxProvider(webhook_secret)


@lru_cache(maxsize=2)
def _stripe(api_key: str, webhook_secret: str) -> PaymentProvider:
    from carbonneutral.payments.stripe_provider import StripeProvider

    settings = get_settings()
    return StripeProvider(
        api_key,
        webhook_secret,
        payment_methods=settings.stripe_payment_methods,
        api_base=settings.stripe_api_base,
    )


def checkout_origins() -> tuple[str, ...]:
    """Where the configured provider takes buyers to pay (no secret needed to know it)."""
    settings = get_settings()
    if settings.payment_provider is PaymentProviderName.stripe:
        from carbonneutral.payments.stripe_provider import StripeProvider

        return StripeProvider.checkout_origins
    if settings.payment_provider is PaymentProviderName.wechatpay:
        from carbonneutral.payments.wechatpay import WeChatPayProvider

        return WeChatPayProvider.checkout_origins
    return ()  # the sandbox's test checkout is the platform's own; Alipay's cashier is a link


def signing_key() -> SigningKey:
    return _signing_key(secrets().get("certificate-signing-key"))


@lru_cache(maxsize=2)
def _signing_key(secret: str) -> SigningKey:
    from carbonneutral.certify.keys import SigningKey
    from carbonneutral.errors import NotConfigured

    try:
        return SigningKey.from_secret(secret)
    except ValueError as exc:
        raise NotConfigured(f"certificate-signing-key: {exc}") from exc


def public_keys(*, fresh: bool = False) -> dict[str, Any]:
    """The published key set (current and retired keys); `fresh` rereads it after a rotation."""
    return _public_keys(secrets().get("certificate-public-keys", fresh=fresh))


@lru_cache(maxsize=2)
def _public_keys(text: str) -> dict[str, Any]:
    from carbonneutral.certify.keys import parse_key_set
    from carbonneutral.errors import NotConfigured

    try:
        return parse_key_set(text)
    except ValueError as exc:
        raise NotConfigured(f"certificate-public-keys: {exc}") from exc


@cache
def purchase_service() -> PurchaseService:
    from carbonneutral.domain.certificates import CertificateIssuer
    from carbonneutral.domain.purchase import PurchaseService

    settings = get_settings()
    return PurchaseService(
        ledger(),
        footprint_repository(),
        scene_repository(),
        payment_providers,
        default_provider=settings.payment_provider.value,
        token_secret=lambda: secrets().get("order-token-secret"),
        reservation=timedelta(minutes=settings.reservation_minutes),
        certify=CertificateIssuer(scene_repository(), signing_key),
        contribute=leaderboards(),
        client_cap_kg=settings.client_reservation_cap_kg,
    )


def sweep_expired(limit: int, time_left: Callable[[], float]) -> int:
    """The sweeper's run: reservations that ran out are released, with the ledger alone, except on
    a WeChat Pay or Alipay stack, where the provider is asked first (PurchaseService.sweep). An order
    that fails there is logged and counted, stays on the expiry index, and is tried next run."""
    from datetime import UTC, datetime

    from aws_lambda_powertools.metrics import MetricUnit

    from carbonneutral.domain.purchase import release_expired
    from carbonneutral.observability import logger, metrics

    def not_swept(order_id: str, error: Exception) -> None:
        logger.warning("order not swept", extra={"order_id": order_id, "error": str(error)}, exc_info=error)
        metrics.add_metric(name="OrdersNotSwept", unit=MetricUnit.Count, value=1)

    if get_settings().payment_provider in (PaymentProviderName.wechatpay, PaymentProviderName.alipay):
        return purchase_service().sweep(limit, time_left=time_left, on_error=not_swept)
    return release_expired(ledger(), datetime.now(UTC).replace(microsecond=0), limit)


@cache
def ranking_service() -> RankingService:
    from carbonneutral.domain.ranking import RankingService

    return RankingService(leaderboards(), scene_repository())


@cache
def organizer_service() -> OrganizerService:
    from carbonneutral.domain.organizers import OrganizerService

    return OrganizerService(
        scene_repository(), organizer_store(), leaderboards(), event_certificates(), signing_key
    )


@cache
def event_certificates() -> EventCertificates:
    from carbonneutral.store.event_certificates import EventCertificates

    return EventCertificates(get_settings().table())


@cache
def scene_artwork() -> SceneArtwork:
    from carbonneutral.web.artwork import SceneArtwork

    return SceneArtwork(scene_repository(), render_store())


@cache
def certificate_service() -> CertificateService:
    from carbonneutral.certify.service import CertificateService

    return CertificateService(ledger(), render_store(), public_keys, event_certificates())


def registry_service() -> RegistryService:
    from carbonneutral.certify.registry import RegistryService

    return RegistryService(ledger())


def reset() -> None:
    """Forget cached wiring (a local stack started with new endpoints calls this)."""
    for fn in (
        secrets,
        scene_repository,
        footprint_repository,
        footprint_service,
        render_store,
        organizer_store,
        leaderboards,
        event_certificates,
        ledger,
        _sandbox,
        _stripe,
        _signing_key,
        _public_keys,
        purchase_service,
        certificate_service,
        get_settings,
    ):
        fn.cache_clear()
