"""The whole local platform, a rehearsal of the deployed stack rather than a friendlier twin.

From the template as CloudFormation gets it (after the SAM transform, parameters checked, the
static checks passed), it starts DynamoDB Local, moto (S3 and SSM), the IAM proxy that holds each
function to its role, the built and read-only function code and layer, and the gateway. Secrets
exist only in the local SSM, made by the same `init-secrets` an organizer runs before deploying.

`make run` uses it on a fixed port with data on disk; tests use it on free ports in memory.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from infrastructure import cloudformation
from infrastructure.admin import STACK_PARAMETERS
from infrastructure.local import bootstrap, build, functions, iam
from infrastructure.local.gateway import Gateway
from infrastructure.local.limits import Limits
from infrastructure.local.proxy import IamProxy
from infrastructure.local.services import (
    ADMIN_KEY,
    LOCAL_CREDENTIALS,
    LOCAL_REGION,
    DynamoDBLocal,
    MotoServer,
    aws_environment,
    free_port,
)
from infrastructure.template import ROOT

TABLE_NAME = "carbon-neutral-local"
BUCKET_NAME = "carbon-neutral-local-renders"
LOCAL_KEY_ID = "local-1"
ALL_SECRETS = STACK_PARAMETERS  # every SSM parameter a stack may have; the admin's list
# Template parameters naming a provider's merchant, as the functions' environment has them.
PROVIDER_IDS = {
    "WeChatPayMchId": "WECHATPAY_MCHID",
    "WeChatPayAppId": "WECHATPAY_APPID",
    "WeChatPayMerchantSerial": "WECHATPAY_MERCHANT_SERIAL",
    "WeChatPayPublicKeyId": "WECHATPAY_PUBLIC_KEY_ID",
    "AlipayAppId": "ALIPAY_APP_ID",
    "AlipaySellerId": "ALIPAY_SELLER_ID",
}
# Parameter overrides every local stack starts from; callers' overrides win.
LOCAL_PARAMETERS = {
    # Locally every visitor, test and load-test user is 127.0.0.1: one client.
    "ClientReservationCapKg": "0",
}


@dataclass
class LocalStack:
    port: int = 3000
    data_dir: Path | None = None  # None: DynamoDB in memory
    quiet: bool = False
    table: str = TABLE_NAME
    bucket: str = BUCKET_NAME
    seed: bool = True
    init_secrets: bool = True  # False: the stack starts as one freshly deployed, before init-secrets
    parameters: dict[str, str] = field(default_factory=dict)  # as `sam deploy --parameter-overrides`
    # Local-only variables per function (e.g. a fake provider's address); never secrets.
    extra_environment: dict[str, dict[str, str]] = field(default_factory=dict)
    run_schedules: bool = False
    log_dir: Path | None = None
    # True: this process's environment and cached clients point at this stack (the admin's view).
    export: bool = True
    dynamodb: DynamoDBLocal | None = None
    aws: MotoServer | None = None
    proxy: IamProxy | None = None
    gateway: Gateway | None = None
    artifacts: build.Artifacts | None = None
    limits: Limits | None = None  # Lambda's CPU share and memory, held per execution environment
    functions: dict[str, functions.LambdaFunction] = field(default_factory=dict)
    definitions: dict[str, cloudformation.FunctionDefinition] = field(default_factory=dict)
    roles: dict[str, iam.Role] = field(default_factory=dict)  # function logical id -> its role
    environ: dict[str, str] = field(default_factory=dict)  # the admin's environment (no secrets)
    secrets_path: str = ""
    cfn: cloudformation.Stack | None = None  # the template as CloudFormation would evaluate it
    _stop: threading.Event = field(default_factory=threading.Event)
    _logs: list[IO[bytes] | int] = field(default_factory=list)

    def start(self) -> LocalStack:
        overrides = {**LOCAL_PARAMETERS, **self.parameters}
        values = cloudformation.parameter_values(overrides)  # what CloudFormation checks first
        template = cloudformation.transformed(overrides)
        refused = cloudformation.problems(template, values)
        if refused:
            raise cloudformation.DeployError(
                "CloudFormation would refuse this template: " + "; ".join(refused)
            )
        stack = cloudformation.Stack(
            template, values, physical={"Table": self.table, "RendersBucket": self.bucket}
        )
        self.secrets_path, self.cfn = values["SecretsPath"], stack
        try:
            log = self.data_dir.parent / "dynamodb.log" if self.data_dir else None
            self.dynamodb = DynamoDBLocal(free_port(), self.data_dir, log).start()
            self.aws = MotoServer(free_port()).start()
            self.environ = {
                **aws_environment(self.dynamodb.endpoint, self.aws.endpoint, self.aws.endpoint),
                "TABLE_NAME": self.table,
                "BUCKET_NAME": self.bucket,
                "SECRETS_PATH": self.secrets_path,
                # Names only: an admin process may read any of them, with admin credentials.
                "SECRETS": ",".join(ALL_SECRETS),
                "PAYMENT_PROVIDER": values["PaymentProvider"],
                # the provider's ids (not secrets), for the admin's refunds
                **{variable: values.get(parameter, "") for parameter, variable in PROVIDER_IDS.items()},
            }
            self._start_functions(stack)
            if self.export:
                os.environ.update(self.environ)
                self._reset_cached_wiring()
            bootstrap.ensure_table(self.dynamodb_client(), self.table)
            bootstrap.ensure_bucket(self.s3_client(), self.bucket)
            if self.seed:
                bootstrap.seed(self.table, self.dynamodb_client())
            if self.init_secrets:
                self.create_secrets()
            assert self.gateway
            self.gateway.start()
            if self.run_schedules:
                threading.Thread(target=self._schedules, name="schedules", daemon=True).start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_functions(self, stack: cloudformation.Stack) -> None:
        assert self.dynamodb and self.aws
        roles = self.roles = iam.function_roles(stack)
        keys = {logical_id: f"LOCAL{secrets.token_hex(8).upper()}" for logical_id in roles}
        self.proxy = IamProxy(
            roles={keys[f]: role for f, role in roles.items()},
            upstreams={"dynamodb": self.dynamodb.endpoint, "s3": self.aws.endpoint, "ssm": self.aws.endpoint},
            admin_keys=frozenset({ADMIN_KEY}),
        ).start()
        self.artifacts = build.stage()
        self.limits = Limits.start()
        self.definitions = cloudformation.functions(stack)
        for logical_id, definition in self.definitions.items():
            credentials = {
                "AWS_ACCESS_KEY_ID": keys[logical_id],
                "AWS_SECRET_ACCESS_KEY": secrets.token_hex(20),
                "AWS_SESSION_TOKEN": secrets.token_hex(32),
            }
            spec = functions.FunctionSpec(
                logical_id,
                definition.name,
                definition.arn,
                definition.handler,
                definition.timeout_s,
                definition.memory_mb,
                {**definition.environment, **self.extra_environment.get(logical_id, {})},
            )
            log = self._log_for(logical_id)
            self.functions[logical_id] = functions.LambdaFunction(
                spec,
                self.artifacts,
                aws_environment(self.proxy.endpoint, self.proxy.endpoint, self.proxy.endpoint, credentials),
                log,
                limits=self.limits,
            )
        self.gateway = Gateway(
            cloudformation.http_routes(stack), self.functions, port=self.port, quiet=self.quiet
        )

    def _log_for(self, logical_id: str) -> IO[bytes] | int:
        if self.log_dir is not None:
            log = functions.log_file(self.log_dir / f"{logical_id}.log")
        elif self.quiet:
            log = functions.log_file(None)
        else:
            log = functions.console()
        self._logs.append(log)
        return log

    def create_secrets(self) -> None:
        """What an organizer runs once before deploying: `admin init-secrets`, as a command."""
        done = self.admin("init-secrets", "--path", self.secrets_path, "--kid", LOCAL_KEY_ID)
        if done.returncode != 0:
            raise RuntimeError(f"init-secrets refused to run on the local stack: {done.stderr}")

    def admin(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """`python -m infrastructure.admin …` against this stack, with the admin's environment."""
        env = {
            **os.environ,
            **self.environ,
            "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("shared", ".")),
        }
        return subprocess.run(
            [sys.executable, "-m", "infrastructure.admin", *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def _schedules(self) -> None:
        """EventBridge Scheduler, for `rate(N minutes)` expressions."""
        periods = {}
        for logical_id, definition in self.definitions.items():
            for expression in definition.schedules:
                number, unit = expression.removeprefix("rate(").rstrip(")").split()
                periods[logical_id] = int(number) * (60 if unit.startswith("minute") else 3600)
        elapsed = 0
        while not self._stop.wait(1):
            elapsed += 1
            for logical_id, period in periods.items():
                if elapsed % period == 0:
                    try:
                        self.functions[logical_id].invoke({})
                    except functions.InvocationError as exc:
                        print(f"schedule: {logical_id} failed: {exc}")

    def stop(self) -> None:
        self._stop.set()
        if self.gateway is not None:
            self.gateway.stop()
        for function in self.functions.values():
            function.stop()
        if self.limits is not None:
            self.limits.stop()
        for part in (self.proxy, self.aws, self.dynamodb):
            if part is not None:
                part.stop()
        for log in self._logs:
            if not isinstance(log, int):
                log.close()
        if self.artifacts is not None:
            self.artifacts.remove()
        self.gateway = self.proxy = self.aws = self.dynamodb = self.artifacts = self.limits = None
        self.functions = {}

    @property
    def url(self) -> str:
        assert self.gateway
        return self.gateway.url

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Invokes a function directly, as a schedule or `aws lambda invoke` does."""
        return self.functions[logical_id].invoke(event)

    def client_as(self, logical_id: str, service: str) -> Any:
        """A client with a function's own credentials, through the IAM proxy: what its code gets."""
        import boto3

        assert self.proxy
        env = self.functions[logical_id].base_environment
        factory: Any = boto3.client  # a service chosen at run time, not one of the stubs' literals
        return factory(
            service,
            endpoint_url=self.proxy.endpoint,
            region_name=LOCAL_REGION,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=env["AWS_SESSION_TOKEN"],
        )

    def secret(self, name: str) -> str:
        """A secret as the local SSM holds it (what a payment provider would share with us)."""
        answer = self.ssm_client().get_parameter(Name=f"{self.secrets_path}/{name}", WithDecryption=True)
        return str(answer["Parameter"]["Value"])

    def dynamodb_client(self) -> Any:
        assert self.dynamodb
        return _client("dynamodb", self.dynamodb.endpoint)

    def s3_client(self) -> Any:
        assert self.aws
        return _client("s3", self.aws.endpoint)

    def ssm_client(self) -> Any:
        assert self.aws
        return _client("ssm", self.aws.endpoint)

    @staticmethod
    def _reset_cached_wiring() -> None:
        # Clients and settings are cached per process; a new stack means new endpoints.
        from carbonneutral import services
        from carbonneutral.store import aws

        services.reset()
        aws.reset()


def _client(service: str, endpoint: str) -> Any:
    import boto3

    factory: Any = boto3.client  # the service is chosen at run time
    return factory(
        service,
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
