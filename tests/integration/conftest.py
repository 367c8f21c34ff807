"""What the ledger's tests share: a fixed clock, the ledger and purchase service on the test
stack's DynamoDB Local, the sandbox provider, and a fresh project per test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from carbonneutral.domain.projects import SerialRange
from carbonneutral.domain.purchase import PurchaseService
from carbonneutral.payments.sandbox import SandboxProvider
from carbonneutral.store.footprints import DynamoFootprintRepository
from carbonneutral.store.ledger import CreditLedger
from carbonneutral.store.scenes import DynamoSceneRepository

from tests.factories import a_project
from tests.integration.ledger_support import SECRET, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(stack) -> CreditLedger:
    return CreditLedger(stack.table, stack.dynamodb_client())


@pytest.fixture
def sandbox() -> SandboxProvider:
    return SandboxProvider(SECRET)


@pytest.fixture
def service(stack, ledger, sandbox, clock) -> PurchaseService:
    client = stack.dynamodb_client()
    return PurchaseService(
        ledger,
        DynamoFootprintRepository(stack.table, client),
        DynamoSceneRepository(stack.table, client),
        lambda: {"sandbox": sandbox},
        default_provider="sandbox",
        token_secret=lambda: "token-secret-for-tests-0123",
        reservation=timedelta(minutes=30),
        clock=clock,
    )


@pytest.fixture
def project(ledger) -> Callable[..., str]:
    """A project of its own for each test, with the given blocks issued."""

    def make(*blocks: tuple[int, int], price: str = "60.00") -> str:
        project = a_project(price=price)
        ledger.put_project(project)
        ledger.issue(project.project_id, [SerialRange(first=a, last=b) for a, b in blocks or [(1, 100)]])
        return project.project_id

    return make
