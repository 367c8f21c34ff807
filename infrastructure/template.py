"""Reads template.yaml: the one description of functions, routes, table and bucket.

The local runtime builds its table, bucket, environment and routes from here, so what runs
locally is what deploys.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from infrastructure import cfn_yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
DEFAULT_ROUTE = "$default"


@cache
def load(path: Path = TEMPLATE) -> dict[str, Any]:
    return cfn_yaml.load(path)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str  # logical id
    handler: str  # module.attr, e.g. calculate.app.lambda_handler

    @property
    def route_key(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"

    @property
    def pattern(self) -> re.Pattern[str]:
        if self.path == DEFAULT_ROUTE:  # API Gateway's catch-all: whatever no other route matches
            return re.compile(r"^.*$", re.DOTALL)
        regex = ""
        for part in re.split(r"(\{[^}]+\})", self.path):
            if part.startswith("{") and part.endswith("+}"):
                regex += f"(?P<{_group(part[1:-2])}>.+)"
            elif part.startswith("{"):
                regex += f"(?P<{_group(part[1:-1])}>[^/]+)"
            else:
                regex += re.escape(part)
        return re.compile(f"^{regex}$")

    @property
    def specificity(self) -> tuple[int, int, int]:
        """API Gateway's order: exact paths, then fewer greedy and more literal segments."""
        if self.path == DEFAULT_ROUTE:
            return (sys.maxsize, 0, 0)
        parts = self.path.strip("/").split("/")
        greedy = sum(p.endswith("+}") for p in parts)
        variables = sum(p.startswith("{") for p in parts)
        return (greedy, variables, -len(parts))


def _group(name: str) -> str:
    return re.sub(r"\W", "_", name)


def resources(kind: str, template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    template = template or load()
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def routes(template: dict[str, Any] | None = None) -> list[Route]:
    template = template or load()
    found = []
    for logical_id, fn in resources("AWS::Serverless::Function", template).items():
        props = fn["Properties"]
        for event in props.get("Events", {}).values():
            if event["Type"] != "HttpApi":
                continue
            ep = event["Properties"]
            found.append(Route(ep.get("Method", "ANY").upper(), ep["Path"], logical_id, props["Handler"]))
    return sorted(found, key=lambda r: r.specificity)


def function_environment(
    logical_id: str, refs: dict[str, str], template: dict[str, Any] | None = None
) -> dict[str, str]:
    """A function's environment with intrinsics resolved against local names."""
    template = template or load()
    merged: dict[str, Any] = dict(
        template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    props = template["Resources"][logical_id]["Properties"]
    merged.update(props.get("Environment", {}).get("Variables", {}))
    return {k: str(_resolve(v, refs, template)) for k, v in merged.items()}


def _resolve(value: Any, refs: dict[str, str], template: dict[str, Any]) -> Any:
    """Just enough of CloudFormation's intrinsics for environment values."""
    if not isinstance(value, dict):
        return value
    ((name, arg),) = value.items()
    if name == "Ref":
        if arg in refs:
            return refs[arg]
        param = template.get("Parameters", {}).get(arg)
        if param is not None:
            return param.get("Default", "")
        raise KeyError(f"no local value for !Ref {arg}")
    if name == "Fn::If":
        condition, if_true, if_false = arg
        return _resolve(if_true if _condition(condition, refs, template) else if_false, refs, template)
    if name == "Fn::Sub":
        text = arg if isinstance(arg, str) else arg[0]
        params = {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()}
        return re.sub(
            r"\$\{([^}]+)\}", lambda m: str(refs.get(m.group(1), params.get(m.group(1), m.group(0)))), text
        )
    raise KeyError(f"intrinsic {name} is not supported locally")


def _condition(name: str, refs: dict[str, str], template: dict[str, Any]) -> bool:
    expr = template["Conditions"][name]
    return bool(_eval(expr, refs, template))


def _eval(expr: Any, refs: dict[str, str], template: dict[str, Any]) -> Any:
    if isinstance(expr, dict):
        ((name, arg),) = expr.items()
        if name == "Fn::Not":
            return not _eval(arg[0], refs, template)
        if name == "Fn::Equals":
            return _eval(arg[0], refs, template) == _eval(arg[1], refs, template)
        return _resolve(expr, refs, template)
    return expr


def table_definition(logical_id: str = "Table", template: dict[str, Any] | None = None) -> dict[str, Any]:
    """CreateTable arguments from the template's table (keys, indexes, billing)."""
    props = resources("AWS::DynamoDB::Table", template)[logical_id]["Properties"]
    definition = {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        definition["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    return definition


def table_ttl_attribute(logical_id: str = "Table", template: dict[str, Any] | None = None) -> str | None:
    props = resources("AWS::DynamoDB::Table", template)[logical_id]["Properties"]
    ttl = props.get("TimeToLiveSpecification") or {}
    return ttl.get("AttributeName") if ttl.get("Enabled") else None
