"""The pages' toolkit: jinja2 rendering with gettext, HTML answers with strict security headers,
redirects, forms, cookies and CSRF. The pages themselves are in each function's pages.py."""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from carbonneutral.domain.types import PARTICIPANT_ID_PATTERN, is_id
from carbonneutral.web.i18n import LANGUAGES, negotiate, translations

if TYPE_CHECKING:
    import jinja2


def csp(form_targets: tuple[str, ...] = ()) -> str:
    """The pages' Content-Security-Policy; `form_targets` are origins a form may lead to (a payment
    provider's checkout, reached by a redirect after the form is posted: browsers check those too)."""
    form_action = " ".join(("'self'", *form_targets))
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )


CSP = csp()


def _(message: str) -> str:
    """Marks a message for extraction; templates translate it when they show it."""
    return message


PAGE_NOT_FOUND = _("Page not found")

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


@cache
def environment(lang: str) -> jinja2.Environment:
    import jinja2  # only functions that render pages pay for it, when they first do

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("carbonneutral.web", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(languages=LANGUAGES)
    env.filters["kg"] = format_kg
    env.filters["beijing"] = beijing_time
    env.filters["say"] = lambda message: say(message, lang)
    env.filters["city"] = lambda city_id: _city_name(city_id, lang)
    return env


def say(message: str, lang: str) -> str:
    """A message in the page's language, with the values it carries (web.messages.Message)."""
    text = translations(lang).gettext(str(message))
    params = getattr(message, "params", None)
    return text % params if params else text


# The platform's scenes are in China, which keeps one time zone all year (UTC+8, no summer time):
# pages show times in it, named, rather than in UTC. A fixed offset needs no tz database.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def _city_name(city_id: str, lang: str) -> str:
    from carbonneutral.domain.places import city, lang_key

    found = city(city_id)
    return found.name[lang_key(lang)] if found else city_id


def beijing_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time (datetime or ISO 8601 text) as Beijing time, e.g. '2026-11-26 13:43'."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime(fmt)


def format_kg(value: float) -> str:
    return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"


def render(name: str, lang: str, **context: Any) -> str:
    return environment(lang).get_template(name).render(lang=lang, **context)


def language_of(event: Any) -> str:
    """The page language from ?lang=, the lang cookie, or Accept-Language."""
    query = (event.query_string_parameters or {}).get("lang")
    return negotiate(query, cookies_of(event).get("lang"), event.headers.get("accept-language"))


def read_form(event: Any) -> dict[str, str]:
    """A urlencoded form as single values (the last one wins for repeated names)."""
    body = event.decoded_body or ""
    return {
        key: values[-1] for key, values in parse_qs(body, keep_blank_values=True, max_num_fields=200).items()
    }


def cookies_of(event: Any) -> dict[str, str]:
    return dict(c.strip().split("=", 1) for c in (event.get("cookies") or []) if "=" in c)


PARTICIPANT_COOKIE = "participant"


def participant_of(event: Any) -> str | None:
    """The buyer's own random identity, kept by the browser: repeat purchases add up on boards."""
    value = cookies_of(event).get(PARTICIPANT_COOKIE, "")
    return value if is_id(PARTICIPANT_ID_PATTERN, value) else None


def page_cookie(
    name: str, value: str, *, max_age: int, path: str = "/", same_site: SameSite = SameSite.LAX_MODE
) -> Cookie:
    """An HttpOnly cookie of the pages (made Secure by the resolver when the request is over HTTPS:
    web/api.py, which sees how the request came)."""
    return Cookie(name, value, path=path, secure=False, http_only=True, max_age=max_age, same_site=same_site)


def participant_cookie(event: Any) -> Cookie | None:
    """The identity for a browser that has none yet, else None."""
    if participant_of(event):
        return None
    return page_cookie(PARTICIPANT_COOKIE, secrets.token_urlsafe(24), max_age=365 * 86400)


def csrf_token(event: Any) -> tuple[str, Cookie | None]:
    """(token, its cookie or None): the double-submit token a form carries beside its cookie."""
    existing = cookies_of(event).get("csrf", "")
    if len(existing) == 43 and existing.replace("-", "").replace("_", "").isalnum():
        return existing, None
    token = secrets.token_urlsafe(32)
    return token, page_cookie("csrf", token, max_age=86400)


def csrf_ok(event: Any, form: dict[str, str]) -> bool:
    cookie, sent = cookies_of(event).get("csrf", ""), form.get("csrf", "")
    return bool(cookie) and hmac.compare_digest(cookie, sent)


def html(
    body: str,
    *,
    status: int = 200,
    lang: str | None = None,
    headers: dict[str, str] | None = None,
    cookies: list[Cookie] | None = None,
) -> Response[str]:
    cookies = list(cookies or [])
    if lang:
        cookies.append(
            Cookie("lang", lang, path="/", secure=False, max_age=365 * 86400, same_site=SameSite.LAX_MODE)
        )
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=body,
        headers={**SECURITY_HEADERS, "Cache-Control": "no-store", **(headers or {})},
        cookies=cookies,
    )


def redirect(location: str, cookies: list[Cookie] | None = None) -> Response[str]:
    return Response(
        status_code=303, body="", headers={"Location": location, **SECURITY_HEADERS}, cookies=cookies
    )


def not_found_page(lang: str) -> Response[str]:
    return html(render("error.html", lang, title=PAGE_NOT_FOUND), status=404, lang=lang)
