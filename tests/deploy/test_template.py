"""The template as CloudFormation receives it after the SAM transform: what `sam deploy` would
refuse, checked here because neither cfn-lint nor `sam validate --lint` sees it."""

from __future__ import annotations

import copy
import re

import pytest

from infrastructure import cloudformation, template
from infrastructure.cloudformation import DeployError
from infrastructure.local import iam
from infrastructure.local.stack import ALL_SECRETS

STACKS = {
    "sandbox": {},
    "stripe, custom domain, alarm e-mail": {
        "PaymentProvider": "stripe",
        "PublicBaseUrl": "https://neutral.example.org",
        "AlarmEmail": "ops@example.org",
        "Tracing": "Active",
    },
    "wechatpay": {
        "PaymentProvider": "wechatpay",
        "WeChatPayMchId": "1900000109",
        "WeChatPayAppId": "wx8888888888888888",
        "WeChatPayMerchantSerial": "5157F09EFDC096DE15EBE81A47057A72",
        "WeChatPayPublicKeyId": "PUB_KEY_ID_0114232134912410000000000000",
    },
    "alipay": {
        "PaymentProvider": "alipay",
        "AlipayAppId": "2021000000000001",
        "AlipaySellerId": "2088000000000001",
    },
}


@pytest.fixture(scope="module", params=list(STACKS), ids=list(STACKS))
def deployed(request: pytest.FixtureRequest) -> cloudformation.Stack:
    overrides = STACKS[request.param]
    return cloudformation.Stack(
        cloudformation.transformed(overrides), cloudformation.parameter_values(overrides)
    )


def test_the_transformed_template_has_nothing_cloudformation_would_refuse(deployed) -> None:
    assert cloudformation.problems(deployed.template, deployed.parameters) == []


def test_a_second_stack_in_the_same_account_and_region_claims_no_name_of_the_first(deployed) -> None:
    assert cloudformation.name_clashes(deployed.template, deployed.parameters) == []


def test_the_check_finds_the_cycle_a_function_referring_to_the_api_makes(deployed) -> None:
    broken = copy.deepcopy(deployed.template)
    env = broken["Resources"]["CalculateFunction"]["Properties"]["Environment"]["Variables"]
    env["PUBLIC_BASE_URL"] = {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    (problem,) = cloudformation.problems(broken, deployed.parameters)
    assert problem.startswith("Circular dependency between resources: [CalculateFunction, HttpApi]")


def test_both_branches_of_an_if_count_as_dependencies(deployed) -> None:
    broken = copy.deepcopy(deployed.template)
    env = broken["Resources"]["RankFunction"]["Properties"]["Environment"]["Variables"]
    env["PUBLIC_BASE_URL"] = {"Fn::If": ["HasPublicBaseUrl", {"Ref": "PublicBaseUrl"}, {"Ref": "HttpApi"}]}
    assert any(
        "RankFunction" in p and "HttpApi" in p for p in cloudformation.problems(broken, deployed.parameters)
    )


def test_the_check_finds_a_fixed_name_two_stacks_would_share(deployed) -> None:
    broken = copy.deepcopy(deployed.template)
    schedule = next(k for k, v in broken["Resources"].items() if v["Type"] == "AWS::Scheduler::Schedule")
    broken["Resources"][schedule]["Properties"]["Name"] = "sweeper"
    assert cloudformation.name_clashes(broken, deployed.parameters) == [
        f"{schedule} (AWS::Scheduler::Schedule) is named 'sweeper' in every stack"
    ]


def test_dangling_references_and_undefined_conditions_are_found(deployed) -> None:
    broken = copy.deepcopy(deployed.template)
    props = broken["Resources"]["RankFunction"]["Properties"]
    props["Environment"]["Variables"]["X"] = {"Fn::GetAtt": ["NoSuchTable", "Arn"]}
    props["Environment"]["Variables"]["Y"] = {"Fn::If": ["NoSuchCondition", "a", "b"]}
    found = cloudformation.problems(broken, deployed.parameters)
    assert any("'NoSuchTable'" in p for p in found) and any("'NoSuchCondition'" in p for p in found)


def test_an_intrinsic_the_rehearsal_cannot_evaluate_stops_it_rather_than_counting_as_true(deployed) -> None:
    broken = copy.deepcopy(deployed.template)
    broken["Conditions"]["HasAlarmEmail"] = {"Fn::Contains": [["a"], {"Ref": "AlarmEmail"}]}
    stack = cloudformation.Stack(broken, deployed.parameters)
    with pytest.raises(DeployError, match="Fn::Contains is not an intrinsic this rehearsal evaluates"):
        stack.condition("HasAlarmEmail")


def test_no_function_environment_holds_a_secret(deployed) -> None:
    """Names and settings only: secrets are read from SSM by name."""
    allowed = {
        "TABLE_NAME",
        "BUCKET_NAME",
        "PUBLIC_BASE_URL",
        "POWERTOOLS_LOG_LEVEL",
        "TRACING",
        "PAYMENT_PROVIDER",
        "RESERVATION_MINUTES",
        "CLIENT_RESERVATION_CAP_KG",
        "SECRETS_PATH",
        "SECRETS",
        # a WeChat Pay or Alipay merchant's ids (their keys are in SSM)
        "WECHATPAY_MCHID",
        "WECHATPAY_APPID",
        "WECHATPAY_MERCHANT_SERIAL",
        "WECHATPAY_PUBLIC_KEY_ID",
        "ALIPAY_APP_ID",
        "ALIPAY_SELLER_ID",
    }
    for function in cloudformation.functions(deployed).values():
        assert set(function.environment) <= allowed, function.logical_id


def test_each_function_may_read_exactly_the_parameters_it_names(deployed) -> None:
    roles = iam.function_roles(deployed)
    path = deployed.parameters["SecretsPath"]
    every = [f"{path}/{n}" for n in ALL_SECRETS]
    for logical_id, function in cloudformation.functions(deployed).items():
        named = {f"{path}/{n}" for n in function.environment.get("SECRETS", "").split(",") if n}
        readable = {
            p
            for p in every
            if roles[logical_id].allows(
                "ssm:GetParameters",
                iam.ssm_requests("x.GetParameters", f'{{"Names": ["{p}"]}}'.encode())[0][1],
            )
        }
        assert readable == named, logical_id


def test_the_api_routes_are_the_functions_events(deployed) -> None:
    assert set(cloudformation.http_routes(deployed)) == set(template.routes())


def test_the_sweeper_reads_no_secret_but_wechat_pays_or_alipays_keys_and_is_scheduled(deployed) -> None:
    sweeper = cloudformation.functions(deployed)["SweeperFunction"]
    provider = deployed.parameters["PaymentProvider"]
    expected = {
        "wechatpay": "wechatpay-private-key,wechatpay-apiv3-key,wechatpay-public-key",
        "alipay": "alipay-private-key,alipay-public-key",
    }
    assert sweeper.environment["SECRETS"] == expected.get(provider, "")
    assert sweeper.schedules == ("rate(5 minutes)",)
    # asking a provider about up to 500 orders takes longer, but never past the next run
    assert sweeper.timeout_s == (240 if provider in expected else 60) and sweeper.timeout_s < 300


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"ReservationMinutes": "5"},
            "Parameter 'ReservationMinutes' failed to satisfy constraint: minutes from 30",
        ),
        ({"PaymentProvider": "paypal"}, "Parameter 'PaymentProvider' failed to satisfy constraint: sandbox"),
        (
            {"PublicBaseUrl": "https://neutral.example.org/path/"},
            "Parameter 'PublicBaseUrl' failed to satisfy",
        ),
        ({"PublicBaseUrl": "http://neutral.example.org"}, "Parameter 'PublicBaseUrl' failed to satisfy"),
        ({"SecretsPath": "carbon-neutral/"}, "Parameter 'SecretsPath' failed to satisfy constraint"),
        ({"AlarmEmail": "not an address"}, "Parameter 'AlarmEmail' failed to satisfy constraint"),
        ({"LogRetentionDays": "10"}, "Parameter 'LogRetentionDays' failed to satisfy constraint"),
        ({"ClientReservationCapKg": "lots"}, "Parameter 'ClientReservationCapKg' must be a number"),
        ({"Stage": "prod"}, "Parameters: [Stage] do not exist in the template"),
    ],
)
def test_a_bad_deploy_parameter_gets_a_clear_message(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(DeployError, match=re.escape(message)):
        cloudformation.parameter_values(overrides)


def test_every_parameter_says_what_it_accepts() -> None:
    for name, spec in template.load()["Parameters"].items():
        constrained = {"AllowedPattern", "MinValue", "MaxValue"} & set(spec)
        assert not constrained or "ConstraintDescription" in spec, name
