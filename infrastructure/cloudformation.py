"""The stack as CloudFormation sees it, rehearsed here: what `sam deploy` would accept or refuse.

- the template after the SAM transform (run by the SAM CLI's own translator);
- deploy parameters checked as CloudFormation checks them (types, ranges, patterns, values);
- the resource dependency graph, with every cycle named (CloudFormation refuses the change set);
- references that point nowhere, limits, and physical names that a second stack would clash on;
- intrinsics resolved for a local account, so the local runtime reads each function's handler,
  environment, role policies and routes from the very document CloudFormation would deploy.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from infrastructure.template import ROOT, TEMPLATE, Route, load

SAM_PYTHON = ROOT / ".local" / "sam-venv" / "bin" / "python"
TRANSFORM_CACHE = ROOT / ".local" / "cfn"
REGION, ACCOUNT, PARTITION, URL_SUFFIX = "us-east-1", "000000000000", "aws", "amazonaws.com"
PSEUDO = frozenset(
    {
        "AWS::Region",
        "AWS::AccountId",
        "AWS::Partition",
        "AWS::URLSuffix",
        "AWS::StackName",
        "AWS::StackId",
        "AWS::NoValue",
        "AWS::NotificationARNs",
    }
)
# Limits CloudFormation and Lambda enforce when the stack is created.
MAX_RESOURCES, MAX_OUTPUTS, MAX_PARAMETERS, MAX_TEMPLATE_BYTES = 500, 200, 200, 1_000_000
MAX_LAMBDA_ENV_BYTES = 4096
# Properties that give a resource a physical name: fixed ones clash when a second stack is deployed.
NAME_PROPERTIES = {
    "AWS::Scheduler::Schedule": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::IAM::Role": "RoleName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::Events::Rule": "Name",
}
_NO_VALUE = object()


class DeployError(ValueError):
    """What CloudFormation would refuse, in its own words where it has them."""


# ---- parameters ----


def parameter_values(
    overrides: dict[str, str] | None = None, template: dict[str, Any] | None = None
) -> dict[str, str]:
    """Defaults plus overrides, each checked against its declared constraints, as CloudFormation does."""
    declared: dict[str, dict[str, Any]] = (template or load()).get("Parameters", {})
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise DeployError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    values, missing, errors = {}, [], []
    for name, spec in declared.items():
        value = overrides.get(name, spec.get("Default"))
        if value is None:
            missing.append(name)
            continue
        values[name] = str(value)
        error = _constraint_error(name, spec, str(value))
        if error:
            errors.append(error)
    if missing:
        raise DeployError(f"Parameters: [{', '.join(missing)}] must have values")
    if errors:
        raise DeployError("; ".join(errors))
    return values


def _constraint_error(name: str, spec: dict[str, Any], value: str) -> str | None:
    def failed(default: str) -> str:
        reason = spec.get("ConstraintDescription")
        return f"Parameter '{name}' failed to satisfy constraint: {reason}" if reason else default

    if spec.get("Type", "String") == "Number":
        try:
            number = float(value)
        except ValueError:
            return f"Parameter '{name}' must be a number"
        if "MinValue" in spec and number < float(spec["MinValue"]):
            return failed(f"Parameter '{name}' must be a number not less than {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            return failed(f"Parameter '{name}' must be a number not greater than {spec['MaxValue']}")
    else:
        if "MinLength" in spec and len(value) < int(spec["MinLength"]):
            return failed(f"Parameter '{name}' must contain at least {spec['MinLength']} characters")
        if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
            return failed(f"Parameter '{name}' must contain at most {spec['MaxLength']} characters")
        if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
            return failed(f"Parameter '{name}' must match pattern {spec['AllowedPattern']}")
    if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
        return failed(f"Parameter '{name}' must be one of AllowedValues")
    return None


# ---- the SAM transform ----


def transformed(parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """template.yaml after the SAM transform, for these parameter values (validated first)."""
    values = parameter_values(parameters)
    document: dict[str, Any] = json.loads(
        _transformed_text(TEMPLATE.read_text(encoding="utf-8"), tuple(sorted(values.items())))
    )
    return document


@cache
def _transformed_text(source: str, values: tuple[tuple[str, str], ...]) -> str:
    digest = hashlib.sha256(json.dumps([source, values]).encode()).hexdigest()[:20]
    cached = TRANSFORM_CACHE / f"{digest}.json"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    if not SAM_PYTHON.exists():
        raise FileNotFoundError(f"the SAM CLI's environment is missing ({SAM_PYTHON}): run `make setup`")
    done = subprocess.run(
        [
            str(SAM_PYTHON),
            "-m",
            "infrastructure.sam_transform",
            str(TEMPLATE),
            *(f"{k}={v}" for k, v in values),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=ROOT,
        env={"AWS_DEFAULT_REGION": REGION, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    if done.returncode != 0:
        raise DeployError(f"the SAM transform failed: {done.stderr.strip().splitlines()[-1:]}")
    TRANSFORM_CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(done.stdout, encoding="utf-8")
    return done.stdout


# ---- references and the dependency graph ----


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every intrinsic function call in a node: (name, argument)."""
    if isinstance(node, dict):
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref" or key.startswith("Fn::") or key == "Condition":
                yield key, arg
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _sub_names(arg: Any) -> tuple[set[str], set[str]]:
    """(names, local variables) that a Fn::Sub string refers to."""
    text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1] if len(arg) > 1 else {})
    names = {m.split(".", 1)[0] for m in re.findall(r"\$\{(?!!)([^}]+)\}", text)}
    return names - set(local), set(local)


def references(node: Any) -> set[str]:
    """Logical names (resources, parameters, pseudo parameters) a node refers to; Fn::If counts both branches."""
    found: set[str] = set()
    for name, arg in _walk(node):
        if name == "Ref" and isinstance(arg, str):
            found.add(arg)
        elif name == "Fn::GetAtt":
            target = arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0]
            found.add(str(target))
        elif name == "Fn::Sub":
            found |= _sub_names(arg)[0]
    return found


def dependency_graph(template: dict[str, Any]) -> dict[str, set[str]]:
    resources = template.get("Resources", {})
    graph: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends = resource.get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else list(depends)
        refs = references({k: v for k, v in resource.items() if k in ("Properties", "Metadata")})
        graph[logical_id] = {r for r in refs | set(depends) if r in resources}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[tuple[list[str], list[str]]]:
    """Strongly connected components CloudFormation cannot order (Tarjan): (members, one cycle in them)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[list[str], list[str]]] = []
    counter = 0

    def visit(root: str) -> None:
        nonlocal counter
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append((sorted(component), _cycle_path(graph, set(component))))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _cycle_path(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One concrete cycle inside a strongly connected component, for the message."""
    start = min(component)
    path, seen, node = [start], {start}, start
    while True:
        nxt = min(n for n in graph[node] if n in component)
        if nxt in seen:
            return [*path[path.index(nxt) :], nxt]
        path.append(nxt)
        seen.add(nxt)
        node = nxt


# ---- resolving intrinsics for one stack ----


@dataclass
class Stack:
    """One stack's values: its name, parameters, and the physical ids of its resources."""

    template: dict[str, Any]
    parameters: dict[str, str]
    name: str = "carbon-neutral-local"
    physical: dict[str, str] = field(default_factory=dict)  # logical id -> name, where the caller chooses

    @property
    def stack_id(self) -> str:
        uuid = hashlib.sha1(self.name.encode()).hexdigest()  # noqa: S324 - an id, not a secret
        return f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/{self.name}/{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:32]}"

    def pseudo(self, name: str) -> Any:
        return {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackName": self.name,
            "AWS::StackId": self.stack_id,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": _NO_VALUE,
        }[name]

    def condition(self, name: str) -> bool:
        return bool(self.value(self.template.get("Conditions", {})[name]))

    def resource(self, logical_id: str) -> dict[str, Any]:
        return dict(self.template["Resources"][logical_id])

    def ref(self, name: str) -> Any:
        if name in PSEUDO:
            return self.pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        resource = self.template["Resources"].get(name)
        if resource is None:
            raise DeployError(
                f"Unresolved resource dependencies [{name}] in the Resources block of the template"
            )
        kind, physical = resource["Type"], self.physical_name(name)
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.{URL_SUFFIX}/{ACCOUNT}/{physical}"
        if kind in ("AWS::SNS::Topic", "AWS::Lambda::LayerVersion"):
            return self.attribute(name, "Arn")
        return physical

    def physical_name(self, logical_id: str) -> str:
        if logical_id in self.physical:
            return self.physical[logical_id]
        resource = self.template["Resources"][logical_id]
        prop = NAME_PROPERTIES.get(resource["Type"])
        if prop and prop in resource.get("Properties", {}):
            return str(self.value(resource["Properties"][prop]))
        suffix = hashlib.sha1(f"{self.stack_id}/{logical_id}".encode()).hexdigest()[:12].upper()  # noqa: S324
        return f"{self.name}-{logical_id}-{suffix}"

    def attribute(self, logical_id: str, attribute: str) -> str:
        resource = self.template["Resources"].get(logical_id)
        if resource is None:
            raise DeployError(
                f"Template error: instance of Fn::GetAtt references undefined resource {logical_id}"
            )
        name, kind = self.physical_name(logical_id), resource["Type"]
        service = kind.split("::")[1].lower()
        arns = {
            "AWS::DynamoDB::Table": f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            "AWS::S3::Bucket": f"arn:{PARTITION}:s3:::{name}",
            "AWS::SQS::Queue": f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{name}",
            "AWS::Lambda::Function": f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{name}",
            "AWS::IAM::Role": f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}",
            "AWS::Logs::LogGroup": f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{name}:*",
            "AWS::SNS::Topic": f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:{name}",
            "AWS::Lambda::LayerVersion": f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:layer:{name}:1",
        }
        if attribute in ("Arn", "TopicArn"):
            return arns.get(kind, f"arn:{PARTITION}:{service}:{REGION}:{ACCOUNT}:{logical_id}/{name}")
        if attribute == "QueueName":
            return name
        if attribute == "ApiEndpoint":
            return f"https://{name}.execute-api.{REGION}.{URL_SUFFIX}"
        return f"{name}.{attribute}"

    def value(self, node: Any) -> Any:
        """A node with every intrinsic resolved; AWS::NoValue removes keys and list items."""
        if isinstance(node, list):
            return [v for v in (self.value(x) for x in node) if v is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            resolver = self._intrinsics().get(key)
            if resolver is not None:
                return resolver(arg)
            if key.startswith("Fn::"):  # never guessed: a dict would pass as true in a condition
                raise DeployError(f"Template error: {key} is not an intrinsic this rehearsal evaluates")
        return {k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not _NO_VALUE}

    def _intrinsics(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self.ref,
            "Fn::GetAtt": lambda a: self.attribute(*(a if isinstance(a, list) else str(a).split(".", 1))),
            "Fn::Sub": self._sub,
            "Fn::Join": lambda a: str(self.value(a[0])).join(str(x) for x in self.value(a[1])),
            "Fn::If": lambda a: self.value(a[1] if self.condition(a[0]) else a[2]),
            "Fn::Select": lambda a: self.value(a[1])[int(self.value(a[0]))],
            "Fn::Split": lambda a: str(self.value(a[1])).split(str(self.value(a[0]))),
            "Fn::Equals": lambda a: str(self.value(a[0])) == str(self.value(a[1])),
            "Fn::Not": lambda a: not self.value(a[0]),
            "Fn::And": lambda a: all(self.value(x) for x in a),
            "Fn::Or": lambda a: any(self.value(x) for x in a),
            "Condition": self.condition,
            "Fn::FindInMap": lambda a: self.template["Mappings"][self.value(a[0])][self.value(a[1])][
                self.value(a[2])
            ],
        }

    def _sub(self, arg: Any) -> str:
        text, local = (
            (arg, {}) if isinstance(arg, str) else (arg[0], {k: self.value(v) for k, v in arg[1].items()})
        )

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                return str(local[name])
            if "." in name and name.split(".", 1)[0] in self.template["Resources"]:
                return self.attribute(*name.split(".", 1))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", one, text)


# ---- the static checks ----


def problems(template: dict[str, Any], parameters: dict[str, str]) -> list[str]:
    """Everything in a transformed template that CloudFormation would refuse before creating anything."""
    found: list[str] = []
    resources = template.get("Resources", {})
    for members, path in cycles(dependency_graph(template)):
        found.append(
            f"Circular dependency between resources: [{', '.join(members)}] (e.g. {' -> '.join(path)})"
        )
    known = set(resources) | set(template.get("Parameters", {})) | PSEUDO
    conditions = set(template.get("Conditions", {}))
    for where, node in [
        *(("Resources." + k, v) for k, v in resources.items()),
        *(("Outputs." + k, v) for k, v in template.get("Outputs", {}).items()),
        *(("Conditions." + k, v) for k, v in template.get("Conditions", {}).items()),
    ]:
        for name in sorted(references(node) - known):
            found.append(f"{where} refers to {name!r}, which is neither a parameter nor a resource")
        for name, arg in _walk(node):
            target = arg[0] if name == "Fn::If" else arg if name == "Condition" else None
            if target is not None and target not in conditions:
                found.append(f"{where} uses the undefined condition {target!r}")
        condition = node.get("Condition") if isinstance(node, dict) else None
        if condition is not None and condition not in conditions:
            found.append(f"{where} uses the undefined condition {condition!r}")
    for logical_id, resource in resources.items():
        depends = resource.get("DependsOn", [])
        for target in [depends] if isinstance(depends, str) else depends:
            if target not in resources:
                found.append(f"Resources.{logical_id} DependsOn {target!r}, which does not exist")
    if len(resources) > MAX_RESOURCES:
        found.append(f"{len(resources)} resources; CloudFormation allows {MAX_RESOURCES}")
    if len(template.get("Outputs", {})) > MAX_OUTPUTS:
        found.append(f"more than {MAX_OUTPUTS} outputs")
    if len(template.get("Parameters", {})) > MAX_PARAMETERS:
        found.append(f"more than {MAX_PARAMETERS} parameters")
    if len(json.dumps(template).encode()) > MAX_TEMPLATE_BYTES:
        found.append("the template is over 1 MB, CloudFormation's limit for a template in S3")
    if found:  # values cannot be resolved in a template with dangling references
        return found
    stack = Stack(template, parameters)
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        props = stack.value(resource["Properties"])
        env = props.get("Environment", {}).get("Variables", {})
        size = sum(len(k.encode()) + len(str(v).encode()) for k, v in env.items())
        if size > MAX_LAMBDA_ENV_BYTES:
            found.append(f"{logical_id}'s environment is {size} bytes; Lambda allows {MAX_LAMBDA_ENV_BYTES}")
        for key, value in env.items():
            if not re.fullmatch(r"[a-zA-Z]\w*", key):
                found.append(f"{logical_id}: environment variable name {key!r} is not allowed by Lambda")
            if not isinstance(value, str | int | float | bool):
                found.append(f"{logical_id}: environment variable {key} is not a string")
        if len(props.get("Layers", [])) > 5:
            found.append(f"{logical_id} has more than 5 layers")
        if not 1 <= int(props.get("Timeout", 3)) <= 900:
            found.append(f"{logical_id}'s timeout is outside 1-900 seconds")
        if not 128 <= int(props.get("MemorySize", 128)) <= 10240:
            found.append(f"{logical_id}'s memory is outside 128-10240 MB")
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in stack.value(resource["Properties"]).get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                for action in _as_list(statement.get("Action")):
                    if action != "*" and not re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9*?]+", action):
                        found.append(f"{logical_id}: {action!r} is not an IAM action")
                for arn in _as_list(statement.get("Resource")):
                    if arn != "*" and not re.fullmatch(r"arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:\d*:.+", arn):
                        found.append(f"{logical_id}: {arn!r} is not an ARN")
    return found


def name_clashes(template: dict[str, Any], parameters: dict[str, str]) -> list[str]:
    """Physical names two stacks of this template in one account and region would both claim."""
    first, second = (
        Stack(template, parameters, name="first-stack"),
        Stack(template, parameters, name="second-stack"),
    )
    clashes = []
    for logical_id, resource in template.get("Resources", {}).items():
        kind = resource["Type"]
        if kind in NAME_PROPERTIES and first.physical_name(logical_id) == second.physical_name(logical_id):
            clashes.append(
                f"{logical_id} ({kind}) is named {first.physical_name(logical_id)!r} in every stack"
            )
    return clashes


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


# ---- what the local runtime reads from the deployed document ----


def http_routes(stack: Stack) -> list[Route]:
    """The HTTP API's routes as API Gateway gets them: from the OpenAPI body the SAM transform
    generates, each integration pointing at a function's ARN."""
    routes = []
    for logical_id, resource in stack.template["Resources"].items():
        if resource["Type"] != "AWS::ApiGatewayV2::Api":
            continue
        for path, methods in resource["Properties"]["Body"]["paths"].items():
            for method, operation in methods.items():
                uri = operation["x-amazon-apigateway-integration"]["uri"]
                text = uri["Fn::Sub"] if isinstance(uri, dict) else uri
                found = re.search(r"\$\{(\w+)\.Arn\}", text if isinstance(text, str) else text[0])
                if not found:
                    raise DeployError(
                        f"{logical_id} {method.upper()} {path} does not integrate a function of this stack"
                    )
                function = found.group(1)
                handler = stack.template["Resources"][function]["Properties"]["Handler"]
                verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
                routes.append(Route(verb, path, function, handler))
    return sorted(routes, key=lambda r: r.specificity)


@dataclass(frozen=True)
class FunctionDefinition:
    logical_id: str
    name: str
    arn: str
    handler: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]
    role: str  # logical id of its role
    schedules: tuple[str, ...]  # schedule expressions that invoke it


def functions(stack: Stack) -> dict[str, FunctionDefinition]:
    """Every Lambda function of the stack, its properties resolved for this stack."""
    schedules: dict[str, list[str]] = {}
    for resource in stack.template["Resources"].values():
        if resource["Type"] == "AWS::Scheduler::Schedule":
            target = resource["Properties"]["Target"]["Arn"]
            if isinstance(target, dict) and "Fn::GetAtt" in target:
                schedules.setdefault(target["Fn::GetAtt"][0], []).append(
                    resource["Properties"]["ScheduleExpression"]
                )
    found = {}
    for logical_id, resource in stack.template["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        props = stack.value(resource["Properties"])
        found[logical_id] = FunctionDefinition(
            logical_id=logical_id,
            name=stack.physical_name(logical_id),
            arn=stack.attribute(logical_id, "Arn"),
            handler=props["Handler"],
            timeout_s=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            environment={k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()},
            role=resource["Properties"]["Role"]["Fn::GetAtt"][0],
            schedules=tuple(schedules.get(logical_id, ())),
        )
    return found
