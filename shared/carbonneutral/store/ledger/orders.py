"""Orders: reserving credits with the order and its idempotency record in one transaction,
the per-client cap on unpaid reservations, and releasing what ran out unpaid."""

from __future__ import annotations

from carbonneutral.store.ledger.releases import Releases
from carbonneutral.store.ledger.reservations import Reservations


class Orders(Reservations, Releases):
    """Every way an order changes, before its payment."""
