"""Prints template.yaml as CloudFormation receives it after the SAM transform (JSON on stdout).

Runs in the SAM CLI's own virtual environment (`.local/sam-venv`), whose pinned pydantic
differs from the project's: `python -m infrastructure.sam_transform template.yaml [Name=Value ...]`.
It imports nothing from the project but cfn_yaml.py, beside it. Local CodeUri and ContentUri become S3 URIs, as
`sam package` makes them before CloudFormation sees the template.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform

from infrastructure import cfn_yaml


class _NoManagedPolicies:
    """The translator asks IAM for managed policy names only when a template uses them by name."""

    def load(self) -> dict[str, str]:
        return {}


def _packaged(template: dict[str, Any]) -> dict[str, Any]:
    uri_properties = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}
    globals_ = template.get("Globals", {}).get("Function", {})
    if isinstance(globals_.get("CodeUri"), str):
        globals_["CodeUri"] = f"s3://packaged/{globals_['CodeUri'].strip('/')}.zip"
    for logical_id, resource in template.get("Resources", {}).items():
        prop = uri_properties.get(resource.get("Type"))
        props = resource.get("Properties", {})
        if prop and isinstance(props.get(prop), str):
            props[prop] = f"s3://packaged/{logical_id}.zip"
    return template


def main(argv: list[str]) -> int:
    path, overrides = argv[0], dict(arg.split("=", 1) for arg in argv[1:])
    template = _packaged(cfn_yaml.load(Path(path)))
    parameters = {"AWS::Region": overrides.pop("AWS::Region", "us-east-1"), **overrides}
    json.dump(transform(template, parameters, _NoManagedPolicies()), sys.stdout, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
