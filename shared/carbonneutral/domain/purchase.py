"""Purchasing: an order reserves credits, a verified payment retires them, expiry releases them."""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

from carbonneutral.domain.money import Money, price_of
from carbonneutral.domain.orders import (
    CountsAs,
    Order,
    OrderRequest,
    OrderStatus,
    Refund,
    hash_token,
    kg_to_neutralize,
    new_order_id,
    order_token,
)
from carbonneutral.domain.payments import PaymentProvider, PaymentStep, is_direct
from carbonneutral.domain.ports import FootprintRepository, SceneRepository
from carbonneutral.domain.projects import Inventory, Project
from carbonneutral.domain.types import IDEMPOTENCY_KEY_PATTERN, is_footprint_id
from carbonneutral.errors import (
    Conflict,
    FootprintClaimed,
    Forbidden,
    IdempotencyKeyReused,
    IdempotencyRace,
    InvalidInput,
    NotConfigured,
    NotFound,
    ProviderUnavailable,
    SceneClosed,
    Unauthorized,
)

if TYPE_CHECKING:  # the footprint's model imports the calculator, which the sweeper does without
    from carbonneutral.domain.certificates import CertificateIssuer
    from carbonneutral.domain.footprints import Footprint
    from carbonneutral.domain.scenes import Scene


@dataclass(frozen=True)
class Snapshot:
    """Everything placing an order reads before it reserves, read in one request: an earlier request
    with the same idempotency key, the project and its counters, what the client holds unpaid in it,
    the footprint and its claim, and the scene named in the request."""

    earlier: tuple[str, str] | None  # (fingerprint, order id)
    project: tuple[Project, Inventory] | None
    held: tuple[int, datetime | None]
    claim: tuple[str, OrderStatus, str | None] | None = None
    footprint: Footprint | None = None
    scene: Scene | None = None


class Ledger(Protocol):
    """What purchasing needs of the credit ledger (implemented in store.ledger)."""

    def project(self, project_id: str) -> tuple[Project, Inventory] | None: ...
    def projects(self) -> list[tuple[Project, Inventory]]: ...
    def order(self, order_id: str) -> Order | None: ...
    def find_idempotent(self, key: str) -> tuple[str, str] | None: ...
    def snapshot(
        self,
        idempotency_key: str,
        project_id: str,
        client: str | None,
        footprint_id: str | None = None,
        scene_id: str | None = None,
    ) -> Snapshot: ...
    def reserve(
        self,
        order: Order,
        idempotency_key: str,
        fingerprint: str,
        now: datetime,
        client: str | None = None,
        client_cap_kg: int = 0,
        snapshot: Snapshot | None = None,
    ) -> Order: ...
    def apply_payment(
        self,
        event: Any,
        now: datetime,
        certify: Any = None,
        contribute: Any = None,
        *,
        unnotified: bool = False,
        owed_only: bool = False,
    ) -> Any: ...
    def expired_reservations(self, now: datetime, limit: int = 100) -> list[str]: ...
    def expire(self, order_id: str) -> bool: ...
    def cancel(self, order: Order) -> Order: ...
    def refunds(self) -> list[tuple[str, Refund]]: ...
    def refunds_of(self, order_id: str) -> list[Refund]: ...
    def claim(self, footprint_id: str) -> tuple[str, OrderStatus, str | None] | None: ...


SCENE_TTL_S = 60.0
# How long after a reservation ends a payment its provider took may still be notified: WeChat Pay
# retries for about a day, Alipay for about 25 hours. Until then the sweeper leaves such an order
# to its notification (which retires it, certificate and all); after it, the money is owed back.
NOTICE_GRACE = timedelta(hours=25)
# The sweeper starts no order with less time than this left: an order may take nine calls to
# WeChat Pay (a query, a close and a second query for each of three trades), each of up to
# rsa.TIMEOUT_S (8 s), and the ledger's writes after them.
SWEEP_RESERVE_S = 80.0


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Offer:
    """A project the footprint can be neutralized with, and what that costs."""

    project: Project
    inventory: Inventory
    price: Money


@dataclass(frozen=True)
class RefundUnderWay:
    """The provider took the refund but has not paid it yet (WeChat Pay's PROCESSING): it stays due
    until the provider's refund notification settles it; asking again asks after the same refund."""

    refund_ref: str
    order: Order
    outcome: str = "processing"


@dataclass(frozen=True)
class Quote:
    footprint: Footprint
    quantity_kg: int
    offers: list[Offer]


def release_expired(ledger: Ledger, now: datetime, limit: int = 100) -> int:
    """Releases reservations that ran out unpaid; returns how many. Needs no secret and no provider
    (on a WeChat Pay or Alipay stack, PurchaseService.sweep asks the provider first)."""
    return sum(ledger.expire(order_id) for order_id in ledger.expired_reservations(now, limit))


class PurchaseService:
    """Orders, payments and their certificates.

    Secrets and providers are asked for when used (they come from SSM with a TTL, so a rotated
    secret takes effect without a restart); the public origin comes with each request.
    """

    def __init__(
        self,
        ledger: Ledger,
        footprints: FootprintRepository,
        scenes: SceneRepository,
        providers: Callable[[], dict[str, PaymentProvider]],
        *,
        default_provider: str,
        token_secret: Callable[[], str],
        reservation: timedelta,
        clock: Callable[[], datetime] = _now,
        certify: CertificateIssuer | None = None,
        contribute: Any = None,  # store.leaderboards.Leaderboards: what a retirement adds to the boards
        client_cap_kg: int = 0,
    ) -> None:
        self._ledger, self._footprints, self._scenes = ledger, footprints, scenes
        self._providers, self._default = providers, default_provider
        self._token_secret, self._reservation, self._clock = token_secret, reservation, clock
        self._certify, self._contribute, self._client_cap_kg = certify, contribute, client_cap_kg
        self._scenes_seen: dict[str, tuple[float, Scene | None]] = {}

    def _secret(self) -> str:
        secret = self._token_secret()
        if len(secret) < 16:
            raise NotConfigured("the order-token-secret parameter must hold at least 16 characters")
        return secret

    def token_for(self, order: Order) -> str:
        return order_token(self._secret(), order.order_id)

    def place(
        self,
        request: OrderRequest,
        idempotency_key: str | None,
        client: str | None = None,
        *,
        base_url: str,
        lang: str | None = None,
        organizer_id: str | None = None,
    ) -> tuple[Order, bool]:
        """(order, created): the same key and body give the same order, once.

        `organizer_id` is the organizer the request proved to be (API key or signed-in session);
        only the scene's own organizer may place an order as its organizer.
        """
        if not idempotency_key:
            raise InvalidInput(
                "the Idempotency-Key header is required", field="Idempotency-Key", location="header"
            )
        if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, idempotency_key):
            raise InvalidInput(
                "Idempotency-Key must be 8 to 128 letters, digits or _.:-",
                field="Idempotency-Key",
                location="header",
            )
        # A key is the requester's own: the same key from someone else is another request, so a
        # replay never hands an earlier order, or its token, to whoever learned the key.
        requester = f"o:{organizer_id}" if organizer_id else request.participant_id or client or ""
        idempotency_key = f"{requester}\x00{idempotency_key}"
        fingerprint = request.fingerprint()
        # An organizer's orders (an event's own footprint) are held apart from its address, and
        # bounded by the share alone; everyone else's by the share and the per-client cap (a cap
        # of 0 turns clients' holds off, for a stack whose clients share one address).
        as_organizer = request.role == "organizer" and organizer_id is not None
        holder, cap = (f"organizer:{organizer_id}", 0) if as_organizer else (client, self._client_cap_kg)
        holder = holder if cap or as_organizer else None
        # One read for all of it; the reservation's transaction is conditioned on what it relies on.
        snapshot = self._ledger.snapshot(
            idempotency_key, request.project_id, holder, request.footprint_id, request.scene_id
        )
        earlier = self._replay(idempotency_key, fingerprint, snapshot.earlier) if snapshot.earlier else None
        if earlier:
            return earlier, False
        order = self._new_order(request, base_url, lang, organizer_id, snapshot)
        try:
            reserved = self._ledger.reserve(
                order, idempotency_key, fingerprint, self._clock(), holder, cap, snapshot
            )
            return reserved, True
        except IdempotencyRace:
            earlier = self._replay(idempotency_key, fingerprint)
            if earlier is None:  # pragma: no cover - the winner's record is there by construction
                raise
            return earlier, False

    def _replay(self, key: str, fingerprint: str, found: tuple[str, str] | None = None) -> Order | None:
        """The order an earlier request with this key made (read now unless given), or None."""
        found = found or self._ledger.find_idempotent(key)
        if found is None:
            return None
        if found[0] != fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used with a different request",
                field="Idempotency-Key",
                location="header",
            )
        order = self._ledger.order(found[1])
        assert order is not None
        return order

    def _new_order(
        self,
        request: OrderRequest,
        base_url: str,
        lang: str | None,
        organizer_id: str | None,
        snapshot: Snapshot,
    ) -> Order:
        now = self._clock()
        scene_id, factor_set, footprint_g = request.scene_id, None, None
        if request.footprint_id:
            footprint = snapshot.footprint
            if footprint is None:
                raise InvalidInput(f"no footprint {request.footprint_id!r}", field="footprint_id")
            if snapshot.claim:  # before a provider's session is opened for it
                raise FootprintClaimed(
                    f"footprint {request.footprint_id} already has an order, pending or retired",
                    field="footprint_id",
                )
            quantity, scene_id, factor_set, footprint_g = (
                kg_to_neutralize(footprint.total_g),
                footprint.scene_id,
                footprint.factor_set,
                footprint.total_g,
            )
        else:
            assert request.quantity_kg is not None
            quantity = request.quantity_kg
        scene = snapshot.scene if snapshot.scene and snapshot.scene.scene_id == scene_id else None
        if scene is None and scene_id:
            scene = self._scene(scene_id)
        if scene_id and scene is None:
            raise InvalidInput(f"no scene {scene_id!r}", field="scene_id")
        if scene is not None and scene.status != "open":  # SceneStatus.open
            raise SceneClosed(
                f"scene {scene.scene_id!r} is closed: its figures are final and it takes no new orders",
                field="footprint_id" if request.footprint_id else "scene_id",
            )
        if request.role == "organizer" and (
            organizer_id is None or scene is None or scene.organizer_id != organizer_id
        ):
            raise Forbidden(
                "only the scene's own organizer, with its organizer key or signed in, orders as its organizer",
                field="role",
            )
        if scene is None:
            counts: CountsAs | None = None
        elif request.role == "organizer":
            counts = "organizer"
        elif footprint_g is None:
            counts = "boards"
        else:
            counts = "held" if footprint_g > scene.plausible_g() else "participants"
        if snapshot.project is None:
            raise InvalidInput(f"no project {request.project_id!r}", field="project_id")
        project, _ = snapshot.project
        provider = self._providers()[self._default]
        order = Order(
            order_id=new_order_id(),
            status=OrderStatus.pending_payment,
            project_id=project.project_id,
            developer_id=project.developer.company_id,
            quantity_kg=quantity,
            amount=price_of(quantity, project.price_per_tonne, project.currency),
            beneficiary=request.beneficiary,
            role=request.role,
            footprint_id=request.footprint_id,
            scene_id=scene_id,
            factor_set=factor_set,
            participant_id=request.participant_id,
            organizer_id=organizer_id if request.role == "organizer" else None,
            footprint_g=footprint_g,
            counts_as=counts,
            reason=self.reason_for(scene_id, request.footprint_id is None, scene),
            reserved=[],
            reserved_until=now + self._reservation,
            created_at=now,
            token_hash="",
            provider=provider.name,
        )
        token = self.token_for(order)
        checkout = provider.start_checkout(order, base_url, lang)
        return order.model_copy(
            update={
                "token_hash": hash_token(token),  # the token itself is never stored
                "checkout_url": checkout.url,
                "checkout_reference": checkout.reference,
            }
        )

    def checkout_url(self, order: Order, token: str, base_url: str, lang: str | None = None) -> str | None:
        """Where the buyer pays a pending order: the provider's page, or the platform's own test
        checkout, whose URL carries the token and so is made for each answer, never stored."""
        if order.status is not OrderStatus.pending_payment:
            return None
        if order.checkout_url:
            return order.checkout_url
        query = urlencode({"token": token, **({"lang": lang} if lang else {})})
        return f"{base_url}/checkout/{order.order_id}?{query}"

    def _scene(self, scene_id: str) -> Scene | None:
        """A scene, kept for a minute: what an order takes from it (its name, what is plausible) may
        lag an organizer's edit that long; whether it is open is checked in the reservation itself."""
        now = time.monotonic()
        kept = self._scenes_seen.get(scene_id)
        if kept is None or now - kept[0] > SCENE_TTL_S:
            kept = (now, self._scenes.get(scene_id))
            self._scenes_seen[scene_id] = kept
        return kept[1]

    def reason_for(
        self, scene_id: str | None, explicit_quantity: bool = False, scene: Scene | None = None
    ) -> str:
        if scene_id:
            scene = scene or self._scenes.get(scene_id)
            name = scene.name.en if scene else scene_id
            return f"Carbon neutrality for {name}"
        return "Carbon neutrality" if explicit_quantity else "Carbon neutrality for everyday life"

    def order(self, order_id: str) -> Order | None:
        return self._ledger.order(order_id)

    def claim(self, footprint_id: str) -> tuple[str, OrderStatus, str | None] | None:
        """(order id, status, certificate id) of the order that claims a footprint, if one does."""
        return self._ledger.claim(footprint_id) if is_footprint_id(footprint_id) else None

    def quote(self, footprint_id: str) -> Quote | None:
        """What neutralizing a footprint costs with each project; None for an unknown footprint."""
        footprint = self._footprints.get(footprint_id) if is_footprint_id(footprint_id) else None
        if footprint is None:
            return None
        quantity = kg_to_neutralize(footprint.total_g)
        offers = [
            Offer(project, inventory, price_of(quantity, project.price_per_tonne, project.currency))
            for project, inventory in self._ledger.projects()
        ]
        return Quote(footprint, quantity, offers)

    def checkout(self, order_id: str, token: str | None) -> tuple[Order, Project | None]:
        """The buyer's order (its token checked) and the project it buys from."""
        order = self.get(order_id, token)
        found = self._ledger.project(order.project_id)
        return order, found[0] if found else None

    def get(self, order_id: str, token: str | None) -> Order:
        order = self._ledger.order(order_id)
        if order is None:
            raise NotFound(f"no order {order_id!r}")
        if not token:
            raise Unauthorized("this order needs its order token (Authorization: Bearer …)")
        if not order.token_matches(token):
            raise Forbidden("the order token does not match")
        return order

    def cancel(self, order_id: str, token: str | None) -> Order:
        """The buyer cancels an unpaid order (its token checked): the credits go back at once, and
        the provider's checkout is closed. A payment that still arrives is refunded, never kept."""
        order = self.get(order_id, token)
        cancelled = self._ledger.cancel(order)
        if order.status is OrderStatus.pending_payment:
            provider = self._providers().get(order.provider)
            # a payment the provider reports made just before is owed back now, whether or not its
            # notification ever comes (WeChat Pay, Alipay)
            for event in provider.cancel_checkout(cancelled) if provider is not None else []:
                self._ledger.apply_payment(event, self._clock())
        return cancelled

    def refunds_due(self, order_id: str | None = None) -> list[tuple[Order, Refund]]:
        """Refunds not yet paid back, oldest first (of one order: a 404 or 409 when it has none)."""
        if order_id is not None:
            order = self._ledger.order(order_id)
            if order is None:
                raise NotFound(f"no order {order_id!r}")
            due = [(order, r) for r in self._ledger.refunds_of(order_id) if r.status == "due"]
            if not due:
                raise Conflict(
                    f"order {order_id} has no refund due: it is {order.status.value}, and no payment "
                    "of it is owed back"
                )
            return due
        found = []
        for oid, refund in self._ledger.refunds():
            if refund.status == "due":
                order = self._ledger.order(oid)
                assert order is not None
                found.append((order, refund))
        return found

    def pay_refund(self, order: Order, refund: Refund) -> Any:
        """Pays a refund back through the provider the money came through, and records it as that
        provider's refund event. Idempotent: the provider's idempotency key is the refund's own, so
        after a crash between the two steps a retry gets the same refund and applies it once."""
        name = refund.provider or order.provider
        provider = self._providers().get(name)
        if provider is None:
            raise NotConfigured(
                f"refunds through {name} cannot be paid from a stack configured for {self._default}"
            )
        paid = provider.refund(order, refund, f"refund:{order.order_id}:{name}:{refund.event_id}")
        if paid.event is None:
            return RefundUnderWay(paid.refund_ref, order)
        return self._ledger.apply_payment(paid.event, self._clock())

    def provider_names(self) -> tuple[str, list[str]]:
        """(the provider new orders use, every provider whose webhook is live)."""
        return self._default, [self._default]

    def live_provider(self, provider_name: str) -> PaymentProvider:
        if provider_name != self._default:  # only the configured provider's webhook is live
            raise NotFound(f"no payment provider {provider_name!r}")
        return self._providers()[provider_name]

    def receive_webhook(
        self, provider_name: str, body: str, headers: dict[str, str], *, base_url: str
    ) -> Any:
        provider = self.live_provider(provider_name)
        event = provider.parse_event(body, headers)
        certify = self._certify.at(base_url) if self._certify else None
        return self._ledger.apply_payment(event, self._clock(), certify, self._contribute)

    def pay_in_sandbox(self, order_id: str, token: str | None, *, base_url: str) -> Any:
        """The sandbox 'bank': signs a payment event and sends it down the webhook path."""
        order = self.get(order_id, token)
        if self._default != "sandbox" or order.provider != "sandbox":
            raise Forbidden("test payments are only for sandbox orders")
        sandbox = self._providers()["sandbox"]
        body, headers = sandbox.event_for(order)  # type: ignore[attr-defined]
        return self.receive_webhook("sandbox", body, headers, base_url=base_url)

    def projects(self) -> list[tuple[Project, Inventory]]:
        return self._ledger.projects()

    # -- paying on the platform's checkout page (WeChat Pay, Alipay) ------------------------------

    def methods(self, order: Order, user_agent: str) -> tuple[str, ...]:
        """The order's provider's ways to pay, the one that fits the browser first; () if its
        provider's own page (or the test checkout) takes the payment."""
        provider = self._providers().get(order.provider)
        if provider is None or not is_direct(provider):
            return ()
        first = provider.method_for(user_agent)
        return (first, *(m for m in provider.methods if m != first))

    def _direct(self, order_id: str, token: str | None, method: str | None = None) -> tuple[Order, Any]:
        order = self.get(order_id, token)
        provider = self._providers().get(order.provider)
        if provider is None or not is_direct(provider) or (method and method not in provider.methods):
            raise InvalidInput(f"{order.provider} has no payment method {method!r} here", field="method")
        if order.status is not OrderStatus.pending_payment:
            raise Conflict(f"order {order_id} is {order.status.value}, not awaiting payment")
        return order, provider

    def payer_state(self, order_id: str) -> str:
        """Binds WeChat's OpenID step to this order without handing WeChat the order token."""
        return order_token(self._secret(), f"payer:{order_id}")[:32]

    def start_payment(
        self,
        order_id: str,
        token: str | None,
        method: str,
        *,
        base_url: str,
        lang: str,
        client_ip: str | None,
    ) -> PaymentStep:
        """Where the buyer's browser goes (or what it shows) to pay with `method`."""
        order, provider = self._direct(order_id, token, method)
        back = f"{base_url}/checkout/{order_id}?" + urlencode({"lang": lang, "check": "1"})
        if provider.needs_payer(method):
            payer_return = f"{base_url}/checkout/{order_id}/wechat?" + urlencode({"lang": lang})
            return PaymentStep("redirect", url=provider.payer_url(payer_return, self.payer_state(order_id)))
        notify = f"{base_url}/v1/payments/{provider.name}/webhook"
        step: PaymentStep = provider.pay(
            order, method, notify_url=notify, return_url=back, client_ip=client_ip
        )
        return step

    def pay_as(
        self, order_id: str, token: str | None, code: str, state: str, *, base_url: str
    ) -> PaymentStep:
        """JSAPI inside WeChat: WeChat handed back the payer's code; the bridge's signed request."""
        order, provider = self._direct(order_id, token)
        # bytes: the query string may hold any text, which compare_digest takes only as ASCII str
        if not hmac.compare_digest(state.encode(), self.payer_state(order_id).encode()):
            raise Forbidden("this return from WeChat is not for this order")
        notify = f"{base_url}/v1/payments/{provider.name}/webhook"
        step: PaymentStep = provider.pay_as(order, code, notify_url=notify)
        return step

    def check_payment(self, order_id: str, token: str | None, *, base_url: str) -> Order:
        """Asks the provider how a pending order stands (its notification may be late or lost) and
        applies a payment it reports, once; the order as it is then."""
        order = self.get(order_id, token)
        provider = self._providers().get(order.provider)
        if order.status is not OrderStatus.pending_payment or provider is None or not is_direct(provider):
            return order
        paid = provider.query(order)
        if not paid:
            return order
        certify = self._certify.at(base_url) if self._certify else None
        # Every payment once. The others first, owed back with the order left as it is, so that
        # the order is settled last: a failure midway leaves it pending, to be asked about again.
        for event in paid[1:]:
            self._ledger.apply_payment(event, self._clock(), owed_only=True)
        applied = self._ledger.apply_payment(paid[0], self._clock(), certify, self._contribute)
        return applied.order or self.get(order_id, token)

    def sweep(
        self,
        limit: int = 100,
        *,
        time_left: Callable[[], float] | None = None,
        on_error: Callable[[str, Exception], None] | None = None,
    ) -> int:
        """Releases reservations that ran out; returns how many were released. An order of WeChat Pay
        or Alipay is looked up at the provider first, and its trades still open are closed: an order
        paid is left to its notification, and past NOTICE_GRACE released with its payment owed
        back, in one transaction.

        `time_left` (seconds, the Lambda's remaining time): no order is started with less than
        SWEEP_RESERVE_S left; the rest wait, on the expiry index, for the next run. With `on_error`,
        an order that fails is handed to it and left for the next run, and the others go on."""
        now, released = self._clock(), 0
        for order_id in self._ledger.expired_reservations(now, limit):
            if time_left is not None and time_left() < SWEEP_RESERVE_S:
                break
            try:
                released += self._sweep_one(order_id, now)
            except Exception as exc:  # one order's trouble never stops the others
                if on_error is None:
                    raise
                on_error(order_id, exc)
        return released

    def _sweep_one(self, order_id: str, now: datetime) -> int:
        order = self._ledger.order(order_id)
        provider = self._providers().get(order.provider) if order else None
        if order is None or provider is None or not is_direct(provider):
            return int(self._ledger.expire(order_id))
        if order.status is not OrderStatus.pending_payment:  # settled since it was listed
            return 0
        late = now >= order.reserved_until + NOTICE_GRACE
        try:
            paid = provider.close(order)  # no payment can start from here on; those made before it
        except ProviderUnavailable:  # the provider is away: ask again next time, within the grace
            if not late:
                return 0
            raise
        if not paid:
            return int(self._ledger.expire(order_id))
        if not late and not any(event.returned for event in paid):
            return 0  # left to its notification, which retires it, certificate and all
        # No notice came (or the provider refunded it already): every payment is owed back, never
        # kept. The others first, the order left
        # as it is; then the one that fails the order and releases its credits, in one transaction.
        # A failure midway leaves the order pending and on the expiry index: the next run goes on.
        for event in paid[1:]:
            self._ledger.apply_payment(event, now, owed_only=True)
        return int(self._ledger.apply_payment(paid[0], now, unnotified=True).outcome == "refund_due")
