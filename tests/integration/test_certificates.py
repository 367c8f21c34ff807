"""Certificates issued at retirement, read, verified online and offline, rendered and re-rendered."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from PIL import Image

from infrastructure.template import ROOT
from tests.journeys import retire

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def retired(invoke, stack) -> dict:
    return retire(invoke, stack)


def test_retirement_issues_a_signed_certificate_with_everything_it_certifies(invoke, retired) -> None:
    assert retired["certificate_id"].startswith("cert_")
    cert = invoke("GET", f"/v1/certificates/{retired['certificate_id']}").json()
    assert cert["beneficiary"] == "李雷 Li Lei" and cert["beneficiary_kind"] == "individual"
    assert cert["quantity_kg"] == retired["quantity_kg"] == 58  # 53.5 + 2 x 1.87667 = 57.253 kg, rounded up
    assert cert["schema"] == "carbon-neutral-certificate/2"
    assert cert["scene"] == {  # named like every other document of the platform
        "zh-CN": "首届中国数字碳中和高峰论坛",
        "en": "First China Digital Carbon Neutrality Forum",
    }
    assert cert["project"]["en"] == "Longquan Mountain urban forest carbon sink (demo)"
    assert cert["developer"]["en"] == "Longquan Forestry Development (demo)"
    assert cert["serials"] == retired["serials"] and cert["factor_set"] == "2025.2"
    assert cert["retired_at"].endswith("Z") and cert["kid"] == "local-1" and cert["signature"]


def test_the_verify_route_checks_signature_and_ledger(invoke, retired) -> None:
    result = invoke("GET", f"/v1/certificates/{retired['certificate_id']}/verify").json()
    assert result["valid"] is True and result["retired_in_ledger"] is True


def rendered(stack, prefix: str) -> list[str]:
    listed = stack.s3_client().list_objects_v2(Bucket=stack.bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def test_a_certificate_verifies_offline_with_only_the_published_key_set(invoke, retired, tmp_path) -> None:
    cert = invoke("GET", f"/v1/certificates/{retired['certificate_id']}").json()
    keys = invoke("GET", "/.well-known/certificate-keys.json").json()
    assert keys["keys"][0]["kty"] == "OKP" and "d" not in keys["keys"][0]  # public only
    (tmp_path / "cert.json").write_text(json.dumps(cert, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "keys.json").write_text(json.dumps(keys), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "carbonneutral.certify.verify",
        str(tmp_path / "cert.json"),
        str(tmp_path / "keys.json"),
    ]
    env = {
        "PYTHONPATH": str(ROOT / "shared"),
        "PATH": "/usr/bin:/bin",
    }  # no AWS, no network, no project settings
    genuine = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert genuine.returncode == 0 and genuine.stdout.startswith("GENUINE")
    (tmp_path / "cert.json").write_text(json.dumps({**cert, "quantity_kg": 5900}), encoding="utf-8")
    forged = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert forged.returncode == 1 and forged.stdout.startswith("NOT VALID")


def test_the_image_is_a_1200_by_630_png_stored_in_s3_and_rendered_again_identically(
    invoke, stack, retired
) -> None:
    path = f"/v1/certificates/{retired['certificate_id']}/image.png"
    first = invoke("GET", path)
    assert first.status == 200 and first.content_type == "image/png"
    assert Image.open(io.BytesIO(first.body)).size == (1200, 630)
    (key,) = rendered(stack, f"certificates/{retired['certificate_id']}/image-")
    assert stack.s3_client().get_object(Bucket=stack.bucket, Key=key)["Body"].read() == first.body
    # a first render is a plain cache miss (404, the role may list the bucket), not a warning
    assert "render cache unreadable" not in (stack.log_dir / "CertifyFunction.log").read_text()
    stack.s3_client().delete_object(Bucket=stack.bucket, Key=key)
    assert invoke("GET", path).body == first.body


def test_the_portrait_card_is_1080_by_1920_and_kept(invoke, stack, retired) -> None:
    path = f"/v1/certificates/{retired['certificate_id']}/card.png"
    first = invoke("GET", path)
    assert first.status == 200 and first.content_type == "image/png"
    assert Image.open(io.BytesIO(first.body)).size == (1080, 1920)
    (key,) = rendered(stack, f"certificates/{retired['certificate_id']}/card-")
    assert stack.s3_client().get_object(Bucket=stack.bucket, Key=key)["Body"].read() == first.body
    page = invoke("GET", f"/c/{retired['certificate_id']}?lang=zh-CN").body.decode()
    assert f'src="/v1/certificates/{retired["certificate_id"]}/card.png"' in page


def test_a_name_with_a_paragraph_separator_or_emoji_renders(invoke, stack) -> None:
    retired = retire(invoke, stack, name="小明😀\u2029Ming")
    for image in ("image.png", "card.png"):
        assert invoke("GET", f"/v1/certificates/{retired['certificate_id']}/{image}").status == 200


def test_the_page_has_open_graph_tags_and_a_qr_and_is_rendered_again_identically(
    invoke, stack, retired
) -> None:
    cid = retired["certificate_id"]
    page = invoke("GET", f"/c/{cid}?lang=en")
    text = page.body.decode()
    assert page.status == 200
    assert f'<meta property="og:image" content="{stack.url}/v1/certificates/{cid}/image.png">' in text
    assert 'property="og:title" content="李雷 Li Lei neutralized 58 kg CO₂e"' in text
    assert "data:image/svg+xml;base64," in text and f'href="/c/{cid}/verify?lang=en"' in text
    (key,) = rendered(stack, f"certificates/{cid}/page.en-")
    stack.s3_client().delete_object(Bucket=stack.bucket, Key=key)
    assert invoke("GET", f"/c/{cid}?lang=en").body == page.body


def test_names_with_markup_show_as_text(invoke, stack) -> None:
    retired = retire(invoke, stack, name='<img src=x onerror="alert(1)">')
    page = invoke("GET", f"/c/{retired['certificate_id']}?lang=zh-CN").body.decode()
    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_the_verification_page_says_genuine(invoke, retired) -> None:
    page = invoke("GET", f"/c/{retired['certificate_id']}/verify?lang=en").body.decode()
    assert "Genuine certificate" in page


def test_unknown_certificates_are_404(invoke) -> None:
    assert invoke("GET", "/v1/certificates/cert_AAAAAAAAAAAAAAAAAAAAAAAA").status == 404
    assert invoke("GET", "/v1/certificates/cert_AAAAAAAAAAAAAAAAAAAAAAAA/image.png").status == 404
    assert invoke("GET", "/c/cert_AAAAAAAAAAAAAAAAAAAAAAAA").status == 404
    assert invoke("GET", "/c/nonsense").status == 404
