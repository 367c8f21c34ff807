"""What a payment event, or the end of a reservation, does to an order: decided without a store."""

from __future__ import annotations

import pytest
from carbonneutral.domain.orders import OrderStatus
from carbonneutral.domain.settlement import RecordOnly, RefundDue, Release, Retire, expiry, settle

from tests.factories import NOW, a_payment, a_project, an_order

PROJECT = a_project("p-1", vintage=2023)


def test_a_payment_covering_a_pending_order_retires_its_reserved_serials() -> None:
    # Given an order holding serials 1-340
    order = an_order()
    # When its full amount is paid
    settlement = settle(order, PROJECT, a_payment(order), NOW)
    # Then those serials are retired in the beneficiary's name, with the order's reason
    assert isinstance(settlement, Retire)
    retired = settlement.order
    assert retired.status is OrderStatus.retired
    assert retired.retirement is not None
    assert retired.retirement.labels == ["CDCER-p-1-2023-1-340"]
    assert (retired.retirement.beneficiary.name, retired.retirement.reason) == (
        "李雷",
        "Carbon neutrality for a forum",
    )
    assert retired.retirement.retired_at == NOW


def test_a_wrong_amount_is_owed_back_and_the_credits_go_back() -> None:
    order = an_order()
    settlement = settle(order, PROJECT, a_payment(order, amount="1.00"), NOW)
    assert isinstance(settlement, RefundDue)
    assert settlement.order.status is OrderStatus.failed and settlement.releases_credits
    assert str(settlement.refund.amount.amount) == "1.00"
    assert settlement.refund.reason == "paid 1.00 CNY but the order costs 28.90 CNY"


def test_a_payment_after_expiry_is_owed_back_and_releases_nothing_twice() -> None:
    order = an_order(status=OrderStatus.expired)
    settlement = settle(order, PROJECT, a_payment(order), NOW)
    assert isinstance(settlement, RefundDue)
    assert settlement.order.status is OrderStatus.failed and not settlement.releases_credits
    assert settlement.refund.reason == "the reservation had expired before the payment arrived"


def test_a_second_payment_of_a_settled_order_is_owed_back_and_changes_nothing() -> None:
    order = an_order(status=OrderStatus.retired)
    settlement = settle(order, PROJECT, a_payment(order), NOW)
    assert isinstance(settlement, RefundDue)
    assert settlement.order == order and not settlement.releases_credits
    assert settlement.refund.reason == "the order was already settled"


def test_a_providers_expiry_releases_a_pending_order() -> None:
    order = an_order()
    settlement = settle(order, PROJECT, a_payment(order, "expired"), NOW)
    assert isinstance(settlement, Release) and settlement.order.status is OrderStatus.expired


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (OrderStatus.retired, "expired"),
        (OrderStatus.pending_payment, "failed"),
        (OrderStatus.pending_payment, "ignored"),
    ],
)
def test_other_events_are_only_recorded(status: OrderStatus, outcome: str) -> None:
    order = an_order(status=status)
    assert settle(order, PROJECT, a_payment(order, outcome), NOW) == RecordOnly("ignored", order)


def test_an_event_for_an_unknown_order_is_only_recorded() -> None:
    assert settle(None, None, a_payment(None), NOW) == RecordOnly("unknown_order", None)


def test_a_payment_is_never_recorded_as_done_for_an_order_whose_project_is_missing() -> None:
    order = an_order()
    with pytest.raises(LookupError):
        settle(order, None, a_payment(order), NOW)


def test_only_an_unpaid_order_expires() -> None:
    release = expiry(an_order())
    assert release is not None and release.order.status is OrderStatus.expired
    assert expiry(an_order(status=OrderStatus.retired)) is None
    assert expiry(None) is None
