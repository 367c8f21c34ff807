"""A stack deployed before `init-secrets`: clear 503s that name what is missing, nothing written,
and everything working once the secrets exist, without restarting a function."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import pytest

from infrastructure.local.services import free_port
from infrastructure.local.stack import LocalStack
from tests.support import Http

pytestmark = pytest.mark.integration

ORDER = {"quantity_kg": 2, "project_id": "cdcer-sichuan-biogas", "beneficiary": {"name": "First buyer"}}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = LocalStack(
        port=free_port(),
        quiet=True,
        export=False,
        init_secrets=False,
        log_dir=tmp_path_factory.mktemp("fresh-logs"),
        parameters={"ClientReservationCapKg": "5000"},  # the template's default, as deployed
    )
    try:
        yield stack.start()
    finally:
        stack.stop()


def items(stack: LocalStack, prefix: str) -> int:
    pages = stack.dynamodb_client().get_paginator("scan").paginate(TableName=stack.table)
    return sum(1 for page in pages for item in page["Items"] if item["PK"]["S"].startswith(prefix))


def order(http: Http):
    return http.post(
        "/v1/orders", json_body=ORDER, headers={"Idempotency-Key": "fresh-" + secrets.token_hex(6)}
    )


def test_before_init_secrets_what_needs_a_secret_answers_503_naming_it_and_writes_nothing(fresh) -> None:
    http = Http(fresh.url)
    before = {p: items(fresh, p) for p in ("ORDER#", "IDEMPOTENCY#", "HOLD#")}
    for _ in range(3):
        answer = order(http)
        assert answer.status == 503 and answer.content_type == "application/problem+json"
        problem = answer.json()
        assert problem["type"] == "/problems/not-configured"
        assert f"{fresh.secrets_path}/order-token-secret" in problem["detail"]
    assert {p: items(fresh, p) for p in before} == before
    keys = http.get("/.well-known/certificate-keys.json")
    assert keys.status == 503 and "certificate-public-keys" in keys.json()["detail"]
    paged = http.get("/v1/scenes?limit=1")  # a next page needs the cursor key
    assert paged.status == 503 and f"{fresh.secrets_path}/cursor-key" in paged.json()["detail"]
    # what needs no secret works already
    assert http.get("/v1/scenes/cdcnf-2021").status == 200
    assert http.get("/v1/scenes?limit=100").status == 200  # one page: no cursor to seal
    assert http.get("/v1/projects").status == 200
    assert fresh.invoke("SweeperFunction", {}) == {"released": 0}


def test_a_missing_secret_is_logged_once_per_container(fresh) -> None:
    order(Http(fresh.url))
    log = (fresh.log_dir / "PurchaseFunction.log").read_text()
    missing = [
        json.loads(line)["parameter"] for line in log.splitlines() if '"secret not configured"' in line
    ]
    needed = fresh.definitions["PurchaseFunction"].environment["SECRETS"].split(",")
    assert sorted(missing) == sorted(f"{fresh.secrets_path}/{name}" for name in needed)  # each once


def test_after_init_secrets_everything_works_without_a_restart(fresh) -> None:
    http = Http(fresh.url)
    started = {name: len(f.cold_starts) for name, f in fresh.functions.items()}
    done = fresh.admin("init-secrets", "--path", fresh.secrets_path, "--kid", "cert-1")
    assert done.returncode == 0, done.stderr
    role = fresh.roles["PurchaseFunction"].name
    reads_before = fresh.proxy.calls[(role, "ssm:GetParameters")]
    placed = order(http)
    assert placed.status == 201, placed.body
    assert order(http).status == 201
    assert (
        fresh.proxy.calls[(role, "ssm:GetParameters")] - reads_before == 1
    )  # all secrets, once, then cached
    token, order_id = placed.json()["order_token"], placed.json()["order_id"]
    checkout = http.get(f"/checkout/{order_id}?token={token}&lang=en")
    assert checkout.status == 200 and b"This is a test payment" in checkout.body
    assert http.get("/.well-known/certificate-keys.json").json()["keys"][0]["kid"] == "cert-1"
    cursor = http.get("/v1/scenes?limit=1").json()["cursor"]
    assert http.get(f"/v1/scenes?limit=1&cursor={cursor}").status == 200
    assert {name: len(f.cold_starts) for name, f in fresh.functions.items()} == started  # no restart


def test_one_address_holds_at_most_the_cap_unpaid_and_is_told_when_to_retry(fresh) -> None:
    """Over HTTP, as deployed (ClientReservationCapKg 5000): every request here comes from 127.0.0.1."""
    http = Http(fresh.url)  # the secrets exist: the test before this one created them
    body = {**ORDER, "project_id": "cdcer-longquan-forest"}

    def place(kg: int):
        return http.post(
            "/v1/orders",
            json_body={**body, "quantity_kg": kg},
            headers={"Idempotency-Key": "hold-" + secrets.token_hex(6)},
        )

    refused = place(5001)  # a first order is capped like any other
    assert refused.status == 429 and refused.json()["type"] == "/problems/too-many-reservations"
    assert int(refused.headers["retry-after"]) >= 1
    assert place(4990).status == 201
    again = place(11)
    assert again.status == 429 and 1700 <= int(again.headers["retry-after"]) <= 1800  # when the hold runs out
    assert place(10).status == 201  # up to the cap exactly
