"""Functions run from the built layer the way Lambda loads it: read-only code, bytecode shipped
in the layer, nothing from the project's venv or source tree, the same package versions."""

from __future__ import annotations

import re
from importlib import metadata

import pytest

from infrastructure.local import build, functions
from infrastructure.template import ROOT
from tests.deploy.probes import staged_probe

pytestmark = pytest.mark.integration

PROBE = """
import importlib, os, sys

def lambda_handler(event, context):
    def can_write(path):
        try:
            with open(os.path.join(path, "probe.txt"), "w") as fh:
                fh.write("x")
            return True
        except OSError:
            return False

    import carbonneutral
    found = {}
    for name in ("pytest", "moto", "playwright"):
        try:
            importlib.import_module(name)
            found[name] = True
        except ImportError:
            found[name] = False
    return {
        "task_writable": can_write(os.environ["LAMBDA_TASK_ROOT"]),
        "layer_writable": can_write(event["layer"]),
        "layer_package_writable": can_write(os.path.dirname(carbonneutral.__file__)),
        "tmp_writable": can_write("/tmp"),
        "carbonneutral_from": carbonneutral.__file__,
        "sys_path": sys.path,
        "dev_packages": found,
    }
"""


@pytest.fixture(scope="module")
def probe(stack, tmp_path_factory: pytest.TempPathFactory):
    """A function staged exactly like the real ones, that reports what it can see and do."""
    root = tmp_path_factory.mktemp("probe-task")
    artifacts = staged_probe(root, PROBE, stack.artifacts.layer)
    spec = functions.FunctionSpec(
        "Probe", "probe", "arn:aws:lambda:local:probe", "probe.app.lambda_handler", 10, 128, {}
    )
    function = functions.LambdaFunction(spec, artifacts, {})
    try:
        yield function.invoke({"layer": str(stack.artifacts.layer)})
    finally:
        function.stop()
        build.make_writable(root)


def test_function_code_and_layer_are_read_only_and_tmp_is_not(probe) -> None:
    assert probe["task_writable"] is False
    assert probe["layer_writable"] is False
    assert probe["layer_package_writable"] is False  # so no bytecode cache can be written beside it
    assert probe["tmp_writable"] is True


def test_functions_load_the_layer_not_the_source_tree_or_the_venv(probe, stack) -> None:
    assert probe["carbonneutral_from"].startswith(str(stack.artifacts.layer))
    assert not any(str(ROOT / "shared") in p or "site-packages" in p for p in probe["sys_path"])
    assert probe["dev_packages"] == {"pytest": False, "moto": False, "playwright": False}


def test_every_module_in_the_layer_ships_its_bytecode(stack) -> None:
    missing = []
    for source in stack.artifacts.layer.rglob("*.py"):
        compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-312.pyc"
        if not compiled.exists():
            missing.append(str(source.relative_to(stack.artifacts.layer)))
    assert missing == []


def test_the_layer_holds_the_versions_the_tests_run(stack) -> None:
    pins = dict(
        line.split("==")
        for line in (ROOT / "shared/requirements.txt").read_text().splitlines()
        if "==" in line
    )
    in_layer = {}
    for info in stack.artifacts.layer.glob("*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").rsplit("-", 1)
        in_layer[re.sub(r"[-_.]+", "-", name).lower()] = version
    in_venv = {name: metadata.version(name) for name in pins}
    assert in_layer == pins == in_venv


def test_the_layer_ships_the_certificate_font(stack) -> None:
    fonts = stack.artifacts.layer / "carbonneutral" / "web" / "fonts"
    assert (fonts / "NotoSansSC_400Regular.ttf").stat().st_size > 1_000_000


def loaded_by(stack, module: str) -> set[str]:
    """The modules importing a handler loads, in a fresh interpreter that sees only the built code."""
    import json
    import subprocess

    from infrastructure.local.build import lambda_python

    probe = (
        f"import json, sys\nsys.path[:0] = [{str(stack.artifacts.task)!r}, {str(stack.artifacts.layer)!r}]\n"
        f"import {module}\nprint(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [lambda_python(), "-I", "-S", "-c", probe], capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout))


def test_the_sweeper_loads_no_calculator_no_factor_set_and_no_payment_provider(stack) -> None:
    loaded = loaded_by(stack, "sweeper.app")
    unwanted = {
        "carbonneutral.domain.calculator",
        "carbonneutral.domain.factors",
        "carbonneutral.domain.footprints",
        "carbonneutral.payments.sandbox",
        "carbonneutral.payments.stripe_provider",
        "stripe",
        "jinja2",
        "PIL",
        "boto3",
    }
    assert loaded & unwanted == set()


def test_no_handler_pays_at_import_for_what_only_some_routes_use(stack) -> None:
    for module in ("calculate.app", "purchase.app", "certify.app", "rank.app", "organize.app"):
        assert loaded_by(stack, module) & {"stripe", "PIL", "qrcode", "jinja2", "aws_xray_sdk"} == set(), (
            module
        )


CLIENTS_MADE = """
import json, os, sys
sys.path[:0] = [{task!r}, {layer!r}]
import {module}
from carbonneutral.store import aws
print(json.dumps({{s: getattr(aws, s).cache_info().currsize for s in ("dynamodb", "s3", "ssm")}}))
"""


@pytest.mark.parametrize(
    ("module", "made"),
    [
        ("calculate.app", {"dynamodb"}),
        ("purchase.app", {"dynamodb", "ssm"}),
        ("certify.app", {"dynamodb"}),
        ("rank.app", {"dynamodb"}),
        ("organize.app", {"dynamodb"}),
        ("sweeper.app", {"dynamodb"}),
    ],
)
def test_in_an_execution_environment_the_import_makes_the_clients_and_sends_nothing(
    stack, module: str, made: set[str]
) -> None:
    """Lambda's INIT runs on a full vCPU and invocations on the memory's share of one, so the
    clients a function's requests use are made while its handler is imported; no request is sent
    then (every endpoint here is a closed port). Outside Lambda they stay lazy, and boto3 unloaded."""
    import json
    import subprocess

    from infrastructure.local.build import lambda_python
    from infrastructure.local.services import free_port

    closed = f"http://127.0.0.1:{free_port()}"
    code = CLIENTS_MADE.format(
        task=str(stack.artifacts.task), layer=str(stack.artifacts.layer), module=module
    )
    lambda_like = {
        "PATH": "/usr/bin:/bin",
        "AWS_LAMBDA_FUNCTION_NAME": "probe",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "probe",
        "AWS_SECRET_ACCESS_KEY": "probe",
        "AWS_ENDPOINT_URL": closed,
        "TABLE_NAME": "probe",
        "BUCKET_NAME": "probe",
        "SECRETS_PATH": "/probe",
        "POWERTOOLS_METRICS_NAMESPACE": "probe",
    }
    for environment, expected in ((lambda_like, made), ({"PATH": "/usr/bin:/bin"}, set())):
        done = subprocess.run(
            [lambda_python(), "-I", "-S", "-c", code],
            capture_output=True,
            text=True,
            env=environment,
            check=True,
        )
        counts = json.loads(done.stdout.strip().splitlines()[-1])
        assert {service for service, count in counts.items() if count} == expected, (module, environment)
    assert "boto3" not in loaded_by(stack, module)
