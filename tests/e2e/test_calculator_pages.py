"""The calculator pages over HTTP: server-rendered, bilingual, safe, and working without JavaScript."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.e2e

FORM = {
    "flight.from": "PEK",
    "flight.to": "CTU",
    "flight.cabin": "economy",
    "flight.round_trip": "on",
    "hotel.nights": "2",
    "hotel.country": "CN",
    "meal.count": "3",
    "meal.diet": "meat",
}


CSRF = "c" * 43  # a well-formed double-submit token: the cookie and the field agree


def post_form(http, path: str, form: dict[str, str], lang: str = "en", csrf: str | None = CSRF):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if csrf:
        headers["Cookie"] = f"csrf={csrf}"
        form = {**form, "csrf": csrf}
    return http.post(f"{path}?lang={lang}", data=urlencode(form).encode(), headers=headers)


def test_a_calculator_form_posted_from_another_site_is_refused(http) -> None:
    answer = post_form(http, "/s/cdcnf-2021", FORM, csrf=None)
    assert answer.status == 422 and "The form expired" in answer.body.decode()


def test_home_page_speaks_chinese_by_default_and_english_on_request(http) -> None:
    zh = http.get("/").body.decode()
    assert '<html lang="zh-CN">' in zh and "首届中国数字碳中和高峰论坛" in zh and "会议" in zh
    en = http.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"}).body.decode()
    assert '<html lang="en">' in en and "First China Digital Carbon Neutrality Forum" in en


def test_language_choice_is_remembered_in_a_cookie(http) -> None:
    answer = http.get("/?lang=en")
    assert "lang=en" in answer.headers["set-cookie"]
    assert '<html lang="en">' in http.get("/", headers={"Cookie": "lang=en"}).body.decode()


def test_scene_page_prefills_the_scene_defaults(http) -> None:
    page = http.get("/s/cdcnf-2021?lang=en").body.decode()
    assert re.search(r'name="flight.to"[^>]*value="CTU"', page)
    assert '<option value="CN" selected>China</option>' in page  # the hotel's country, from a list
    assert 'method="post"' in page


def test_nothing_is_counted_that_the_visitor_did_not_fill_in(http) -> None:
    page = http.get("/s/cdcnf-2021?lang=en").body.decode()
    # no quantity is prefilled: nights and meals are empty, and meals wait behind "more"
    assert re.search(r'name="hotel.nights"[^>]*value=""', page)
    assert re.search(r'name="meal.count"[^>]*value=""', page)
    short, more = page.split('<details class="more">', 1)
    assert 'name="flight.from"' in short and 'name="hotel.nights"' in short and 'name="meal.count"' in more
    # a visitor who only says where they flew from counts the flight alone
    answer = post_form(
        http, "/s/cdcnf-2021", {"flight.from": "PEK", "flight.to": "CTU", "flight.cabin": "economy"}
    )
    assert answer.status == 303
    result = http.get(answer.headers["location"]).body.decode()
    assert result.count('<td class="num">') == 2  # one line and the total
    # a restaurant's calculator starts with the one meal its visitor came for
    restaurant = http.get("/s/demo-panda-kitchen?lang=en").body.decode()
    assert re.search(r'name="meal.count"[^>]*value="1"', restaurant)
    assert 'name="meal.count"' in restaurant.split('<details class="more">', 1)[0]


def test_submitting_the_form_shows_the_result_with_its_breakdown(http) -> None:
    answer = post_form(http, "/s/cdcnf-2021", FORM)
    assert answer.status == 303
    location = answer.headers["location"]
    assert location.startswith("/f/fp_")
    page = http.get(location).body.decode()
    # 535.183 (flight, China's method with its fuel supply) + 107 (hotel) + 5.63 (meals) = 647.813 kg
    assert "647.8" in page and "kg CO₂e" in page
    # the flight shows both methods, says which counts and why they differ, and explains RF
    assert "China's civil aviation (CAAC): 535.2 kg <strong>(counted)</strong>" in page
    assert "UK government (DESNZ): 391.3 kg" in page and "whatever its length" in page
    assert "Includes radiative forcing: at cruising altitude" in page
    assert "Direct 476.5 kg + fuel supply (well-to-tank) 58.7 kg" in page and "CO₂ and CO₂e" in page
    assert "counts: fuel burnt" in page
    assert "0.0285" in page and "Open Government Licence" in page
    assert "What the total includes" in page and 'href="/methodology?lang=en"' in page


def test_the_methodology_page_lists_every_method_figure_and_source(http) -> None:
    page = http.get("/methodology?lang=en").body.decode()
    assert "<h1>Methodology</h1>" in page and "Factor set 2025.2." in page
    for text in ("Radiative forcing", "Long-haul floor", "Known limits", "electricity.CN-SC", "0.1564"):
        assert text in page, text
    assert "公告2025年第47号" in page and 'href="/v1/factor-sets/2025.2"' in page
    zh = http.get("/methodology?lang=zh-CN").body.decode()
    assert "<h1>方法学</h1>" in zh and '<div lang="en">' in zh


def test_a_wrong_input_is_shown_beside_it_and_values_are_kept(http) -> None:
    answer = post_form(http, "/s/cdcnf-2021", {**FORM, "flight.from": "QQQ", "hotel.nights": "-1"})
    assert answer.status == 422
    page = answer.body.decode()
    assert "No airport has the code QQQ. Check the three letters." in page  # plain words
    assert "Enter at least 1." in page
    shown = re.findall(r'class="error"[^>]*>([^<]*)<', page)
    assert shown and not any("pattern" in text or "[" in text for text in shown), shown
    assert 'aria-invalid="true"' in page
    assert re.search(r'name="flight.from"[^>]*value="QQQ"', page)


def test_validation_is_in_plain_words_in_the_pages_language(http) -> None:
    form = {**FORM, "flight.from": "北京", "hotel.nights": "1.5", "meal.count": "0"}
    page = post_form(http, "/s/cdcnf-2021", form, lang="zh-CN").body.decode()
    assert "“北京”对应 2 个机场（PEK, PKX）：请从列表中选择一个。" in page  # a name, not a pattern
    assert "请输入整数。" in page and "请输入不小于 1 的数。" in page
    shown = " ".join(re.findall(r'class="error"[^>]*>([^<]*)<', page))
    for english in ("String should", "Input should", "pattern", "greater than", "[A-Za-z]"):
        assert english not in shown, english


def test_airports_are_found_by_city_or_airport_name_in_either_language(http) -> None:
    page = http.get("/s/cdcnf-2021?lang=zh-CN").body.decode()
    # the picker is a <datalist> in the page: it works without JavaScript, in the page's language
    assert re.search(r'name="flight.from"[^>]*list="airports"', page)
    options = re.findall(r'<datalist id="airports">(.*?)</datalist>', page)[0]
    assert '<option value="成都天府国际机场 TFU">' in options and options.count("<option") >= 100
    english = http.get("/s/cdcnf-2021?lang=en").body.decode()
    assert '<option value="Chengdu Tianfu International Airport TFU">' in english
    for typed, code in (
        ("成都天府", "TFU"),
        ("北京大兴国际机场 PKX", "PKX"),
        ("pkx", "PKX"),
        ("Daxing", "PKX"),
    ):
        answer = post_form(http, "/s/cdcnf-2021", {"flight.from": typed, "flight.to": "上海虹桥"})
        assert answer.status == 303, (typed, answer.body.decode()[:300])
        result = http.get(answer.headers["location"]).body.decode()
        assert f"{code} → SHA" in result, typed
    # a city with two airports asks which; a name nobody knows says so, and keeps what was typed
    page = post_form(http, "/s/cdcnf-2021", {"flight.from": "Beijing", "flight.to": "Nowhere"}).body.decode()
    assert "“Beijing” finds 2 airports (PEK, PKX): pick one from the list." in page
    assert "No airport called “Nowhere”: type a city, an airport or its three-letter code." in page
    assert re.search(r'name="flight.to"[^>]*value="Nowhere"', page)


def test_a_train_ride_is_given_by_its_two_cities_and_the_line_shows_the_detour(http) -> None:
    page = http.get("/s/cdcnf-2021?lang=zh-CN").body.decode()
    assert re.search(r'name="rail.from"[^>]*list="cities"', page) and '<option value="成都 · 四川省">' in page
    form = {"rail.from": "成都 · 四川省", "rail.to": "重庆", "rail.service": "high_speed"}
    answer = post_form(http, "/s/cdcnf-2021", form, lang="zh-CN")
    assert answer.status == 303, answer.body.decode()[:500]
    result = http.get(answer.headers["location"]).body.decode()
    # GeoNames' points for the two cities: 269.3 km apart; × 1.2 for rail (GES 1point5)
    assert "成都 → 重庆：直线距离 269.3 公里 × 绕行系数 1.2（道路或铁轨的弯曲）= 323.2 公里" in result
    # a coach between them: road's 1.5
    answer = post_form(
        http, "/s/cdcnf-2021", {"bus.from": "Chengdu", "bus.to": "Chongqing", "bus.service": "coach"}
    )
    result = http.get(answer.headers["location"]).body.decode()
    assert "Chengdu → Chongqing: 269.3 km in a straight line × 1.5" in result and "= 404.0 km" in result
    # one city, an unknown one, or cities and km together: plain words beside the inputs
    page = post_form(http, "/s/cdcnf-2021", {"car.from": "Atlantis", "car.to": "成都"}).body.decode()
    assert "We don&#39;t know this city: pick one from the list, or give the distance in km." in page
    page = post_form(http, "/s/cdcnf-2021", {"car.from": "成都"}).body.decode()
    assert "Give both cities: where the trip starts and where it ends." in page
    page = post_form(
        http, "/s/cdcnf-2021", {"car.from": "成都", "car.to": "重庆", "car.km": "300"}
    ).body.decode()
    assert "Give the two cities or the distance, not both." in page


def test_markup_typed_into_a_field_is_shown_as_text(http) -> None:
    page = post_form(
        http, "/s/cdcnf-2021", {**FORM, "flight.from": '"><script>alert(1)</script>'}
    ).body.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_empty_form_asks_for_at_least_one_activity(http) -> None:
    answer = post_form(http, "/life", {"period": "month"}, lang="zh-CN")
    assert answer.status == 422
    assert "请至少填写一项活动" in answer.body.decode()


def test_life_footprint_for_a_year(http) -> None:
    answer = post_form(
        http,
        "/life",
        {"period": "year", "electricity.kwh": "2400", "electricity.grid": "CN", "diet.diet": "vegan"},
    )
    assert answer.status == 303
    page = http.get(answer.headers["location"]).body.decode()
    # 2400 x 0.5306 = 1273.44; 365 x 2.89 = 1054.85; total 2328.29 kg
    assert "2,328.3" in page


def test_a_chengdu_resident_picks_sichuan_from_the_grid_list(http) -> None:
    form = http.get("/life?lang=zh-CN").body.decode()
    assert '<option value="CN-SC">四川</option>' in form
    answer = post_form(
        http,
        "/life",
        {
            "period": "month",
            "electricity.kwh": "100",
            "electricity.grid": "CN-SC",
            "metro.km": "10",
            "metro.grid": "CN-SC",
        },
        lang="zh-CN",
    )
    assert answer.status == 303
    page = http.get(answer.headers["location"]).body.decode()
    # 100 x 0.1564 = 15.64 kg; 10 x 0.15706 x 0.1564 = 0.2456 kg: 15.886 kg
    assert "15.9" in page and "电网：四川，2023年数据" in page


def test_unknown_scene_and_footprint_pages_are_404(http) -> None:
    assert http.get("/s/no-such-scene").status == 404
    assert http.get("/s/" + "x" * 3000).status == 404
    assert http.get("/f/fp_AAAAAAAAAAAAAAAAAAAAAA").status == 404


def test_an_unknown_path_is_a_page_for_people_and_a_problem_for_programs(http) -> None:
    page = http.get("/no/such/page", headers={"Accept": "text/html,*/*;q=0.8", "Cookie": "lang=zh-CN"})
    assert page.status == 404 and page.content_type.startswith("text/html")
    assert '<html lang="zh-CN">' in page.text and "{" not in page.text.split("<main", 1)[1][:200]
    problem = http.get("/v1/no-such-thing", headers={"Accept": "application/json"})
    assert problem.status == 404 and problem.content_type == "application/problem+json"
    wrong_method = http.request("DELETE", "/v1/scenes", headers={"Accept": "text/html"})
    assert wrong_method.status == 404 and wrong_method.content_type == "application/problem+json"


def test_an_unknown_scene_has_no_board(http) -> None:
    assert http.get("/v1/leaderboards/scene:no-such-scene").status == 404
    assert http.get("/leaderboard/scene:no-such-scene?lang=en").status == 404
    assert http.get("/v1/leaderboards/scene:cdcnf-2021").status == 200


def test_pages_send_security_headers(http) -> None:
    headers = http.get("/s/cdcnf-2021").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"


def test_stylesheet_is_served_and_unknown_assets_are_not(http) -> None:
    css = http.get("/static/app.css")
    assert css.status == 200 and css.content_type.startswith("text/css")
    assert http.get("/static/..%2Fpages.py").status == 404


@pytest.mark.parametrize("path", ["/?lang=en", "/static/app.css", "/v1/scenes", "/v1/factor-sets/current"])
def test_html_css_and_json_are_sent_gzipped_to_clients_that_accept_it(http, path: str) -> None:
    import gzip

    plain = http.get(path)
    zipped = http.get(path, headers={"Accept-Encoding": "br, gzip;q=0.9"})
    assert zipped.status == plain.status == 200
    assert zipped.headers["content-encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["vary"]
    assert "content-encoding" not in plain.headers
    assert len(zipped.body) < len(plain.body) / 2
    assert gzip.decompress(zipped.body) == plain.body
    refused = http.get(path, headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
