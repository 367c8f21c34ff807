"""README's "Deploying to AWS", walked start to finish: every command in it runs, in order, as an
organizer would type it, against a rehearsal stack that starts empty (no demo data, no secrets).

Only the placeholders are filled in (<TableName>, <PagesUrl>, the organizer key, the files);
`sam deploy` is the one step the rehearsal stands in for. The shell gets the AWS endpoints of the
rehearsal instead of an account's, and no TABLE_NAME or BUCKET_NAME but what the commands set.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infrastructure.local.services import free_port
from infrastructure.local.stack import LocalStack
from infrastructure.template import ROOT
from tests.fake_banks import bare, key_pair
from tests.support import Http

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

# The rehearsal's functions re-read their secrets after a second instead of five minutes, so the
# rotation is seen within the test.
FAST_SECRETS = {"SECRETS_TTL_SECONDS": "1"}
ISSUANCE = (
    "project_id,name_zh,name_en,developer_id,developer_zh,developer_en,kind,standard,location_zh,location_en,"
    "vintage,price_per_tonne,description_zh,description_en,demo,first,last\n"
    "walk-forest,龙泉山林业碳汇,Longquan forest carbon sink,dev-walk,龙泉林业,Longquan Forestry,forestry,CDCER,"
    "成都,Chengdu,2024,70.00,森林碳汇,Forest carbon sink,false,1,50000\n"
)


def deploy_commands() -> list[str]:
    """The shell commands of README's deploy section, in order (sam itself excepted)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Deploying to AWS", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL):
        commands += [
            line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")
        ]
    return commands


@pytest.fixture(scope="module")
def empty_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = LocalStack(
        port=free_port(),
        quiet=True,
        export=False,
        seed=False,
        init_secrets=False,
        extra_environment={"PurchaseFunction": FAST_SECRETS, "CertifyFunction": FAST_SECRETS},
        log_dir=tmp_path_factory.mktemp("walkthrough-logs"),
    )
    try:
        yield stack.start()
    finally:
        stack.stop()


def test_the_readme_lists_the_steps_an_organizer_takes() -> None:
    verbs = [re.search(r"admin (\S+)|^(make smoke|curl)", c).group(0) for c in deploy_commands()]  # type: ignore[union-attr]
    assert verbs == [
        "admin init-secrets",
        *["admin put-secret"] * 8,  # Stripe's two, WeChat Pay's four, Alipay's two
        "admin create-organizer-key",
        "curl",
        "admin import-issuance",
        "admin audit",
        "admin payouts",
        "make smoke",
        "admin rotate-certificate-key",
    ]


def test_every_deploy_command_in_the_readme_works_in_order(empty_stack: LocalStack, tmp_path: Path) -> None:
    stack = empty_stack
    (tmp_path / "issuance.csv").write_text(ISSUANCE, encoding="utf-8")
    (tmp_path / "stripe-api-key.txt").write_text("sk_test_walkthrough\n")
    (tmp_path / "stripe-webhook-secret.txt").write_text("whsec_walkthrough\n")
    _, merchant_key, wechat_public = key_pair()
    _, app_key, alipay_public = key_pair()
    for name, value in {
        "wechatpay-private-key.pem": merchant_key,
        "wechatpay-apiv3-key.txt": "0123456789abcdef0123456789abcdef",
        "wechatpay-public-key.pem": wechat_public,
        "wechatpay-app-secret.txt": "appsecret-walkthrough",
        "alipay-app-private-key.txt": bare(app_key),
        "alipay-public-key.txt": bare(alipay_public),
    }.items():
        (tmp_path / name).write_text(value + "\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TABLE_NAME", "BUCKET_NAME", "SECRETS_PATH", "SECRETS")
    }
    env.update({k: v for k, v in stack.environ.items() if k.startswith("AWS_")})
    env["PYTHONPATH"] = f"{ROOT / 'shared'}:{ROOT}"
    outputs: dict[str, str] = {}
    organizer_key = ""
    for command in deploy_commands():
        line = (
            command.replace("<TableName>", stack.table)
            .replace("<PagesUrl>", stack.url)
            .replace("<organizer key>", organizer_key)
            .replace("issuance.csv", str(tmp_path / "issuance.csv"))
            .replace("< stripe-", f"< {tmp_path}/stripe-")
            .replace("< wechatpay-", f"< {tmp_path}/wechatpay-")
            .replace("< alipay-", f"< {tmp_path}/alipay-")
        )
        done = subprocess.run(
            ["bash", "-c", line], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        outputs[command] = done.stdout
        if "create-organizer-key" in command:
            organizer_key = done.stdout.strip().splitlines()[-1]
        if command.startswith("curl"):
            assert json.loads(done.stdout)["qr_png_url"].startswith(stack.url)
    by_verb = {re.sub(r"^.*admin (\S+).*$|^(make smoke).*$", r"\1\2", c): out for c, out in outputs.items()}
    assert "walk-forest: issued 50000 kg" in by_verb["import-issuance"]
    assert "audit: no breaches" in by_verb["audit"]
    assert "dev-walk" in by_verb["payouts"]
    assert "smoke: all checks passed" in by_verb["make smoke"]
    assert "skip the purchase journey" not in by_verb["make smoke"]  # a sandbox stack: it bought and verified
    assert "published cert-2 beside cert-1" in by_verb["rotate-certificate-key"]


def test_after_the_rotation_new_certificates_use_the_new_key_and_old_ones_still_verify(empty_stack) -> None:
    from carbonneutral.certify.keys import verify

    from infrastructure import smoke

    http = Http(empty_stack.url)
    time.sleep(1.5)  # the functions' secrets cache (1 s here, 5 minutes deployed) runs out
    after = smoke.run(empty_stack.url, out=open(os.devnull, "w"))
    assert after.failures == 0
    keys = http.get("/.well-known/certificate-keys.json").json()
    assert [k["kid"] for k in keys["keys"]] == ["cert-2", "cert-1"]
    certificates = [json.loads(i["body"]["S"]) for i in scan(empty_stack, "CERT#")]
    assert {c["kid"] for c in certificates} == {"cert-1", "cert-2"}
    for cert in certificates:
        assert verify(cert, keys) == (True, "the signature is valid")  # offline, with the published set
        assert http.get(f"/v1/certificates/{cert['certificate_id']}/verify").json()["valid"] is True


def scan(stack: LocalStack, prefix: str) -> list[dict]:
    pages = stack.dynamodb_client().get_paginator("scan").paginate(TableName=stack.table)
    return [item for page in pages for item in page["Items"] if item["PK"]["S"].startswith(prefix)]
