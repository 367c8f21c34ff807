"""IAM as AWS applies it to the functions' calls: each function's role from the transformed
template, and each raw request to DynamoDB, S3 or SSM reduced to the actions and resources IAM
checks (every inner operation of a transaction, every table of a batch, every parameter asked for).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote

from infrastructure.cloudformation import ACCOUNT, PARTITION, REGION, Stack

# Managed policies SAM attaches: what they grant touches none of the services rehearsed here.
KNOWN_MANAGED_POLICIES = {
    f"arn:{PARTITION}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": "CloudWatch Logs only",
    f"arn:{PARTITION}:iam::aws:policy/AWSXrayWriteOnlyAccess": "X-Ray only",
}
_TRANSACT_ACTIONS = {
    "ConditionCheck": "ConditionCheckItem",
    "Put": "PutItem",
    "Delete": "DeleteItem",
    "Update": "UpdateItem",
    "Get": "GetItem",
}


@cache
def _pattern(glob: str, *, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{regex}$", re.IGNORECASE if ignore_case else 0)


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def matches(self, action: str, resource: str) -> bool:
        return any(_pattern(a, ignore_case=True).match(action) for a in self.actions) and any(
            _pattern(r, ignore_case=False).match(resource) for r in self.resources
        )


@dataclass(frozen=True)
class Role:
    name: str
    statements: tuple[Statement, ...]

    def allows(self, action: str, resource: str) -> bool:
        """An explicit Deny wins; otherwise some Allow must match; otherwise the implicit deny."""
        matching = [s for s in self.statements if s.matches(action, resource)]
        return bool(matching) and all(s.effect == "Allow" for s in matching)

    @property
    def arn(self) -> str:
        return f"arn:{PARTITION}:sts::{ACCOUNT}:assumed-role/{self.name}/local"


def function_roles(stack: Stack) -> dict[str, Role]:
    """Function logical id -> the role it runs with, policies resolved for this stack."""
    roles = {}
    for logical_id, resource in stack.template["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        role_ref = resource["Properties"]["Role"]
        role_id = (
            role_ref["Fn::GetAtt"][0] if isinstance(role_ref, dict) and "Fn::GetAtt" in role_ref else None
        )
        if role_id is None:
            raise ValueError(f"{logical_id}'s role is not a role of this stack; the rehearsal cannot read it")
        props = stack.value(stack.template["Resources"][role_id]["Properties"])
        for arn in props.get("ManagedPolicyArns", []):
            if arn not in KNOWN_MANAGED_POLICIES:
                raise ValueError(
                    f"{role_id} uses the managed policy {arn}, which the local rehearsal does not model"
                )
        statements = []
        for policy in props.get("Policies", []):
            for raw in _list(policy["PolicyDocument"]["Statement"]):
                unsupported = set(raw) - {"Effect", "Action", "Resource", "Sid"}
                if unsupported:
                    raise ValueError(
                        f"{role_id}: {sorted(unsupported)} in a statement is not modelled locally"
                    )
                statements.append(
                    Statement(raw["Effect"], tuple(_list(raw["Action"])), tuple(_list(raw["Resource"])))
                )
        roles[logical_id] = Role(stack.physical_name(role_id), tuple(statements))
    return roles


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# ---- what a request asks IAM for ----


def dynamodb_requests(target: str, body: bytes) -> list[tuple[str, str]]:
    operation = target.rsplit(".", 1)[-1]
    payload = json.loads(body or b"{}")

    def table(name: str, index: str | None = None) -> str:
        arn = f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
        return f"{arn}/index/{index}" if index else arn

    if operation in ("TransactWriteItems", "TransactGetItems"):
        asked = []
        for item in payload.get("TransactItems", []):
            ((kind, inner),) = item.items()
            asked.append((f"dynamodb:{_TRANSACT_ACTIONS[kind]}", table(inner["TableName"])))
        return asked
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [(f"dynamodb:{operation}", table(name)) for name in payload.get("RequestItems", {})]
    if operation in ("ListTables", "DescribeLimits", "DescribeEndpoints"):
        return [(f"dynamodb:{operation}", "*")]
    name = payload.get("TableName") or payload.get("ResourceArn", "").rsplit("/", 1)[-1]
    return [(f"dynamodb:{operation}", table(name, payload.get("IndexName")))]


def ssm_requests(target: str, body: bytes) -> list[tuple[str, str]]:
    operation = target.rsplit(".", 1)[-1]
    payload = json.loads(body or b"{}")
    names: Iterable[str] = payload.get("Names") or ([payload["Name"]] if "Name" in payload else [])
    if operation == "GetParametersByPath":
        names = [payload["Path"]]
    arns = [f"arn:{PARTITION}:ssm:{REGION}:{ACCOUNT}:parameter/{n.lstrip('/')}" for n in names]
    return [(f"ssm:{operation}", arn) for arn in arns] or [(f"ssm:{operation}", "*")]


def s3_requests(method: str, path: str, query: str, headers: dict[str, str]) -> list[tuple[str, str]]:
    """Path-style S3 requests (the only style a loopback endpoint gets)."""
    params = parse_qs(query, keep_blank_values=True)
    bucket, _, key = unquote(path.lstrip("/")).partition("/")
    if not bucket:
        return [("s3:ListAllMyBuckets", "*")]
    bucket_arn = f"arn:{PARTITION}:s3:::{bucket}"
    if not key:
        if method in ("GET", "HEAD"):
            sub = next(
                (
                    p
                    for p in params
                    if p
                    not in (
                        "list-type",
                        "prefix",
                        "delimiter",
                        "max-keys",
                        "continuation-token",
                        "start-after",
                        "encoding-type",
                    )
                ),
                None,
            )
            return [
                (
                    "s3:ListBucket" if sub is None else f"s3:GetBucket{sub.title().replace('-', '')}",
                    bucket_arn,
                )
            ]
        if method == "PUT":
            return [
                ("s3:CreateBucket" if not params else f"s3:PutBucket{next(iter(params)).title()}", bucket_arn)
            ]
        if method == "DELETE":
            return [("s3:DeleteBucket", bucket_arn)]
        if method == "POST" and "delete" in params:
            return [("s3:DeleteObject", f"{bucket_arn}/*")]
        return [(f"s3:{method.title()}Bucket", bucket_arn)]
    object_arn = f"{bucket_arn}/{key}"
    if method in ("GET", "HEAD"):
        if "tagging" in params:
            return [("s3:GetObjectTagging", object_arn)]
        return [("s3:GetObjectVersion" if "versionId" in params else "s3:GetObject", object_arn)]
    if method in ("PUT", "POST"):
        asked = [("s3:PutObjectTagging" if "tagging" in params else "s3:PutObject", object_arn)]
        source = headers.get("x-amz-copy-source")
        if source:
            asked.append(("s3:GetObject", f"arn:{PARTITION}:s3:::{unquote(source).lstrip('/')}"))
        return asked
    if method == "DELETE":
        return [("s3:AbortMultipartUpload" if "uploadId" in params else "s3:DeleteObject", object_arn)]
    return [(f"s3:{method.title()}Object", object_arn)]
