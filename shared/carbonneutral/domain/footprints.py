"""Footprints: a calculation stored with everything needed to reproduce it."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from carbonneutral.domain import calculator
from carbonneutral.domain.activities import LIFE_ACTIVITY_TYPES, Activity
from carbonneutral.domain.calculator import FlightMethod
from carbonneutral.domain.factors import Factor, FactorSet, Upstream, load_factor_set
from carbonneutral.domain.ports import FootprintRepository, SceneRepository
from carbonneutral.domain.scenes import Scene, SceneStatus
from carbonneutral.domain.types import SceneId
from carbonneutral.errors import InvalidInput, NotFound, SceneClosed


class FootprintRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["scene", "life"]
    scene_id: SceneId | None = None
    period: Literal["month", "year"] | None = Field(
        default=None, description="Life footprints: month or year"
    )
    activities: list[Activity] = Field(min_length=1, max_length=50)
    radiative_forcing: bool | None = Field(
        default=None, description="Defaults to the scene's choice, else true"
    )
    well_to_tank: bool | None = Field(
        default=None,
        description="Count fuels' well-to-tank (extraction, refining, delivery) as a part of each line. "
        "Defaults to the scene's choice, else true",
    )
    flight_method: FlightMethod | None = Field(
        default=None,
        description="Which method counts for a flight within China: cn (Chinese carriers' measured CO2 "
        "per passenger-km) or desnz (the UK government's factor). Both are shown. Defaults to the scene's "
        "choice, else cn",
    )

    @model_validator(mode="after")
    def _kind_fields(self) -> FootprintRequest:
        if self.kind == "scene":
            if not self.scene_id:
                raise ValueError("scene_id is required when kind is 'scene'")
            if self.period:
                raise ValueError("period applies to life footprints only")
        else:
            if not self.period:
                raise ValueError("period is required when kind is 'life'")
            if self.scene_id:
                raise ValueError("scene_id applies to scene footprints only")
        return self


class FactorUsed(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    value: float
    unit: str
    source: str
    table: str
    licence: str
    note: str | None = None
    basis: str | None = Field(default=None, description="CO2 or CO2e")
    boundary: str | None = None
    year: int | None = Field(default=None, description="The year the figure describes")
    wtt: float | None = Field(default=None, description="Its well-to-tank part per unit, where published")
    wtt_source: str | None = None


class Step(BaseModel):
    """One factor applied: quantity × value, and its well-to-tank part."""

    model_config = ConfigDict(frozen=True)

    quantity: float
    factor: FactorUsed
    kg: float = Field(description="quantity × value (for an energy step: the kWh it gives)")
    wtt_kg: float = 0


class Alternative(BaseModel):
    model_config = ConfigDict(frozen=True)

    method: Literal["cn", "desnz"]
    g: int
    factor_key: str
    counted: bool


class BreakdownItem(BaseModel):
    model_config = ConfigDict(frozen=True)  # shared by the footprints a remembered line goes into

    type: str
    label: str
    quantity: float
    quantity_unit: str
    g: int = Field(description="Grams: the direct part plus the well-to-tank part")
    factor: FactorUsed
    details: dict[str, Any]
    direct_g: int | None = Field(default=None, description="Grams emitted by the activity itself")
    wtt_g: int | None = Field(default=None, description="Grams of the fuel's well-to-tank part")
    upstream: Literal["added", "excluded", "within", "not_available"] | None = Field(
        default=None,
        description="The well-to-tank part: added as its own part, left out by choice, already inside "
        "the factor's boundary, or not published for this factor",
    )
    basis: Literal["CO2", "CO2e", "mixed"] | None = Field(default=None, description="Gases counted")
    boundary: str | None = Field(default=None, description="What the main factor counts")
    steps: list[Step] = Field(default_factory=list, description="Every factor the line applies, in order")
    alternatives: list[Alternative] = Field(
        default_factory=list, description="Flights within China: both methods' figures"
    )
    notes: list[str] = Field(
        default_factory=list,
        description="long_haul_floor, at_least_1g, cn_rail_whole_trip: what changed the figure",
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kg(self) -> float:
        return self.g / 1000


class Equivalent(BaseModel):
    car_km: float = Field(description="Kilometres an average petrol car drives for the same emissions")


class Footprint(BaseModel):
    footprint_id: str
    kind: Literal["scene", "life"]
    scene_id: str | None = None
    period: Literal["month", "year"] | None = None
    factor_set: str
    radiative_forcing: bool
    well_to_tank: bool | None = Field(default=None, description="None: stored before factor set 2025.2")
    flight_method: Literal["cn", "desnz"] | None = None
    activities: list[Activity]
    breakdown: list[BreakdownItem]
    total_g: int = Field(
        description="Grams: the sum of the breakdown, CO2e except where a line's source publishes CO2 only "
        "(each line's basis says)"
    )
    equivalent: Equivalent
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_kg(self) -> float:
        return self.total_g / 1000


def new_footprint_id() -> str:
    return "fp_" + secrets.token_urlsafe(16)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _cite(factors: FactorSet, factor: Factor | Upstream) -> str:
    source = factors.source_of(factor)
    return f"{source.publisher}: {source.title} ({source.year})"


# A factor as a footprint cites it, made once per factor set and key: factor sets never change once
# loaded. Keyed by the set's identity, not its version (a set made by hand may reuse a version with
# other figures); each entry holds its set, so that id is never another set's while it is kept.
_CITED: dict[tuple[int, str], tuple[FactorSet, FactorUsed]] = {}


def _factor_used(key: str, factor: Factor, factors: FactorSet) -> FactorUsed:
    cited = _CITED.get((id(factors), key))
    if cited is None or cited[0] is not factors:
        cited = _CITED[(id(factors), key)] = (factors, _cite_factor(key, factor, factors))
    return cited[1]


def _cite_factor(key: str, factor: Factor, factors: FactorSet) -> FactorUsed:
    return FactorUsed(
        key=key,
        value=float(factor.value),
        unit=factor.unit,
        source=_cite(factors, factor),
        table=factor.table,
        licence=factors.source_of(factor).licence,
        note=factor.note,
        basis=factor.gases(),
        boundary=str(factor.boundary) if factor.boundary else None,
        year=factor.year,
        wtt=float(factor.wtt.value) if factor.wtt else None,
        wtt_source=f"{_cite(factors, factor.wtt)}, {factor.wtt.table}" if factor.wtt else None,
    )


def _item(line: calculator.Line, factors: FactorSet, flight_method: str) -> dict[str, Any]:
    """A breakdown line as the data BreakdownItem validates: the footprint validates its new lines in
    one call, cheaper than a model made in Python per line and per step."""
    return {
        "type": line.type,
        "label": line.label,
        "quantity": float(line.quantity),
        "quantity_unit": line.quantity_unit,
        "g": line.g,
        "factor": _factor_used(line.factor_key, line.factor, factors),
        "details": line.details,
        "direct_g": line.direct_g,
        "wtt_g": line.wtt_g,
        "upstream": line.upstream,
        "basis": line.basis,
        "boundary": line.boundary or None,
        "steps": [
            {
                "quantity": float(step.quantity),
                "factor": _factor_used(step.key, step.factor, factors),
                "kg": float(step.direct_kg),
                "wtt_kg": float(step.wtt_kg),
            }
            for step in line.steps
        ],
        "alternatives": [
            {
                "method": alt.method,
                "g": alt.g,
                "factor_key": alt.factor_key,
                "counted": alt.method == flight_method,
            }
            for alt in line.alternatives
        ],
        "notes": list(line.notes),
    }


# Breakdown lines already worked out. A line is a pure function of its activity's class and fields
# and of the context (factor set and settings) it is computed in, so visitors of a scene who enter
# the same flight, hotel or meals share one line instead of working it out again. Contexts are made
# once per factor set and settings and held (so each one's id stays its own; factor sets never change
# once loaded); a line is keyed by its context's id, the activity's class and its field values in
# their fixed order. The oldest line goes first once REMEMBERED_LINES are held.
REMEMBERED_LINES = 2048
_LINES: dict[tuple[Any, ...], BreakdownItem] = {}
_CONTEXTS: dict[tuple[Any, ...], calculator.Context] = {}
_REMEMBERING = threading.Lock()
_COUNTED = [0, 0]  # lines remembered, lines worked out, in the footprints this process computed


def lines_counted() -> tuple[int, int]:
    """(lines remembered, lines worked out) in every footprint this process computed so far."""
    return _COUNTED[0], _COUNTED[1]


def forget_lines() -> None:
    """Drop every remembered line (bench/bench_calculate.py measures lines worked out afresh)."""
    _LINES.clear()


def _context(
    factors: FactorSet,
    radiative_forcing: bool,
    well_to_tank: bool,
    flight_method: FlightMethod,
    period_days: int | None,
) -> calculator.Context:
    key = (id(factors), radiative_forcing, well_to_tank, flight_method, period_days)
    ctx = _CONTEXTS.get(key)
    if ctx is None:  # setdefault: threads making the same context at once all get the one kept
        ctx = _CONTEXTS.setdefault(
            key,
            calculator.Context(
                factors=factors,
                radiative_forcing=radiative_forcing,
                well_to_tank=well_to_tank,
                flight_method=flight_method,
                period_days=period_days,
            ),
        )
    return ctx


class _Breakdown(NamedTuple):
    items: list[Any]  # each activity's line: a remembered line's model, else the new line's data
    total_g: int
    new: list[tuple[int, tuple[Any, ...]]]  # where the new lines are, and their keys


def _breakdown(activities: list[Activity], ctx: calculator.Context) -> _Breakdown:
    items: list[Any] = []
    new: list[tuple[int, tuple[Any, ...]]] = []
    total_g = 0
    for index, activity in enumerate(activities):
        key = (id(ctx), type(activity), *activity.__dict__.values())
        item = _LINES.get(key)
        if item is None:
            line = calculator.line_at(index, activity, ctx)
            new.append((index, key))
            items.append(_item(line, ctx.factors, ctx.flight_method))
            total_g += line.g
        else:
            items.append(item)
            total_g += item.g
    return _Breakdown(items, total_g, new)


def _remember(breakdown: list[BreakdownItem], new: list[tuple[int, tuple[Any, ...]]]) -> None:
    """Remember the new lines, as the footprint validated them in one call with the rest."""
    with _REMEMBERING:  # a threaded caller's evictions must not pick the same oldest line
        _COUNTED[0] += len(breakdown) - len(new)
        _COUNTED[1] += len(new)
        for index, key in new:
            if key in _LINES:  # the same activity twice in one footprint
                continue
            if len(_LINES) >= REMEMBERED_LINES:
                del _LINES[next(iter(_LINES))]
            _LINES[key] = breakdown[index]


def compute(
    request: FootprintRequest,
    factors: FactorSet,
    *,
    radiative_forcing: bool,
    footprint_id: str,
    created_at: datetime,
    well_to_tank: bool = True,
    flight_method: FlightMethod = "cn",
) -> Footprint:
    period_days = calculator.PERIOD_DAYS.get(request.period or "")
    ctx = _context(factors, radiative_forcing, well_to_tank, flight_method, period_days)
    breakdown = _breakdown(request.activities, ctx)
    total_g = breakdown.total_g
    footprint = Footprint.model_validate(
        {
            "footprint_id": footprint_id,
            "kind": request.kind,
            "scene_id": request.scene_id,
            "period": request.period,
            "factor_set": factors.version,
            "radiative_forcing": radiative_forcing,
            "well_to_tank": well_to_tank,
            "flight_method": flight_method,
            "activities": request.activities,
            "breakdown": breakdown.items,
            "total_g": total_g,
            "equivalent": {
                "car_km": float(calculator.car_km_equivalent(total_g, factors, well_to_tank=well_to_tank))
            },
            "created_at": created_at,
        }
    )
    _remember(footprint.breakdown, breakdown.new)
    return footprint


class FootprintService:
    def __init__(
        self,
        scenes: SceneRepository,
        footprints: FootprintRepository,
        factors: FactorSet,
        *,
        clock: Callable[[], datetime] = _now,
        new_id: Callable[[], str] = new_footprint_id,
    ) -> None:
        self._scenes, self._footprints, self._factors = scenes, footprints, factors
        self._clock, self._new_id = clock, new_id

    def create(self, request: FootprintRequest) -> Footprint:
        radiative_forcing = True if request.radiative_forcing is None else request.radiative_forcing
        well_to_tank = True if request.well_to_tank is None else request.well_to_tank
        flight_method: FlightMethod = request.flight_method or "cn"
        if request.kind == "scene":
            assert request.scene_id
            scene = self._scenes.get(request.scene_id)
            if scene is None:
                raise InvalidInput(f"no scene {request.scene_id!r}", field="scene_id")
            if scene.status is not SceneStatus.open:
                raise SceneClosed(
                    f"scene {request.scene_id!r} is closed and takes no new footprints", field="scene_id"
                )
            allowed = scene.allowed_activities()
            if request.radiative_forcing is None:
                radiative_forcing = scene.radiative_forcing
            if request.well_to_tank is None:
                well_to_tank = scene.well_to_tank
            flight_method = request.flight_method or scene.flight_method
        else:
            allowed = LIFE_ACTIVITY_TYPES
        for index, activity in enumerate(request.activities):
            if activity.type not in allowed:
                raise InvalidInput(
                    f"activity type {activity.type!r} is not part of this calculator; allowed: {sorted(allowed)}",
                    field=f"activities[{index}].type",
                )
        footprint = compute(
            request,
            self._factors,
            radiative_forcing=radiative_forcing,
            well_to_tank=well_to_tank,
            flight_method=flight_method,
            footprint_id=self._new_id(),
            created_at=self._clock(),
        )
        self._footprints.add(footprint)
        return footprint

    def get(self, footprint_id: str) -> Footprint:
        footprint = self._footprints.get(footprint_id)
        if footprint is None:
            raise NotFound(f"no footprint {footprint_id!r}")
        return footprint

    def scene(self, scene_id: str) -> Scene:
        """A scene of the catalogue, with its calculator."""
        scene = self._scenes.get(scene_id)
        if scene is None:
            raise NotFound(f"no scene {scene_id!r}")
        return scene

    @staticmethod
    def factor_set(version: str | None) -> FactorSet:
        """A shipped factor set (None: the newest)."""
        try:
            return load_factor_set(version)
        except KeyError as exc:
            raise NotFound(f"no factor set {version!r}") from exc
