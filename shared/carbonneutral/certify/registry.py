"""Reading the public retirement registry: listings, a project's export and its signed head, and
what each project's public page shows (tonnes retired, money passed on to its developer)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from carbonneutral.domain.money import Money
from carbonneutral.domain.projects import Inventory, Project
from carbonneutral.domain.registry import LANES, RegistryRecord
from carbonneutral.errors import InvalidCursor, NotFound

PAGE = 50
# Cursors name a position in the public chain, nothing secret: checked, never trusted as keys.
# after:N is lane 0's position N; after:L.N lane L's (1-15).
_AFTER = re.compile(r"^after:(?:(\d{1,2})\.)?(\d{1,12})$")
_BEFORE = re.compile(r"^before:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ~[a-z0-9][a-z0-9-]{2,63}~(?:L\d\d~)?\d{12})$")


class RegistryLedger(Protocol):
    def registry_records(
        self, project_id: str, after: tuple[int, int] = (0, 0), limit: int = PAGE
    ) -> tuple[list[RegistryRecord], tuple[int, int] | None]: ...
    def latest_records(
        self, before: str | None = None, limit: int = PAGE
    ) -> tuple[list[RegistryRecord], str | None]: ...
    def every_record(self, project_id: str) -> list[RegistryRecord]: ...
    def signed_heads(self, project_id: str) -> list[dict[str, Any]]: ...
    def project(self, project_id: str) -> tuple[Project, Inventory] | None: ...
    def project_sold(
        self, project_id: str, *, consistent: bool = True
    ) -> tuple[Project, Inventory, Decimal, int] | None: ...
    def projects(self) -> list[tuple[Project, Inventory]]: ...
    def payout_totals(
        self, developer_id: str, *, consistent: bool = True
    ) -> tuple[Decimal, Decimal, int]: ...
    def sales(self, developer_id: str, period: str | None = None) -> list[Any]: ...


@dataclass(frozen=True)
class ProjectMoney:
    """A project's public figures: what was retired, and the money it brought its developer."""

    project: Project
    inventory: Inventory
    sold: Money  # paid by buyers for this project's retired credits
    developer_owed: Money  # owed to the developer for all its projects so far
    developer_paid: Money  # of which paid out (payouts recorded with their bank reference)


class RegistryService:
    def __init__(self, ledger: RegistryLedger) -> None:
        self._ledger = ledger

    def _project(self, project_id: str) -> tuple[Project, Inventory]:
        found = self._ledger.project(project_id)
        if found is None:
            raise NotFound(f"no project {project_id!r}")
        return found

    def listing(
        self, project_id: str | None, cursor: str | None, limit: int = PAGE
    ) -> tuple[list[RegistryRecord], str | None]:
        """A project's records in export order (lane by lane, each in chain order), or every
        project's newest first."""
        if project_id:
            self._project(project_id)
            after = (0, 0)
            if cursor:
                match = _AFTER.match(cursor)
                if not match or int(match[1] or 0) >= LANES:
                    raise InvalidCursor(
                        "this cursor is not one of this listing's", field="cursor", location="query"
                    )
                after = (int(match[1] or 0), int(match[2]))
            records, last = self._ledger.registry_records(project_id, after, limit)
            if last is None:
                return records, None
            return records, f"after:{last[0]}.{last[1]}" if last[0] else f"after:{last[1]}"
        before = None
        if cursor:
            match = _BEFORE.match(cursor)
            if not match:
                raise InvalidCursor(
                    "this cursor is not one of this listing's", field="cursor", location="query"
                )
            before = match[1].replace("~", "#")
        records, next_key = self._ledger.latest_records(before, limit)
        return records, f"before:{next_key.replace('#', '~')}" if next_key else None  # URL-safe

    def export(self, project_id: str) -> str:
        """The project's whole chain as JSON Lines, one record per line, in chain order."""
        self._project(project_id)
        return "".join(
            json.dumps(r.model_dump(mode="json", by_alias=True), ensure_ascii=False, separators=(",", ":"))
            + "\n"
            for r in self._ledger.every_record(project_id)
        )

    def heads(self, project_id: str) -> dict[str, Any]:
        """The signed head of each lane of the project's chain that has records, lane 0 first."""
        self._project(project_id)
        heads = self._ledger.signed_heads(project_id)
        if not heads:
            raise NotFound(f"project {project_id!r} has no retirement yet: its chain has no head")
        return {"project_id": project_id, "heads": heads}

    def money(self, project_id: str) -> ProjectMoney:
        """The project's public figures, read eventually consistent: a page, not a decision."""
        found = self._ledger.project_sold(project_id, consistent=False)
        if found is None:
            raise NotFound(f"no project {project_id!r}")
        project, inventory, sold, sold_kg = found
        developer = project.developer.company_id
        if sold_kg != inventory.retired_kg:  # sales from before the count: summed until `admin count-sales`
            sold = sum(
                (s.amount.amount for s in self._ledger.sales(developer) if s.project_id == project_id),
                start=Decimal(0),
            )
        owed, paid, _ = self._ledger.payout_totals(developer, consistent=False)
        currency = project.currency
        return ProjectMoney(
            project,
            inventory,
            Money(amount=sold, currency=currency),
            Money(amount=owed, currency=currency),
            Money(amount=paid, currency=currency),
        )

    def projects(self) -> list[Project]:
        return [project for project, _ in self._ledger.projects()]
