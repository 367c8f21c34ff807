"""Each function's AWS calls are held to its own role from template.yaml, as AWS holds them.

The whole suite runs under this enforcement (a call a role does not allow fails the test that
made it); these tests show the enforcement itself refuses what a role does not allow.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from infrastructure.local import iam
from infrastructure.local.proxy import IamProxy

pytestmark = pytest.mark.integration


def denied(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


def test_a_function_may_not_write_where_its_role_only_reads(stack) -> None:
    rank = stack.client_as("RankFunction", "dynamodb")
    item = {"PK": {"S": "X#probe"}, "SK": {"S": "X"}}
    assert denied(lambda: rank.put_item(TableName=stack.table, Item=item)) == "AccessDeniedException"
    assert rank.get_item(TableName=stack.table, Key=item).get("Item") is None  # reading is allowed
    stack.proxy.denials.clear()


def test_every_inner_operation_of_a_transaction_is_checked(stack) -> None:
    calculate = stack.client_as("CalculateFunction", "dynamodb")  # may Put, may not Delete
    put = {"Put": {"TableName": stack.table, "Item": {"PK": {"S": "X#t"}, "SK": {"S": "X"}}}}
    delete = {"Delete": {"TableName": stack.table, "Key": {"PK": {"S": "X#u"}, "SK": {"S": "X"}}}}
    code = denied(lambda: calculate.transact_write_items(TransactItems=[put, delete]))
    assert code == "AccessDeniedException"
    assert stack.dynamodb_client().get_item(TableName=stack.table, Key=put["Put"]["Item"]).get("Item") is None
    assert stack.proxy.denials[-1].action == "dynamodb:DeleteItem"
    stack.proxy.denials.clear()


def test_a_function_may_read_only_its_own_secrets(stack) -> None:
    certify = stack.client_as("CertifyFunction", "ssm")
    path = stack.secrets_path
    assert certify.get_parameters(Names=[f"{path}/certificate-public-keys"])["Parameters"]
    for name in ("certificate-signing-key", "order-token-secret"):
        code = denied(lambda name=name: certify.get_parameters(Names=[f"{path}/{name}"], WithDecryption=True))
        assert code == "AccessDeniedException"
    calculate = stack.client_as("CalculateFunction", "ssm")
    assert calculate.get_parameters(Names=[f"{path}/cursor-key"], WithDecryption=True)["Parameters"]
    assert (
        denied(lambda: calculate.get_parameters(Names=[f"{path}/certificate-public-keys"]))
        == "AccessDeniedException"
    )
    assert denied(lambda: certify.get_parameters(Names=[f"{path}/cursor-key"])) == "AccessDeniedException"
    stack.proxy.denials.clear()


def test_a_function_may_touch_only_its_own_renders(stack) -> None:
    certify = stack.client_as("CertifyFunction", "s3")
    assert (
        denied(lambda: certify.put_object(Bucket=stack.bucket, Key="scenes/x/qr.png", Body=b"x"))
        == "AccessDenied"
    )
    certify.put_object(Bucket=stack.bucket, Key="certificates/probe/x.png", Body=b"x")
    # with s3:ListBucket, a missing object is a 404, as the render store expects
    assert (
        denied(lambda: certify.get_object(Bucket=stack.bucket, Key="certificates/probe/none.png"))
        == "NoSuchKey"
    )
    stack.proxy.denials.clear()


def test_without_list_bucket_a_missing_object_is_a_403_as_on_aws(stack) -> None:
    role = iam.Role(
        "reader", (iam.Statement("Allow", ("s3:GetObject",), (f"arn:aws:s3:::{stack.bucket}/*",)),)
    )
    proxy = IamProxy(roles={"READER": role}, upstreams={"s3": stack.aws.endpoint}).start()
    try:
        s3 = boto3.client(
            "s3",
            endpoint_url=proxy.endpoint,
            region_name="us-east-1",
            aws_access_key_id="READER",
            aws_secret_access_key="x",
        )
        assert (
            denied(lambda: s3.get_object(Bucket=stack.bucket, Key="certificates/none.png")) == "AccessDenied"
        )
    finally:
        proxy.stop()


def test_unknown_credentials_are_refused(stack) -> None:
    stranger = boto3.client(
        "dynamodb",
        endpoint_url=stack.proxy.endpoint,
        region_name="us-east-1",
        aws_access_key_id="STRANGER",
        aws_secret_access_key="x",
    )
    assert denied(lambda: stranger.list_tables()) == "UnrecognizedClientException"


@pytest.mark.parametrize(
    ("action", "resource", "allowed"),
    [
        ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:000000000000:table/t", True),
        ("DynamoDB:getitem", "arn:aws:dynamodb:us-east-1:000000000000:table/t", True),  # actions ignore case
        ("dynamodb:Query", "arn:aws:dynamodb:us-east-1:000000000000:table/t/index/GSI2", True),
        ("dynamodb:Query", "arn:aws:dynamodb:us-east-1:000000000000:table/T", False),  # resources do not
        ("dynamodb:DeleteItem", "arn:aws:dynamodb:us-east-1:000000000000:table/t", False),
        (
            "dynamodb:GetItem",
            "arn:aws:dynamodb:us-east-1:000000000000:table/t/secret",
            False,
        ),  # explicit deny wins
    ],
)
def test_policies_are_evaluated_as_iam_does(action: str, resource: str, allowed: bool) -> None:
    table = "arn:aws:dynamodb:us-east-1:000000000000:table/t"
    role = iam.Role(
        "r",
        (
            iam.Statement("Allow", ("dynamodb:Get*", "dynamodb:Query"), (table, f"{table}/*")),
            iam.Statement("Deny", ("dynamodb:*",), (f"{table}/secret",)),
        ),
    )
    assert role.allows(action, resource) is allowed
