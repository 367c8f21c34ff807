"""Domain exceptions. The web layer maps each class to one problem+json answer."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``status`` and ``slug`` say how the web layer answers."""

    status = 400
    slug = "bad-request"
    title = "Bad request"
    log_level: str | None = None  # how the web layer logs the answer; None: not at all

    def __init__(self, detail: str, *, field: str | None = None, location: str = "body") -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.location = location


class InvalidInput(DomainError):
    status = 422
    slug = "validation-error"
    title = "The request is not valid"


class InvalidCursor(InvalidInput):
    """A page cursor this API did not issue for this listing: forged, cut, re-encoded, sealed under
    another key, or issued for another query. Never handed on to the database."""

    status = 400
    slug = "invalid-cursor"
    title = "The cursor is not valid for this listing"


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class ProviderRefused(Conflict):
    """A payment provider refused a request; `code` is its reason (WeChat Pay's ORDER_NOT_EXIST or
    ORDERPAID, Alipay's sub_code such as ACQ.TRADE_NOT_EXIST)."""

    def __init__(self, detail: str, code: str, *, field: str | None = None) -> None:
        super().__init__(detail, field=field)
        self.code = code


class PayloadTooLarge(DomainError):
    status = 413
    slug = "payload-too-large"
    title = "The request body is too large"


class Unauthorized(DomainError):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class ServiceUnavailable(DomainError):
    """A dependency is throttled or down after retries; the client may try again."""

    status = 503
    slug = "service-unavailable"
    title = "Temporarily unavailable"
    log_level: str | None = "warning"


class ProviderUnavailable(ServiceUnavailable):
    """A payment provider cannot answer now (unreachable, 5xx, an unsigned answer, a refusal that says
    nothing of the payment, a buyer paying this moment): what depends on it waits; pages keep the rest."""


class NotConfigured(ServiceUnavailable):
    """A setting or secret the stack has not been given; the detail names it. Whoever raises it logs
    it once, so a stack deployed before `init-secrets` does not log every request."""

    slug = "not-configured"
    title = "The service is not configured yet"
    log_level = None


class InvalidSignature(DomainError):
    """A payment provider's event whose signature, age or form is not right."""

    status = 400
    slug = "invalid-signature"
    title = "The webhook signature is not valid"


class InsufficientCredits(Conflict):
    slug = "insufficient-credits"
    title = "Not enough credits available"


class Busy(Conflict):
    slug = "busy"
    title = "Too many concurrent changes; try again"


class TooManyReservations(DomainError):
    status = 429
    slug = "too-many-reservations"
    title = "Too many credits reserved by this client"

    def __init__(self, detail: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(detail, field=field)
        self.retry_after = retry_after  # seconds until the client's reservations have run out


class IdempotencyKeyReused(InvalidInput):
    slug = "idempotency-key-reused"
    title = "This Idempotency-Key was used with a different request"


class IdempotencyRace(Exception):
    """Another request with the same Idempotency-Key committed first (the store tells purchasing)."""


class TransactionCancelled(Exception):
    """DynamoDB cancelled a transaction; `codes` are its reasons, one per item (the store's own)."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__(codes)
        self.codes = codes


class FootprintClaimed(Conflict):
    slug = "footprint-claimed"
    title = "This footprint is already being neutralized, or was"


class DeclarationShrinks(Conflict):
    slug = "declaration-shrinks"
    title = "A declaration the rating counts against may not shrink"


class NotRated(Conflict):
    slug = "not-rated"
    title = "The scene has not reached a rating level"


class NotCanonical(ValueError):
    """A signed document that has more than one reading (the offline verifier refuses it)."""


class SceneClosed(Conflict):
    slug = "scene-closed"
    title = "The scene is closed: its figures are final"
