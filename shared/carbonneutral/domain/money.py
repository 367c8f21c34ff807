"""Money: Decimal amounts with a currency, never floats."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from carbonneutral.domain.types import Currency

CENT = Decimal("0.01")


class Money(BaseModel):
    model_config = ConfigDict(frozen=True)

    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2, description="Decimal string, e.g. '12.50'")
    currency: Currency = "CNY"

    @field_serializer("amount")
    def _as_string(self, amount: Decimal) -> str:
        return str(amount.quantize(CENT))

    @property
    def minor_units(self) -> int:
        """Fen for CNY, cents for USD: what payment providers take."""
        return int((self.amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def price_of(quantity_kg: int, price_per_tonne: Decimal, currency: str = "CNY") -> Money:
    """Credits cost their tonne price pro rata, rounded up to the cent (never below one cent)."""
    amount = (Decimal(quantity_kg) * price_per_tonne / 1000).quantize(CENT, rounding=ROUND_CEILING)
    return Money(amount=max(amount, CENT), currency=currency)
