"""Composition root: wires settings, stores and domain services, once per process."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

from carbonneutral.domain.factors import load_factor_set
from carbonneutral.domain.footprints import FootprintService
from carbonneutral.settings import get_settings
from carbonneutral.store.footprints import DynamoFootprintRepository
from carbonneutral.store.renders import RenderStore
from carbonneutral.store.scenes import DynamoSceneRepository

if TYPE_CHECKING:
    from carbonneutral.certify.keys import SigningKey
    from carbonneutral.certify.service import CertificateService
    from carbonneutral.domain.payments import PaymentProvider
    from carbonneutral.domain.purchase import PurchaseService
    from carbonneutral.store.leaderboards import Leaderboards
    from carbonneutral.store.ledger import CreditLedger
    from carbonneutral.store.organizers import OrganizerStore


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


@cache
def organizer_store() -> OrganizerStore:
    from carbonneutral.store.organizers import OrganizerStore

    return OrganizerStore(get_settings().table_name)


@cache
def leaderboards() -> Leaderboards:
    from carbonneutral.store.leaderboards import Leaderboards

    return Leaderboards(get_settings().table_name)


@cache
def footprint_repository() -> DynamoFootprintRepository:
    return DynamoFootprintRepository(get_settings().table_name)


@cache
def ledger() -> CreditLedger:
    from carbonneutral.store.ledger import CreditLedger

    return CreditLedger(get_settings().table_name)


@cache
def payment_providers() -> dict[str, PaymentProvider]:
    """Every provider that is configured; the sandbox only where its secret is set."""
    settings = get_settings()
    providers: dict[str, PaymentProvider] = {}
    if settings.sandbox_webhook_secret:
        from carbonneutral.payments.sandbox import SandboxProvider

        providers["sandbox"] = SandboxProvider(settings.sandbox_webhook_secret)
    if settings.stripe_api_key and settings.stripe_webhook_secret:
        from carbonneutral.payments.stripe_provider import StripeProvider

        providers["stripe"] = StripeProvider(settings.stripe_api_key, settings.stripe_webhook_secret,
                                             payment_methods=settings.stripe_payment_methods,
                                             api_base=settings.stripe_api_base)  # fmt: skip
    if settings.payment_provider not in providers:
        raise RuntimeError(f"payment provider {settings.payment_provider!r} is not configured")
    return providers


@cache
def signing_key() -> SigningKey:
    from carbonneutral.certify.keys import SigningKey

    settings = get_settings()
    if not settings.cert_signing_key:
        raise RuntimeError("CERT_SIGNING_KEY (or CERT_SIGNING_KEY_PARAM) is not set")
    return SigningKey.from_secret(settings.cert_key_id, settings.cert_signing_key)


@cache
def purchase_service() -> PurchaseService:
    from carbonneutral.domain.certificates import CertificateIssuer
    from carbonneutral.domain.purchase import PurchaseService

    settings = get_settings()
    issuer = CertificateIssuer(scene_repository(), signing_key, issuer=settings.public_base_url)
    return PurchaseService(
        ledger(), footprint_repository(), scene_repository(), payment_providers(),
        default_provider=settings.payment_provider, token_secret=settings.order_token_secret,
        base_url=settings.public_base_url, reservation=timedelta(minutes=settings.reservation_minutes),
        certify=issuer, contribute=leaderboards().contributions, client_cap_kg=settings.client_reservation_cap_kg,
    )  # fmt: skip


@cache
def certificate_service() -> CertificateService:
    from carbonneutral.certify.service import CertificateService, public_key_set

    settings = get_settings()
    key = signing_key() if settings.cert_signing_key and not settings.cert_public_keys else None
    keys = public_key_set(settings.cert_public_keys, key, settings.cert_retired_keys)
    return CertificateService(ledger(), render_store(), keys, settings.public_base_url)


def reset() -> None:
    """Forget cached wiring (tests that change the environment call this)."""
    for fn in (scene_repository, footprint_service, render_store, footprint_repository, ledger,
               payment_providers, purchase_service, signing_key, certificate_service, leaderboards, organizer_store,
               get_settings):  # fmt: skip
        fn.cache_clear()
