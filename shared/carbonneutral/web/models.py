"""Public API view models: what clients see, mapped explicitly from domain models."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from carbonneutral.domain.money import Money
from carbonneutral.domain.orders import Beneficiary, Order, OrderStatus, Refund
from carbonneutral.domain.organizers import SceneReport
from carbonneutral.domain.projects import Inventory, Project
from carbonneutral.domain.ranking import Entry, Rating
from carbonneutral.domain.registry import RegistryRecord
from carbonneutral.domain.scenes import CalculatorField, Scene, SceneKind, SceneStatus
from carbonneutral.domain.types import LocalizedText


class SceneOut(BaseModel):
    scene_id: str
    kind: SceneKind
    name: LocalizedText
    city: LocalizedText
    country: str
    lat: float
    lon: float
    airport: str | None
    starts_on: str | None
    ends_on: str | None
    status: SceneStatus
    radiative_forcing: bool
    well_to_tank: bool = Field(description="Lines include their fuel's well-to-tank part")
    flight_method: str = Field(description="Which method counts for flights within China: cn or desnz")
    calculator: list[CalculatorField] = Field(
        description="The activities the scene's calculator asks for, with defaults"
    )
    expected_attendance: int | None = Field(description="Declared by the organizer; the rating's basis")
    per_participant_kg: int = Field(description="The organizer's estimate, or the kind's own")
    event_footprint_kg: int | None = Field(description="Declared by the organizer; the rating's basis")
    page_url: str

    @classmethod
    def of(cls, scene: Scene, base_url: str) -> SceneOut:
        return cls(
            scene_id=scene.scene_id,
            kind=scene.kind,
            name=scene.name,
            city=scene.city,
            country=scene.country,
            lat=scene.lat,
            lon=scene.lon,
            airport=scene.airport,
            starts_on=scene.starts_on.isoformat() if scene.starts_on else None,
            ends_on=scene.ends_on.isoformat() if scene.ends_on else None,
            status=scene.status,
            radiative_forcing=scene.radiative_forcing,
            well_to_tank=scene.well_to_tank,
            flight_method=scene.flight_method,
            calculator=scene.calculator,
            expected_attendance=scene.expected_attendance,
            per_participant_kg=scene.participant_estimate_kg(),
            event_footprint_kg=scene.event_footprint_kg,
            page_url=f"{base_url}/s/{scene.scene_id}",
        )


class SceneList(BaseModel):
    items: list[SceneOut]
    cursor: str | None = Field(default=None, description="Pass as ?cursor= to get the next page")


class ProjectOut(BaseModel):
    project_id: str
    name: LocalizedText
    developer: LocalizedText
    developer_id: str
    kind: str
    standard: str
    location: LocalizedText
    vintage: int
    price_per_tonne: Money
    available_kg: int
    description: LocalizedText
    demo: bool

    @classmethod
    def of(cls, project: Project, inventory: Inventory) -> ProjectOut:
        return cls(
            project_id=project.project_id,
            name=project.name,
            developer=project.developer.name,
            developer_id=project.developer.company_id,
            kind=project.kind,
            standard=project.standard.value,
            location=project.location,
            vintage=project.vintage,
            price_per_tonne=Money(amount=project.price_per_tonne, currency=project.currency),
            available_kg=inventory.available_kg,
            description=project.description,
            demo=project.demo,
        )


class ProjectList(BaseModel):
    items: list[ProjectOut]


class PaymentOut(BaseModel):
    provider: str
    checkout_url: str | None


class OrderOut(BaseModel):
    order_id: str
    status: OrderStatus
    order_token: str | None = Field(
        default=None, description="Returned to the buyer; needed to read the order"
    )
    project_id: str
    quantity_kg: int
    amount: Money
    beneficiary: Beneficiary
    role: Literal["participant", "organizer"]
    footprint_id: str | None
    scene_id: str | None
    reserved_until: datetime
    created_at: datetime
    payment: PaymentOut
    serials: list[str] = Field(default_factory=list, description="Retired serial ranges, once retired")
    retired_at: datetime | None = None
    reason: str
    certificate_id: str | None = None
    refund: Refund | None = None

    @classmethod
    def of(cls, order: Order, token: str | None = None, checkout_url: str | None = None) -> OrderOut:
        return cls(
            order_id=order.order_id,
            status=order.status,
            order_token=token,
            project_id=order.project_id,
            quantity_kg=order.quantity_kg,
            amount=order.amount,
            beneficiary=order.beneficiary,
            role=order.role,
            footprint_id=order.footprint_id,
            scene_id=order.scene_id,
            reserved_until=order.reserved_until,
            created_at=order.created_at,
            payment=PaymentOut(provider=order.provider, checkout_url=checkout_url),
            serials=order.retirement.labels if order.retirement else [],
            retired_at=order.retirement.retired_at if order.retirement else None,
            reason=order.reason,
            certificate_id=order.certificate_id,
            refund=order.refund,
        )


class ProvidersOut(BaseModel):
    default: str = Field(description="The provider new orders are paid with")
    providers: list[str] = Field(description="Providers whose webhook is live")
    test_payments_only: bool = Field(description="True for the sandbox: no real money moves")

    @classmethod
    def of(cls, provider: str) -> ProvidersOut:
        return cls(default=provider, providers=[provider], test_payments_only=provider == "sandbox")


class WebhookAnswer(BaseModel):
    received: bool = True
    outcome: str


class EntryOut(BaseModel):
    rank: int | None
    entry_id: str
    name: str | None = Field(description="Null when the person chose to stay anonymous")
    hidden: bool
    kg: int

    @classmethod
    def of(cls, entry: Entry) -> EntryOut:
        return cls(
            rank=entry.rank, entry_id=entry.entry_id, name=entry.name, hidden=entry.name is None, kg=entry.kg
        )


class LeaderboardOut(BaseModel):
    board: str
    entity: Literal["individual", "organization"]
    period: str
    entries: list[EntryOut]


class RankedEntryOut(BaseModel):
    board: str
    entity: Literal["individual", "organization"]
    period: str
    entry: EntryOut
    above: EntryOut | None
    below: EntryOut | None

    @classmethod
    def of(
        cls, board: str, entity: str, period: str, entry: Entry, above: Entry | None, below: Entry | None
    ) -> RankedEntryOut:
        return cls(
            board=board,
            entity=entity,
            period=period,
            entry=EntryOut.of(entry),
            above=EntryOut.of(above) if above else None,
            below=EntryOut.of(below) if below else None,
        )


class SceneCreated(SceneOut):
    qr_png_url: str
    qr_svg_url: str
    poster_url: str

    @classmethod
    def of_created(cls, scene: Scene, base_url: str) -> SceneCreated:
        out = SceneOut.of(scene, base_url)
        root = f"{base_url}/v1/scenes/{scene.scene_id}"
        return cls(
            **out.model_dump(),
            qr_png_url=f"{root}/qr.png",
            qr_svg_url=f"{root}/qr.svg",
            poster_url=f"{root}/poster",
        )


class SceneReportOut(BaseModel):
    scene_id: str
    name: LocalizedText
    status: SceneStatus
    footprints: int = Field(description="Footprints calculated at the scene (not part of the rating)")
    footprint_kg: float
    participant_orders: int = Field(description="Participants' footprint claims retired and counted")
    participants_kg: float = Field(description="What they neutralized, each up to its footprint")
    held_orders: int = Field(description="Claims too large to count until the organizer accepts them")
    held_kg: float
    organizer_orders: int
    organizer_kg: int
    explicit_orders: int = Field(description="Explicit amounts bought for the scene: on the boards only")
    explicit_kg: int
    rating: Rating
    top_individuals: list[EntryOut]
    top_organizations: list[EntryOut]

    @classmethod
    def of(cls, report: SceneReport) -> SceneReportOut:
        totals, scene = report.totals, report.scene
        return cls(
            scene_id=scene.scene_id,
            name=scene.name,
            status=scene.status,
            footprints=totals["footprints"],
            footprint_kg=totals["footprint_g"] / 1000,
            participant_orders=totals["participants_orders"],
            participants_kg=totals["participants_g"] / 1000,
            held_orders=totals["held_orders"],
            held_kg=totals["held_g"] / 1000,
            organizer_orders=totals["organizer_orders"],
            organizer_kg=totals["organizer_kg"],
            explicit_orders=totals["explicit_orders"],
            explicit_kg=totals["explicit_kg"],
            rating=report.rating,
            top_individuals=[EntryOut.of(e) for e in report.top_individuals],
            top_organizations=[EntryOut.of(e) for e in report.top_organizations],
        )

    def csv(self, lang: str = "en") -> str:
        """The report as a spreadsheet opens it: UTF-8 with a BOM (Excel on Chinese Windows reads a
        file without one as GBK and garbles it), headers and labels in the page's language."""
        import csv
        import io

        from carbonneutral.web.i18n import translations
        from carbonneutral.web.texts import CSV_LABELS

        t = translations(lang).gettext

        def label(key: str) -> str:
            return t(CSV_LABELS[key])

        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out)
        writer.writerow([label("section"), label("rank"), label("name"), label("kg")])
        for section, entries in (
            ("individual", self.top_individuals),
            ("organization", self.top_organizations),
        ):
            for e in entries:
                writer.writerow([label(section), e.rank, _csv_safe(e.name or label("anonymous")), e.kg])
        writer.writerow([])
        for key in (
            "footprints",
            "footprint_kg",
            "participant_orders",
            "participants_kg",
            "held_orders",
            "held_kg",
            "organizer_orders",
            "organizer_kg",
            "explicit_orders",
            "explicit_kg",
        ):
            writer.writerow([label("total"), "", label(key), getattr(self, key)])
        from carbonneutral.web.texts import RATING_LEVELS

        writer.writerow([label("total"), "", label("rating"), t(RATING_LEVELS[self.rating.level])])
        writer.writerow([label("total"), "", label("rating_target_kg"), self.rating.target_kg])
        writer.writerow([label("total"), "", label("rating_share"), self.rating.share])
        return out.getvalue()


def _csv_safe(text: str) -> str:
    """Names go into spreadsheets: never let one start a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class HeldClaimOut(BaseModel):
    order_id: str
    footprint_id: str | None
    kg: int = Field(description="Credits retired for it")
    counted_kg: float = Field(description="What it adds to the participants' part once accepted")
    retired_at: str


class HeldClaimsOut(BaseModel):
    items: list[HeldClaimOut]


class RetirementList(BaseModel):
    items: list[RegistryRecord]
    cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page")
