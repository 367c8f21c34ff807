"""Event certificates as the organizer service issues them: the same figures give the same
certificate, whatever the day, and changed figures a new one naming the one it supersedes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from carbonneutral.certify.keys import SigningKey, key_set, verify
from carbonneutral.domain.organizers import OrganizerService
from carbonneutral.domain.scenes import Scene

from tests.factories import TEXT

TOTALS = {"participants_g": 150_000, "participants_orders": 2, "organizer_kg": 0, "organizer_orders": 0}


class Figures:
    def __init__(self) -> None:
        self.totals = dict(TOTALS)

    def scene_totals(self, scene_id: str) -> dict[str, int]:
        return self.totals


class Certificates:
    def __init__(self) -> None:
        self.issued: dict[str, dict[str, Any]] = {}
        self.current_id: str | None = None

    def current(self, scene_id: str) -> dict[str, Any] | None:
        return self.issued[self.current_id] if self.current_id else None

    def issue(self, scene_id: str, signed: dict[str, Any], previous: str | None) -> bool:
        if previous != self.current_id:
            return False
        self.issued[signed["certificate_id"]] = signed
        self.current_id = signed["certificate_id"]
        return True


def service(
    scene: Scene, clock: list[datetime]
) -> tuple[OrganizerService, Figures, Certificates, SigningKey]:
    scenes = type("Scenes", (), {"get": lambda self, scene_id: scene})()
    figures, certificates, key = Figures(), Certificates(), SigningKey.generate("k-test")
    organizers = OrganizerService(
        scenes,
        object(),  # type: ignore[arg-type]
        figures,  # type: ignore[arg-type]
        certificates,
        lambda: key,
        clock=lambda: clock[0],
    )
    return organizers, figures, certificates, key


def a_scene(**dates: date) -> Scene:
    return Scene(
        scene_id="cert-test",
        kind="supermarket",
        name=TEXT,
        city=TEXT,
        lat=30.0,
        lon=104.0,
        organizer_id="org-a",
        expected_attendance=20,
        event_footprint_kg=100,
        **dates,
    )


@pytest.mark.parametrize("dates", [{}, {"starts_on": date(2026, 11, 1), "ends_on": date(2026, 11, 30)}])
def test_the_same_figures_give_the_same_certificate_on_another_day(dates: dict[str, date]) -> None:
    clock = [datetime(2026, 11, 26, 9, tzinfo=UTC)]
    organizers, _, certificates, _ = service(a_scene(**dates), clock)
    first, created = organizers.certify("cert-test", "org-a", "https://example.org")
    # participants' 150 kg count up to 20 x 5 kg (a supermarket's estimate): 100 of 200 kg
    assert created and first["level"] == "silver" and first["participants_kg"] == "100.000"
    clock[0] += timedelta(days=3)
    again, created = organizers.certify("cert-test", "org-a", "https://example.org")
    assert not created and again == first and len(certificates.issued) == 1
    assert first["period"] == ("2026-11-01/2026-11-30" if dates else "2026-11-26")


def test_changed_figures_give_a_new_certificate_superseding_the_old_one() -> None:
    clock = [datetime(2026, 11, 26, 9, tzinfo=UTC)]
    organizers, figures, certificates, key = service(a_scene(), clock)
    first, _ = organizers.certify("cert-test", "org-a", "https://example.org")
    figures.totals = {**TOTALS, "organizer_kg": 50, "organizer_orders": 1}
    second, created = organizers.certify("cert-test", "org-a", "https://example.org")
    assert (
        created and second["supersedes"] == first["certificate_id"] and second["level"] == "gold"
    )  # 150 of 200
    assert certificates.issued[first["certificate_id"]] == first  # never edited
    assert verify(second, key_set(key))[0] and verify(first, key_set(key))[0]
