"""What a payment event, or the end of a reservation, does to an order: decided without a store."""

from __future__ import annotations

from dataclasses import replace

import pytest
from carbonneutral.domain.orders import OrderStatus
from carbonneutral.domain.settlement import (
    Disputed,
    RecordOnly,
    RefundDue,
    RefundSettled,
    Release,
    Retire,
    cancellation,
    expiry,
    settle,
)
from carbonneutral.errors import Conflict, InvalidInput

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


def test_a_second_payment_of_a_settled_order_is_owed_back_and_retires_nothing_more() -> None:
    order = an_order(status=OrderStatus.retired)
    settlement = settle(order, PROJECT, a_payment(order), NOW)
    assert isinstance(settlement, RefundDue)
    assert settlement.order.status is OrderStatus.retired and not settlement.releases_credits
    assert settlement.order.refund == settlement.refund  # the buyer's page says it is coming back
    assert settlement.refund.reason == "the order was already settled"


def test_a_payment_after_the_buyer_cancelled_is_owed_back() -> None:
    order = an_order(status=OrderStatus.cancelled)
    settlement = settle(order, PROJECT, a_payment(order), NOW)
    assert isinstance(settlement, RefundDue) and not settlement.releases_credits
    assert settlement.order.status is OrderStatus.cancelled
    assert settlement.refund.reason == "the order had been cancelled before the payment arrived"
    assert (settlement.refund.provider, settlement.refund.payment_ref) == ("sandbox", "pay_1")


def test_a_payment_through_another_provider_is_owed_back_and_leaves_the_order_alone() -> None:
    order = an_order()
    settlement = settle(order, PROJECT, a_payment(order, provider="stripe"), NOW)
    assert isinstance(settlement, RefundDue)
    assert settlement.order == order and not settlement.releases_credits
    assert settlement.refund.provider == "stripe"  # paid back where the money went
    assert settlement.refund.reason == "paid through stripe, but the order is paid through sandbox"
    assert isinstance(settle(order, PROJECT, a_payment(order, "expired", provider="stripe"), NOW), RecordOnly)


def test_a_payment_without_an_amount_is_never_taken_as_paid_in_full() -> None:
    order = an_order()
    with pytest.raises(InvalidInput) as refused:
        settle(order, PROJECT, replace(a_payment(order), amount=None), NOW)
    assert refused.value.field == "amount"


def test_only_an_unpaid_order_is_cancelled_and_cancelling_twice_changes_nothing() -> None:
    release = cancellation(an_order())
    assert release is not None and release.order.status is OrderStatus.cancelled
    assert cancellation(an_order(status=OrderStatus.cancelled)) is None
    with pytest.raises(Conflict, match="retirement is final"):
        cancellation(an_order(status=OrderStatus.retired))
    with pytest.raises(Conflict):
        cancellation(an_order(status=OrderStatus.expired))


def test_a_refund_event_settles_the_refund_due_of_that_payment_and_the_order_is_refunded() -> None:
    order = an_order(status=OrderStatus.cancelled)
    due = settle(order, PROJECT, a_payment(order), NOW)
    assert isinstance(due, RefundDue)
    event = a_payment(order, "refunded", refund_ref="re_1")
    settled = settle(due.order, PROJECT, event, NOW, [due.refund])
    assert isinstance(settled, RefundSettled) and settled.was_due
    assert (settled.refund.status, settled.refund.refund_ref, settled.refund.refunded_at) == (
        "refunded",
        "re_1",
        NOW,
    )
    assert settled.refund.event_id == due.refund.event_id  # the same refund, now paid
    assert settled.order.status is OrderStatus.refunded and settled.order.refund == settled.refund
    # told again (the provider's own event after ours): nothing more
    again = settle(settled.order, PROJECT, a_payment(order, "refunded"), NOW, [settled.refund])
    assert isinstance(again, RecordOnly)


def test_a_refund_made_at_the_provider_is_recorded_and_a_retired_order_stays_retired() -> None:
    order = an_order(status=OrderStatus.retired)
    settled = settle(order, PROJECT, a_payment(order, "refunded", amount="5.00"), NOW, [])
    assert isinstance(settled, RefundSettled) and not settled.was_due
    assert settled.refund.reason == "refunded at the payment provider"
    assert str(settled.refund.amount.amount) == "5.00" and settled.order.status is OrderStatus.retired
    # Stripe states all that was refunded of the payment: 5.00 known, 8.00 in all, so 3.00 more
    more = settle(order, PROJECT, a_payment(order, "refunded", amount="8.00"), NOW, [settled.refund])
    assert isinstance(more, RefundSettled) and str(more.refund.amount.amount) == "3.00"


def test_a_dispute_is_recorded_and_retirement_is_final() -> None:
    order = an_order(status=OrderStatus.retired)
    opened = settle(order, PROJECT, a_payment(order, "disputed"), NOW)
    assert isinstance(opened, Disputed) and opened.order.dispute is not None
    assert opened.order.dispute.status == "open" and opened.order.status is OrderStatus.retired
    lost = settle(opened.order, PROJECT, a_payment(order, "dispute_lost"), NOW)
    assert isinstance(lost, Disputed) and lost.order.dispute is not None
    assert lost.order.dispute.status == "lost" and lost.order.status is OrderStatus.retired


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


def test_the_next_rating_level_and_the_kg_it_needs() -> None:
    from carbonneutral.domain.ranking import next_level, rating
    from carbonneutral.domain.scenes import Scene

    scene = Scene.model_validate(
        {
            "scene_id": "next-level",
            "kind": "conference",
            "name": {"zh-CN": "测试", "en": "Test"},
            "city": {"zh-CN": "成都", "en": "Chengdu"},
            "lat": 30.6,
            "lon": 104.1,
            "expected_attendance": 10,
            "per_participant_kg": 100,
            "event_footprint_kg": 1000,
        }
    )
    # target 10 x 100 + 1000 = 2000 kg; 600 kg neutralized is 30 %: bronze, silver at 50 % needs 400 more
    rated = rating(scene, {"participants_g": 600_000})
    assert rated.level == "bronze" and next_level(rated) == ("silver", 400.0)
    assert next_level(rating(scene, {"participants_g": 1_000_000, "organizer_kg": 1000})) is None


def test_a_payment_found_only_after_the_notice_grace_fails_the_order_and_releases_its_credits() -> None:
    order = an_order()
    late = settle(order, PROJECT, a_payment(order), NOW, unnotified=True)
    assert isinstance(late, RefundDue) and late.releases_credits  # one transaction does both
    assert late.order.status is OrderStatus.failed and late.order.retirement is None
    assert late.refund.amount == order.amount and late.refund.status == "due"
    assert "never notified" in late.refund.reason
    # the same payment, notified in time, would have retired the order
    assert isinstance(settle(order, PROJECT, a_payment(order), NOW), Retire)
    # an order settled already is left as it is: its late payment is owed back, nothing released
    retired = an_order(status=OrderStatus.retired)
    again = settle(retired, PROJECT, a_payment(retired), NOW, unnotified=True)
    assert isinstance(again, RefundDue) and not again.releases_credits
    assert again.order.status is OrderStatus.retired


def test_a_refund_event_stating_its_own_amount_is_one_refund_not_the_running_total() -> None:
    order = an_order(status=OrderStatus.retired)
    first = replace(a_payment(order, "refunded", amount="5.00", refund_ref="wx_1"), refund_total=False)
    one = settle(order, PROJECT, first, NOW, [])
    assert isinstance(one, RefundSettled) and str(one.refund.amount.amount) == "5.00"
    # WeChat Pay's second refund of 3.00 states 3.00 (Stripe's would state 8.00)
    second = replace(a_payment(order, "refunded", amount="3.00", refund_ref="wx_2"), refund_total=False)
    two = settle(order, PROJECT, second, NOW, [one.refund])
    assert isinstance(two, RefundSettled) and str(two.refund.amount.amount) == "3.00"
    assert two.refund.refund_ref == "wx_2"
    # the first one told again: recorded already
    assert isinstance(settle(order, PROJECT, first, NOW, [one.refund, two.refund]), RecordOnly)


def test_a_second_payment_found_with_the_first_is_owed_back_and_leaves_the_order_alone() -> None:
    order = an_order()
    extra = settle(order, PROJECT, a_payment(order), NOW, owed_only=True, unnotified=True)
    assert isinstance(extra, RefundDue) and not extra.releases_credits
    assert extra.order == order  # still pending: the other payment settles it
    assert extra.refund.amount == order.amount and "paid more than once" in extra.refund.reason
