"""The whole local platform: DynamoDB Local, local S3, table, bucket, seed data, gateway.

`make run` uses it on fixed ports with data on disk; tests use it on free ports in memory.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infrastructure import template
from infrastructure.local import bootstrap
from infrastructure.local.gateway import Gateway
from infrastructure.local.services import (
    LOCAL_CREDENTIALS,
    LOCAL_REGION,
    DynamoDBLocal,
    LocalS3,
    aws_environment,
    free_port,
)

TABLE_NAME = "carbon-neutral-local"
BUCKET_NAME = "carbon-neutral-local-renders"


def local_secrets(data_dir: Path | None) -> dict[str, str]:
    """Secrets the functions read; made once and kept beside the local data (git-ignored)."""
    names = ("ORDER_TOKEN_SECRET", "SANDBOX_WEBHOOK_SECRET")
    path = data_dir.parent / "secrets.json" if data_dir else None
    if path and path.exists():
        kept = dict(json.loads(path.read_text()))
        if "CERT_SIGNING_KEY" in kept:
            return kept
    from carbonneutral.certify.keys import SigningKey

    made = {name: secrets.token_urlsafe(32) for name in names}
    made["CERT_SIGNING_KEY"] = SigningKey.generate("local-1")[1]
    made["CERT_KEY_ID"] = "local-1"
    made |= {"STRIPE_API_KEY": "", "STRIPE_WEBHOOK_SECRET": ""}  # Stripe is not used locally
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(made))
        path.chmod(0o600)
    return made


def with_public_keys(secrets_: dict[str, str]) -> dict[str, str]:
    """Locally the published key set is the local signing key's public half; no retired keys."""
    from carbonneutral.certify.keys import SigningKey, key_set

    key = SigningKey.from_secret(secrets_["CERT_KEY_ID"], secrets_["CERT_SIGNING_KEY"])
    return {**secrets_, "CERT_PUBLIC_KEYS": json.dumps(key_set(key)), "CERT_RETIRED_KEYS": ""}


def function_environment(base_url: str, table: str = TABLE_NAME, bucket: str = BUCKET_NAME) -> dict[str, str]:
    """Every function's environment from the template, with local names for its resources."""
    refs = {"Table": table, "RendersBucket": bucket, "PublicBaseUrl": base_url}
    env: dict[str, str] = {}
    for logical_id in template.resources("AWS::Serverless::Function"):
        for key, value in template.function_environment(logical_id, refs).items():
            if env.get(key, value) != value:
                raise ValueError(f"functions disagree on {key}; the local gateway runs them in one process")
            env[key] = value
    return env


@dataclass
class LocalStack:
    port: int = 3000
    data_dir: Path | None = None  # None: DynamoDB in memory
    quiet: bool = False
    table: str = TABLE_NAME
    bucket: str = BUCKET_NAME
    seed: bool = True
    dynamodb: DynamoDBLocal | None = None
    s3: LocalS3 | None = None
    gateway: Gateway | None = None
    environ: dict[str, str] = field(default_factory=dict)

    def start(self) -> LocalStack:
        try:
            log = self.data_dir.parent / "dynamodb.log" if self.data_dir else None
            self.dynamodb = DynamoDBLocal(free_port(), self.data_dir, log).start()
            self.s3 = LocalS3(free_port()).start()
            self.gateway = Gateway(port=self.port, quiet=self.quiet)
            self.environ = {
                **aws_environment(self.dynamodb.endpoint, self.s3.endpoint),
                **function_environment(self.gateway.url, self.table, self.bucket),
                **with_public_keys(local_secrets(self.data_dir)),
                # Locally every visitor, test and load-test user is 127.0.0.1: one client.
                "CLIENT_RESERVATION_CAP_KG": "0",
            }
            os.environ.update(self.environ)
            self._reset_cached_wiring()
            bootstrap.ensure_table(self.dynamodb_client(), self.table)
            bootstrap.ensure_bucket(self.s3_client(), self.bucket)
            if self.seed:
                bootstrap.seed(self.table, self.dynamodb_client())
            self.gateway.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for part in (self.gateway, self.s3, self.dynamodb):
            if part is not None:
                part.stop()
        self.gateway = self.s3 = self.dynamodb = None

    @property
    def url(self) -> str:
        assert self.gateway
        return self.gateway.url

    def dynamodb_client(self) -> Any:
        assert self.dynamodb
        return _client("dynamodb", self.dynamodb.endpoint)

    def s3_client(self) -> Any:
        assert self.s3
        return _client("s3", self.s3.endpoint)

    @staticmethod
    def _reset_cached_wiring() -> None:
        # Clients and settings are cached per process; a new stack means new endpoints.
        from carbonneutral import services
        from carbonneutral.store import aws

        services.reset()
        aws.dynamodb.cache_clear()
        aws.s3.cache_clear()


def _client(service: str, endpoint: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
