"""Settings from the environment, secrets from SSM, and the public origin of each request."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from carbonneutral.errors import NotConfigured
from carbonneutral.settings import Settings, get_settings
from carbonneutral.store.renders import render_key
from carbonneutral.store.secrets import REFRESH_AFTER_S, SecretStore
from carbonneutral.web.api import public_origin


class FakeSsm:
    """GetParameters as SSM answers it: found parameters, and the names it does not have."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values, self.calls = values, 0

    def get_parameters(self, Names: list[str], WithDecryption: bool) -> dict[str, Any]:
        self.calls += 1
        return {
            "Parameters": [{"Name": n, "Value": self.values[n]} for n in Names if n in self.values],
            "InvalidParameters": [n for n in Names if n not in self.values],
        }


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def store(ssm: FakeSsm, clock: Clock, ttl: float = 300) -> SecretStore:
    return SecretStore(
        "/cn", ("order-token-secret", "certificate-signing-key"), ttl_s=ttl, client=ssm, clock=clock
    )


def test_all_secrets_come_in_one_call_and_are_kept_for_the_ttl() -> None:
    ssm, clock = FakeSsm({"/cn/order-token-secret": "a" * 20, "/cn/certificate-signing-key": "k"}), Clock()
    secrets = store(ssm, clock)
    assert secrets.get("order-token-secret") == "a" * 20
    assert secrets.get("certificate-signing-key") == "k"
    assert ssm.calls == 1
    ssm.values["/cn/order-token-secret"] = "b" * 20  # rotated
    clock.now += 299
    assert secrets.get("order-token-secret") == "a" * 20
    clock.now += 2
    assert secrets.get("order-token-secret") == "b" * 20 and ssm.calls == 2


def test_a_missing_secret_names_every_missing_parameter_and_is_never_cached() -> None:
    ssm, clock = FakeSsm({"/cn/certificate-signing-key": "k"}), Clock()
    secrets = store(ssm, clock)
    with pytest.raises(NotConfigured, match="/cn/order-token-secret") as caught:
        secrets.get("order-token-secret")
    assert caught.value.status == 503 and "certificate-signing-key" not in caught.value.detail
    ssm.values["/cn/order-token-secret"] = "created later"
    assert secrets.get("order-token-secret") == "created later"  # no restart needed


def test_a_fresh_read_is_allowed_only_after_a_while() -> None:
    ssm, clock = FakeSsm({"/cn/order-token-secret": "x", "/cn/certificate-signing-key": "k"}), Clock()
    secrets = store(ssm, clock)
    secrets.get("certificate-signing-key")
    secrets.get("certificate-signing-key", fresh=True)
    assert ssm.calls == 1
    clock.now += REFRESH_AFTER_S + 1
    secrets.get("certificate-signing-key", fresh=True)
    assert ssm.calls == 2


def test_a_secret_the_function_does_not_declare_is_refused_without_asking_ssm() -> None:
    ssm = FakeSsm({"/cn/stripe-api-key": "sk"})
    with pytest.raises(NotConfigured, match="not among this function's SECRETS"):
        store(ssm, Clock()).get("stripe-api-key")
    assert ssm.calls == 0


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "PAYMENT_PROVIDER",
            "paypal",
            "PAYMENT_PROVIDER is not valid: Input should be 'sandbox', 'stripe', 'wechatpay' or 'alipay'",
        ),
        ("PUBLIC_BASE_URL", "neutral.example.org", "PUBLIC_BASE_URL is not valid"),
        ("RESERVATION_MINUTES", "0", "RESERVATION_MINUTES is not valid"),
        ("SECRETS", "order-token-secret,../etc", "SECRETS is not valid"),
    ],
)
def test_a_bad_setting_is_a_503_naming_it_never_a_silent_default(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(NotConfigured, match=message):
        Settings.from_env()


def test_a_setting_a_function_lacks_is_named_where_it_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUCKET_NAME", raising=False)
    monkeypatch.setenv("TABLE_NAME", "table")
    settings = Settings.from_env()
    assert settings.table() == "table"
    with pytest.raises(NotConfigured, match="BUCKET_NAME is not set"):
        settings.bucket()


def event(domain: str, proto: str | None = "https") -> Any:
    headers = {"x-forwarded-proto": proto} if proto else {}
    return SimpleNamespace(request_context=SimpleNamespace(domain_name=domain), headers=headers)


@pytest.mark.parametrize(
    ("configured", "request_event", "origin"),
    [
        (
            "",
            event("abc123.execute-api.us-east-1.amazonaws.com"),
            "https://abc123.execute-api.us-east-1.amazonaws.com",
        ),
        ("", event("127.0.0.1:3000", "http"), "http://127.0.0.1:3000"),
        ("", event("abc.example", None), "https://abc.example"),
        (
            "https://neutral.example.org",
            event("abc123.execute-api.us-east-1.amazonaws.com"),
            "https://neutral.example.org",
        ),
    ],
)
def test_the_public_origin_is_the_custom_domain_or_the_requests_own(
    monkeypatch: pytest.MonkeyPatch, configured: str, request_event: Any, origin: str
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", configured)
    get_settings.cache_clear()
    try:
        assert public_origin(request_event) == origin
    finally:
        get_settings.cache_clear()


def test_a_render_key_changes_with_what_the_render_is_made_from() -> None:
    first = render_key("scenes/forum", "qr.png", "https://a.example/s/forum")
    assert first.startswith("scenes/forum/qr-") and first.endswith(".png")
    assert first == render_key("scenes/forum", "qr.png", "https://a.example/s/forum")
    assert first != render_key("scenes/forum", "qr.png", "https://b.example/s/forum")
