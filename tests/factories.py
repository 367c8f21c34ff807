"""Test data: the requests, projects, orders and events tests build on, in one place."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Beneficiary, Order, OrderRequest, OrderStatus, Retirement
from carbonneutral.domain.payments import PaymentEvent
from carbonneutral.domain.projects import Developer, Project, SerialRange, Standard
from carbonneutral.domain.types import LocalizedText

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
NOV = datetime(2026, 11, 20, tzinfo=UTC)
TEXT = LocalizedText.model_validate({"zh-CN": "测试", "en": "Test"})

# The footprint of a visitor to the demo forum: a return flight, a train, a taxi, two nights, meals.
DEMO_FOOTPRINT: dict[str, Any] = {
    "scene_id": "cdcnf-2021",
    "kind": "scene",
    "activities": [
        {
            "type": "flight",
            "from": "PEK",
            "to": "CTU",
            "cabin": "economy",
            "round_trip": True,
            "travellers": 1,
        },
        {"type": "rail", "km": 120, "service": "high_speed"},
        {"type": "car", "km": 30, "fuel": "petrol", "occupants": 1},
        {"type": "hotel", "nights": 2, "country": "CN"},
        {"type": "meal", "count": 3, "diet": "meat"},
    ],
}


def a_project(project_id: str | None = None, *, price: str = "60.00", vintage: int = 2024) -> Project:
    project_id = project_id or "test-" + secrets.token_hex(6)
    return Project(
        project_id=project_id,
        name=TEXT,
        developer=Developer(company_id=f"dev-{project_id}", name=TEXT),
        kind="forestry",
        standard=Standard.CDCER,
        location=TEXT,
        vintage=vintage,
        price_per_tonne=Decimal(price),
        description=TEXT,
        demo=True,
    )


def an_order_request(project_id: str, kg: int, name: str = "李雷") -> OrderRequest:
    return OrderRequest(quantity_kg=kg, project_id=project_id, beneficiary=Beneficiary(name=name))


def an_order(
    *,
    status: OrderStatus = OrderStatus.pending_payment,
    kg: int = 340,
    amount: str = "28.90",
    project_id: str = "p-1",
    reserved: tuple[tuple[int, int], ...] = ((1, 340),),
    provider: str = "sandbox",
) -> Order:
    return Order(
        order_id="ord_abcdefghijklmnopqrstuv",
        status=status,
        project_id=project_id,
        developer_id="dev-1",
        quantity_kg=kg,
        amount=Money(amount=Decimal(amount)),
        beneficiary=Beneficiary(name="李雷"),
        role="participant",
        reason="Carbon neutrality for a forum",
        reserved=[SerialRange(first=a, last=b) for a, b in reserved],
        reserved_until=NOW + timedelta(minutes=30),
        created_at=NOW,
        token_hash="x",
        provider=provider,
    )


def a_payment(
    order: Order | None,
    outcome: str = "succeeded",
    *,
    amount: str | None = None,
    provider: str = "sandbox",
    payment_ref: str | None = "pay_1",
    refund_ref: str | None = None,
) -> PaymentEvent:
    """A verified provider event about an order; the amount is the order's unless given."""
    paid = Money(amount=Decimal(amount)) if amount else order.amount if order else None
    return PaymentEvent(
        provider,
        "evt_" + secrets.token_hex(6),
        outcome,  # type: ignore[arg-type]
        order.order_id if order else "ord_unknownunknownunknown",
        paid,
        payment_ref=payment_ref,
        refund_ref=refund_ref,
    )


def retired_order(
    kg: int,
    *,
    name: str = "x",
    kind: str = "individual",
    participant: str | None = None,
    scene_id: str | None = None,
    hidden: bool = False,
    full_name: bool = False,
    when: datetime = NOV,
    role: str = "participant",
    footprint_g: int | None = None,
    counts_as: str | None = None,
) -> Order:
    beneficiary = Beneficiary(name=name, kind=kind, hidden=hidden, full_name=full_name)  # type: ignore[arg-type]
    return Order(
        order_id="ord_" + secrets.token_urlsafe(16),
        status=OrderStatus.retired,
        project_id="p",
        developer_id="d",
        quantity_kg=kg,
        amount=Money(amount=Decimal("1.00")),
        beneficiary=beneficiary,
        role=role,  # type: ignore[arg-type]
        scene_id=scene_id,
        participant_id=participant,
        footprint_id="fp_" + secrets.token_urlsafe(16) if footprint_g else None,
        footprint_g=footprint_g,
        counts_as=counts_as,  # type: ignore[arg-type]
        reason="r",
        reserved=[SerialRange(first=1, last=kg)],
        reserved_until=when,
        created_at=when,
        token_hash="h",
        provider="sandbox",
        retirement=Retirement(
            serials=[SerialRange(first=1, last=kg)],
            labels=["L"],
            beneficiary=beneficiary,
            reason="r",
            retired_at=when,
            payment_event_id="e",
        ),
    )


def a_signed_certificate(beneficiary: str = "李雷 Li Lei") -> Any:
    """A certificate as issued, for renders (its signature is not checked there)."""
    from carbonneutral.domain.certificates import SignedCertificate

    return SignedCertificate.model_validate(
        {
            "certificate_id": "cert_" + "A" * 24,
            "beneficiary": beneficiary,
            "beneficiary_kind": "individual",
            "quantity_kg": 658,
            "reason": "Test",
            "scene_id": "cdcnf-2021",
            "scene": {
                "zh-CN": "首届中国数字碳中和高峰论坛",
                "en": "First China Digital Carbon Neutrality Forum",
            },
            "project_id": "cdcer-longquan-forest",
            "project": {"zh-CN": "龙泉山城市森林碳汇（演示）", "en": "Longquan forest (demo)"},
            "standard": "CDCER",
            "vintage": 2023,
            "developer": {"zh-CN": "测试", "en": "Test"},
            "serials": ["CDCER-cdcer-longquan-forest-2023-1-658"],
            "retired_at": "2026-11-26T08:00:00+00:00",
            "factor_set": "2025.2",
            "issuer": "https://example.test",
            "kid": "k1",
            "signature": "x",
        }
    )
