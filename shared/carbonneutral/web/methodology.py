"""The methodology: how each activity is calculated, what it counts, where each figure comes from,
and what it leaves out. One text, shown at /methodology and written to docs/methodology.md
(`make methodology`), with every factor listed from the shipped factor set itself."""

from __future__ import annotations

from dataclasses import dataclass

from carbonneutral.domain.factors import FactorSet
from carbonneutral.domain.places import DETOUR, DETOUR_SOURCE


@dataclass(frozen=True)
class Section:
    activity: str
    title: str
    method: tuple[str, ...]
    boundary: str
    limits: tuple[str, ...]
    prefixes: tuple[str, ...]


BOUNDARIES = {
    "combustion": "fuel burnt in the vehicle, aircraft or boiler (tank-to-wheel)",
    "generation": "CO2 of generating the electricity used (power plants' fuel), without the fuel chain "
    "upstream or grid losses",
    "operational": "a building's energy use per stay",
    "full_process": "operation plus stations, maintenance and the energy chain",
    "life_cycle": "cradle to plate: farming, processing, transport",
    "economy_wide": "a whole economy's fossil CO2 per yuan of output",
    "energy": "energy used per unit of activity; its emissions come from the grid or fuel it draws",
}

PRINCIPLES = (
    "A footprint is one person's unless a line says how many travellers it covers (`travellers`, default "
    "1): the line is multiplied by it. A car, taxi or motorcycle is shared by its `occupants`: its "
    "emissions are divided among them, and `travellers` of them are counted on the line (never more than "
    "the occupants). Factor set 2025.1's `passengers` meant travellers on flights, trains, buses and "
    "metros but occupants in cars and taxis; stored footprints keep it with that meaning, new requests "
    "are refused it.",
    "Each line is its direct part plus its fuel's well-to-tank part (extraction, refining and delivery "
    "of the fuel), each rounded once to whole grams. Well-to-tank is counted by default; a scene or a "
    "request can switch it off (`well_to_tank: false`). A line says whether its upstream part was added, "
    "left out by choice, is already inside the factor's boundary, or is not published for its factor.",
    "Each line states its gases: CO2e (CO2, CH4 and N2O as CO2 equivalents) or CO2 only, where the "
    "source publishes CO2 only (China's grid factors, the high-speed rail figure, jet fuel by China's "
    "method, LPG by weight, spending). A line mixing both says `mixed`. The total is the sum of the "
    "lines and says which parts it includes.",
    "A train, car or coach trip can be given by its two cities instead of its km (mainland China's "
    "provincial capitals and the cities its airports serve, with GeoNames' coordinates): its km is the "
    f"great-circle distance between them times a detour factor, {DETOUR['rail']} for rail and "
    f"{DETOUR['road']} for road, from {DETOUR_SOURCE}, who use {DETOUR['road']} for the bus; it is used "
    "here for every road vehicle. The line names both cities, the straight line and the factor.",
    "A line never rounds silently to 0 g: anything emitted shows at least 1 g, and the line says so.",
    "A footprint stores its result and the factor set it was calculated with; a new factor set never "
    "changes a stored footprint. Sets of an older method stay readable for the footprints made with them.",
)

SECTIONS = (
    Section(
        "flight",
        "Flights",
        (
            "Distance: the great circle between the two airports; DESNZ's air factors already include "
            "an 8 % uplift for routing and stacking, so no uplift is added. Two codes of one airport "
            "(BSL and MLH) or the same airport twice are refused (a 0 km flight).",
            "Outside mainland China: DESNZ 2025 business-travel air factors per passenger-km by DESNZ's "
            "band (UK domestic; short- or long-haul to or from the UK; international, not touching the "
            "UK) and cabin, plus DESNZ's well-to-tank factor of the same row.",
            "Within mainland China, two methods side by side, and the scene chooses which counts "
            "(default `cn`): `cn`, the jet fuel China's fleet burns per passenger-km: CAAC's 0.285 kg "
            "of fuel per revenue tonne-km (2019) × ICAO's standard 0.1 t per passenger with baggage = "
            "0.0285 kg per passenger-km, × 3.16 kg CO2 per kg of fuel (ICAO), plus the fuel's "
            "well-to-tank part (DESNZ: 661.79 kg CO2e per tonne of aviation turbine fuel); and `desnz`, "
            "DESNZ's international factor. For Beijing–Chengdu the Chinese method gives about 40 % more "
            "than DESNZ's: it is the fuel China's airlines actually burn per passenger, while DESNZ's "
            "row is one average for every flight that does not touch the UK, whatever its length.",
            "Radiative forcing: at cruising altitude an aircraft warms the climate by more than its CO2 "
            "alone (contrails, and the NOx that makes ozone). Where the scene counts it (the default), "
            "DESNZ's with-RF factors are used, and China's method multiplies its CO2 by DESNZ's 1.7.",
            "Long-haul floor: DESNZ's long-haul factor per km is lower than its short-haul one, so a "
            "flight just over 3,700 km to or from the UK would count less than one of 3,700 km. Such a "
            "flight is rated as the longest short-haul flight instead, so the result never falls as the "
            "distance grows; the line says so whenever this changes its figure. Only economy is affected: "
            "by at most 4.7 % with well-to-tank counted (7.5 % without it, with radiative forcing).",
        ),
        "combustion, plus well-to-tank; CO2e (DESNZ) or CO2 (China's method)",
        (
            "China's method has no cabin split, uses the 2019 fleet intensity (domestic and "
            "international flying, passengers and cargo shared by weight), and applies it to the great "
            "circle, while CAAC counts tonne-km on route distances: it understates by the detour.",
            "The audit quoted 95.3 g CO2 per passenger-km (2019) for China's domestic flights; its "
            "source could not be traced, so it is not used. China's method here gives 90.1 g.",
            "DESNZ's bands are centred on the UK: small route changes can flip a band.",
        ),
        ("flight.", "fuel.jet."),
    ),
    Section(
        "rail",
        "Trains",
        (
            "Per passenger-km × travellers. In China: high-speed rail uses Beijing Jiaotong University's "
            "full-process figure, 30.48 g CO2 per passenger-km (2019). Conventional and international "
            "trains use 0.0364 kWh per passenger-km (CRH380A, 3.64 kWh per person per 100 km) × the "
            "grid factor (`grid`, default China's national average); an international trip starting or "
            "ending in China is rated by the Chinese figure for its whole distance. Light rail and trams "
            "in China use the energy DESNZ's light-rail figure implies (0.02860 / 0.177 = 0.16158 kWh "
            "per passenger-km) × the grid factor.",
            "Outside China: DESNZ's national rail, light rail and international rail (Eurostar) factors "
            "with their well-to-tank parts.",
        ),
        "full process (high-speed, China); generation (electric trains, China); combustion plus "
        "well-to-tank elsewhere",
        (
            "No official per passenger-km factor for China Railway was found. The conventional-train "
            "figure comes from a 300 km/h train, and its occupancy basis is not stated. Diesel trains "
            "(about a quarter of China's lines are not electrified) are not told apart.",
        ),
        ("rail.",),
    ),
    Section(
        "car",
        "Cars",
        (
            "Vehicle-km (× 2 for a return trip) ÷ occupants × travellers. Petrol, diesel, hybrid and "
            "unknown fuel: DESNZ 2025 average-car factors with their well-to-tank parts.",
            "Electric: 0.17765 kWh per km × the grid factor of where it is charged (`grid`). The energy is "
            "China's mandatory limit for a 2 t electric car, 15.1 kWh per 100 km (CLTC), divided by 0.85 "
            "because ICCT found real-world range 15 % below the rated range in China.",
            "Plug-in hybrid: 53 % of the kilometres on electricity (the share measured in Chinese cities "
            "for a 50 km electric range), rated as an electric car; the rest as a hybrid car.",
        ),
        "combustion plus well-to-tank; generation for the electric kilometres",
        (
            "Combustion cars use DESNZ's UK fleet averages: no official Chinese per-km factor is shipped.",
            "Charging losses and the upstream of electricity are not included.",
        ),
        ("car.",),
    ),
    Section(
        "taxi",
        "Taxis",
        ("DESNZ's regular taxi per vehicle-km with its well-to-tank part, ÷ occupants × travellers.",),
        "combustion plus well-to-tank",
        ("A UK taxi fleet average; China's electric taxis are not told apart.",),
        ("taxi.",),
    ),
    Section(
        "motorcycle",
        "Motorcycles",
        ("DESNZ's average motorbike per vehicle-km with its well-to-tank part, ÷ occupants (1 or 2).",),
        "combustion plus well-to-tank",
        ("A UK fleet average; electric two-wheelers are not told apart.",),
        ("motorcycle.",),
    ),
    Section(
        "bus",
        "Buses and coaches",
        ("DESNZ's average local bus or coach per passenger-km with its well-to-tank part, × travellers.",),
        "combustion plus well-to-tank",
        ("UK fleet averages: China's many electric city buses are not told apart.",),
        ("bus.",),
    ),
    Section(
        "metro",
        "Metro",
        (
            "0.15706 kWh per passenger-km × the grid factor of the metro's city (`grid`). The energy is "
            "what DESNZ's London Underground factor implies: 0.02780 kg CO2e per passenger-km ÷ 0.177 kg "
            "CO2e per kWh of UK electricity generated, the way DESNZ derives its own electric-car kWh.",
        ),
        "generation",
        ("No Chinese per passenger-km energy figure for metros was found; the London figure stands in.",),
        ("metro.",),
    ),
    Section(
        "hotel",
        "Hotels",
        ("DESNZ's hotel stay per room-night by country, × nights × rooms.",),
        "operational energy of the stay; no well-to-tank part is published",
        ("One average per country: a hotel's own figure would be better.",),
        ("hotel.",),
    ),
    Section(
        "meal",
        "Meals and diets",
        (
            "Scarborough et al. (2014): daily dietary emissions of UK adults per 2,000 kcal by diet; a "
            "meal is a third of a day.",
        ),
        "life cycle (farming, processing, transport)",
        ("UK diets; Chinese diets differ in what they contain.",),
        ("meal.", "diet."),
    ),
    Section(
        "electricity",
        "Electricity",
        (
            "kWh × the 2023 factor of the grid: China's national average, one of the seven regional grids, "
            "or one of 30 provinces (MEE and NBS, notice 2025 No. 47). Each line names its grid and year.",
        ),
        "generation, CO2 only",
        (
            "Tibet has no published provincial factor: choose the Southwest grid or the national average.",
            "The fuel chain upstream and grid losses are not included. MEE, NBS and NEA publish a "
            "separate life-cycle series (the electricity carbon-footprint factors, 0.5777 kg CO2e per kWh "
            "for 2024), not mixed in.",
        ),
        ("electricity.",),
    ),
    Section(
        "gas",
        "Gas",
        (
            "Natural gas (m3 or kWh) and LPG by the litre: DESNZ 2025 fuel factors with their "
            "well-to-tank parts. LPG by the kg: China's provincial-inventory defaults (net calorific value "
            "50.179 GJ/t, 17.2 t C/TJ, 98 % oxidised), with DESNZ's LPG well-to-tank per tonne.",
        ),
        "combustion plus well-to-tank",
        ("LPG by the kg counts CO2 only.",),
        ("gas.",),
    ),
    Section(
        "shopping",
        "Spending",
        ("Yuan × China's economy-wide fossil CO2 per yuan of GDP (2023).",),
        "economy-wide, CO2 only",
        ("An average over the whole economy, not a product's footprint.",),
        ("shopping.",),
    ),
)


def factor_rows(factors: FactorSet, section: Section) -> list[tuple[str, str, str, str, str]]:
    """(key, value and unit, gases and boundary, source and year, licence) for each factor."""
    rows = []
    for key, factor in factors.factors.items():
        if not key.startswith(section.prefixes):
            continue
        source = factors.source_of(factor)
        value = f"{factor.value} {factor.unit}"
        if factor.wtt:
            value += f" + WTT {factor.wtt.value}"
        year = f", figure of {factor.year}" if factor.year else ""
        rows.append(
            (
                key,
                value,
                f"{factor.gases()}, {factor.boundary or 'unstated'}",
                f"{source.publisher}: {source.title} ({source.year}{year}); {factor.table}",
                source.licence,
            )
        )
    return rows


def markdown(factors: FactorSet) -> str:
    out = [
        f"# Methodology (factor set {factors.version})",
        "",
        "<!-- Written by `make methodology` from shared/carbonneutral/web/methodology.py and the shipped "
        "factor set; the page /methodology shows the same. Do not edit by hand. -->",
        "",
        factors.description,
        "",
        "## Principles",
        "",
        *[f"- {p}" for p in PRINCIPLES],
        "",
        "## Boundaries",
        "",
        *[f"- `{name}`: {text}" for name, text in BOUNDARIES.items()],
        "",
        "## Parameters",
        "",
        *[f"- `{k}` = {v}: {factors.parameter_notes.get(k, '')}" for k, v in factors.parameters.items()],
        "",
    ]
    for section in SECTIONS:
        out += [f"## {section.title}", ""]
        for paragraph in section.method:
            out += [paragraph, ""]
        out += [f"Boundary: {section.boundary}.", ""]
        out += ["Known limits:", "", *[f"- {limit}" for limit in section.limits], ""]
        out += ["| factor | value | gases, boundary | source | licence |", "|---|---|---|---|---|"]
        out += [
            f"| {' | '.join(c.replace('|', '/') for c in row)} |" for row in factor_rows(factors, section)
        ]
        out += [""]
    out += ["## Sources", ""]
    for key, source in factors.sources.items():
        url = f" <{source.url}>" if source.url else ""
        out += [f"- `{key}`: {source.publisher}, {source.title} ({source.year}). {source.licence}.{url}"]
    return "\n".join(out) + "\n"
