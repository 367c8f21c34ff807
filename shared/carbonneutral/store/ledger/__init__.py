"""The credit ledger in DynamoDB: every change of credits is one conditional transaction.

Items (single table):
  PROJECT#{id} / PROJECT                 metadata and counters issued/available/reserved/retired (kg)
  PROJECT#{id}#ISSUED / ISSUANCE#{version}  the serials one issuance issued (never changes; issuance.py;
                                         BEFORE#{version}: all issued up to it, for a project from before)
  PROJECT#{id}#S{shard} / COUNTER        reserved/retired (kg) of the orders counted in that shard, and
                                         sold/sold_kg, what buyers paid for the kg retired (counters.py;
                                         PROJECT#{id} / COUNTER#{shard} for orders counted before)
  PROJECT#{id}[#A{pool}] / AVAILABLE#{first}  a block of serials free to reserve, in one of up to 8
                                         pools (0 is the project's key; an issuance of 80 t or more
                                         is shared out over all 8, table.AVAILABLE_POOLS)
  PROJECT#{id}#S{shard} / RESERVED#{first}  a block held for one order counted in that shard
  PROJECT#{id}#S{shard} / RETIRED#{first}   a block retired in a beneficiary's name (never changes again);
                                         both under PROJECT#{id} for orders counted before
  REGISTRY#{id}[#L{lane}] / HEAD, SEQ#…  the public registry's records and lane heads (registry.py)
  ORDER#{id} / ORDER                     the order; GSI1 lists pending reservations by expiry (sharded)
  IDEMPOTENCY#{sha256(key)} / IDEMPOTENCY  written in the same transaction as the order it guards
  FOOTPRINT#{id} / CLAIM                 the one order that neutralizes a footprint (pending or retired)
  HOLD#{sha256(client)}#{project} / HOLD kg one client holds unpaid in a project (bounded)
  PAYMENT#{provider}#{event_id} / EVENT  a provider event, applied once
  DEVELOPER#{id} / PAYOUT, PAID#…          paid to the company that cut the emissions (payouts.py)
  DEVELOPER#{id}#PAYOUT#{shard} / PAYOUT   owed to it, in 16 partition keys (payouts.py)
  DEVELOPER#{id}#SALES#{shard} / {time}#…  its sales, in 16 partition keys (sales.py)
  ORDER#{id} / REFUND#{provider}#{event} a payment that could not buy credits: due back, then refunded
  PAYMENTREF#{provider}#{payment} / PAYMENT  the order a provider's payment paid (for refund, dispute events)

By concern: table.py (keys, transactions), counters.py (a project's figures in shards), blocks.py
(projects, blocks), issuance.py (issuance, its records, the audit), claims.py,
orders.py (reservations, expiry), payments.py (payment events, retirement, cancellation),
refunds.py (money due back), payouts.py (what developers are owed and were paid). What a payment does is decided in domain/settlement.py.
"""

from __future__ import annotations

from carbonneutral.store.ledger.issuance import Breach, Issuances
from carbonneutral.store.ledger.payments import Payments
from carbonneutral.store.ledger.retirements import Applied, Certify
from carbonneutral.store.ledger.table import MAX_BLOCKS_PER_ORDER, RESERVATION_SHARDS


class CreditLedger(Payments, Issuances):
    """Projects, credit blocks, orders, payments and payouts in one table."""


__all__ = ["MAX_BLOCKS_PER_ORDER", "RESERVATION_SHARDS", "Applied", "Breach", "Certify", "CreditLedger"]
