"""Creates the table and bucket from template.yaml's definitions and seeds demo data."""

from __future__ import annotations

import json
from typing import Any

from carbonneutral.domain.projects import Project, SerialRange
from carbonneutral.domain.scenes import Scene, SceneKind, default_calculator
from carbonneutral.store.ledger import CreditLedger
from carbonneutral.store.scenes import DynamoSceneRepository

from infrastructure import template
from infrastructure.template import ROOT

SEED = ROOT / "infrastructure" / "seed"


def ensure_table(client: Any, name: str) -> bool:
    """Creates the table if it is missing; True when it was created."""
    if name in client.list_tables()["TableNames"]:
        _add_missing_indexes(client, name)
        return False
    client.create_table(TableName=name, **template.table_definition())
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    ttl = template.table_ttl_attribute()
    if ttl:
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl}
        )
    return True


def _add_missing_indexes(client: Any, name: str) -> None:
    """Local data kept from an older template gets the indexes added since."""
    definition = template.table_definition()
    existing = {
        i["IndexName"]
        for i in client.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])
    }
    for index in definition.get("GlobalSecondaryIndexes", []):
        if index["IndexName"] not in existing:
            client.update_table(
                TableName=name,
                AttributeDefinitions=definition["AttributeDefinitions"],
                GlobalSecondaryIndexUpdates=[{"Create": index}],
            )


def ensure_bucket(client: Any, name: str) -> None:
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if name not in existing:
        client.create_bucket(Bucket=name)


def demo_scenes() -> list[Scene]:
    scenes = []
    for raw in json.loads((SEED / "scenes.json").read_text(encoding="utf-8")):
        scene = Scene.model_validate(raw)
        if not scene.calculator:
            scene.calculator = default_calculator(
                SceneKind(scene.kind),
                airport=scene.airport,
                country=scene.country,
                starts_on=scene.starts_on,
                ends_on=scene.ends_on,
            )
        scenes.append(scene)
    return scenes


def import_issuance(ledger: CreditLedger, raw: dict[str, Any], *, only_if_new: bool = False) -> int:
    """Registers a project and issues its blocks; returns the kg issued."""
    project = Project.model_validate(raw["project"])
    existing = ledger.project(project.project_id)
    if only_if_new and existing and existing[1].issued_kg > 0:
        return 0
    ledger.put_project(project)
    return ledger.issue(project.project_id, [SerialRange.model_validate(b) for b in raw["blocks"]])


def seed(table_name: str, client: Any) -> dict[str, int]:
    """Idempotent: demo scenes are put again on every start; demo projects are issued once."""
    repo = DynamoSceneRepository(table_name, client)
    scenes = demo_scenes()
    for scene in scenes:
        repo.put(scene)
    ledger = CreditLedger(table_name, client)
    issued = sum(
        import_issuance(ledger, raw, only_if_new=True)
        for raw in json.loads((SEED / "projects.json").read_text(encoding="utf-8"))
    )
    return {"scenes": len(scenes), "issued_kg": issued}
