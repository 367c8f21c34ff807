"""From a footprint to retired credits through the hosted pages, as a phone without JavaScript would."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from tests.factories import DEMO_FOOTPRINT

pytestmark = pytest.mark.e2e


def form_post(http, path: str, form: dict[str, str], cookie: str = ""):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    return http.post(path, data=urlencode(form).encode(), headers=headers)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert match, f"no hidden {name}"
    return match.group(1)


def csrf_cookie(answer) -> str:
    return answer.headers["set-cookie"].split("csrf=")[1].split(";")[0]


def test_footprint_to_retired_credits_through_the_pages(http) -> None:
    footprint_id = http.post("/v1/footprints", json_body=DEMO_FOOTPRINT).json()["footprint_id"]
    result = http.get(f"/f/{footprint_id}?lang=en").body.decode()
    assert f'href="/neutralize/{footprint_id}?lang=en"' in result

    page = http.get(f"/neutralize/{footprint_id}?lang=en")
    text = page.body.decode()
    assert "Neutralize 658 kg CO₂e" in text and "Longquan Mountain urban forest carbon sink (demo)" in text
    cookie = f"csrf={csrf_cookie(page)}"
    form = {
        "csrf": hidden(text, "csrf"),
        "idempotency_key": hidden(text, "idempotency_key"),
        "project_id": "cdcer-longquan-forest",
        "name": "<b>Han Meimei</b>",
        "kind": "individual",
        "role": "participant",
    }
    placed = form_post(http, f"/neutralize/{footprint_id}?lang=en", form, cookie)
    assert placed.status == 303
    checkout_path = placed.headers["location"].split("127.0.0.1", 1)[-1].split(":", 1)[-1]
    checkout_path = checkout_path[checkout_path.index("/") :]
    # sending the form twice (a double tap) gives the same order
    assert (
        form_post(http, f"/neutralize/{footprint_id}?lang=en", form, cookie).headers["location"]
        == placed.headers["location"]
    )

    opened = http.get(checkout_path, headers={"Cookie": cookie})
    checkout = opened.body.decode()
    # the token moves from the link into a cookie for this order's pages only
    token_cookie = re.search(r"order_token=([^;]+);[^\n]*Path=/checkout/", opened.headers["set-cookie"])
    assert token_cookie and "HttpOnly" in opened.headers["set-cookie"]
    assert "This is a test payment." in checkout and "¥55.93" in checkout  # 658 kg at 85 CNY/t
    assert "&lt;b&gt;Han Meimei&lt;/b&gt;" in checkout and "<b>Han Meimei</b>" not in checkout
    order_id = checkout_path.split("/checkout/")[1].split("?")[0]
    paid = form_post(
        http,
        f"/checkout/{order_id}/pay?lang=en",
        {"csrf": hidden(checkout, "csrf"), "token": hidden(checkout, "token")},
        cookie,
    )
    assert paid.status == 303
    assert "token=" not in paid.headers["location"]
    assert http.get(paid.headers["location"]).status == 404  # without the cookie, nothing
    done = http.get(
        paid.headers["location"], headers={"Cookie": f"order_token={token_cookie[1]}"}
    ).body.decode()
    assert "Done: your credits are retired." in done
    assert re.search(r"CDCER-cdcer-longquan-forest-2023-\d+-\d+", done)


def test_a_form_without_its_csrf_cookie_is_refused(http) -> None:
    footprint_id = http.post("/v1/footprints", json_body=DEMO_FOOTPRINT).json()["footprint_id"]
    page = http.get(f"/neutralize/{footprint_id}?lang=en").body.decode()
    form = {
        "csrf": hidden(page, "csrf"),
        "idempotency_key": "abcdefgh12345678",
        "project_id": "cdcer-sichuan-biogas",
        "name": "Mallory",
    }
    answer = form_post(http, f"/neutralize/{footprint_id}?lang=en", form)  # no cookie: a cross-site post
    assert answer.status == 403
    assert "The form expired" in answer.body.decode()


def test_checkout_needs_the_order_token(http) -> None:
    assert http.get("/checkout/ord_AAAAAAAAAAAAAAAAAAAAAA?token=nope").status == 404


def test_the_checkout_page_says_retirement_is_final_and_the_buyer_can_cancel(http) -> None:
    footprint_id = http.post("/v1/footprints", json_body=DEMO_FOOTPRINT).json()["footprint_id"]
    order = http.post(
        "/v1/orders",
        json_body={
            "footprint_id": footprint_id,
            "project_id": "cdcer-sichuan-biogas",
            "beneficiary": {"name": "Lucy"},
        },
        headers={"Idempotency-Key": "cancel-" + footprint_id},
    ).json()
    opened = http.get(f"/checkout/{order['order_id']}?lang=en&token={order['order_token']}")
    page = opened.body.decode()
    assert "Retirement is final: it cannot be undone or refunded." in page  # said before paying
    assert f'action="/checkout/{order["order_id"]}/cancel?lang=en"' in page
    cookie = f"csrf={csrf_cookie(opened)}"
    form = {"csrf": hidden(page, "csrf"), "token": hidden(page, "token")}
    assert (
        form_post(
            http, f"/checkout/{order['order_id']}/cancel?lang=en", {**form, "csrf": "forged"}, cookie
        ).status
        == 404
    )
    assert (
        http.get(f"/v1/orders/{order['order_id']}?token={order['order_token']}").json()["status"]
        == "pending_payment"
    )
    done = form_post(http, f"/checkout/{order['order_id']}/cancel?lang=en", form, cookie)
    assert done.status == 303
    shown = http.get(f"/checkout/{order['order_id']}?lang=zh-CN&token={order['order_token']}").body.decode()
    assert "您已取消此订单" in shown and "/pay" not in shown and "取消此订单</button>" not in shown
    # the footprint can be neutralized again
    assert http.get(f"/neutralize/{footprint_id}?lang=en").status == 200
