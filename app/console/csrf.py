"""CSRF protection of the console's forms: a random token in an HttpOnly, SameSite=Strict cookie,
repeated in every form, compared on each POST (and an Origin from elsewhere refused)."""

from __future__ import annotations

import hmac
import logging
import secrets

from fastapi import Request
from fastapi.responses import Response

from app.errors import ForbiddenError

CSRF_COOKIE = "ecoplane_console_csrf"
log = logging.getLogger("ecoplane.console")


def csrf_token(request: Request) -> str:
    """The token this browser's forms carry: its cookie's, or a new one (set by `keep_csrf`)."""
    known = request.cookies.get(CSRF_COOKIE)
    if known:
        return known
    made: str = getattr(request.state, "csrf", None) or secrets.token_urlsafe(32)
    request.state.csrf = made
    return made


def keep_csrf(request: Request, response: Response) -> None:
    """Set the cookie when this request made the token."""
    made = getattr(request.state, "csrf", None)
    if made and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(
            CSRF_COOKIE, made, httponly=True, samesite="strict", path="/ui",
            secure=request.url.scheme == "https",
        )  # fmt: skip


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, if its token matches the cookie's and it comes from this origin."""
    form = {key: str(value) for key, value in (await request.form()).items()}
    cookie = request.cookies.get(CSRF_COOKIE, "")
    origin = request.headers.get("origin")
    expected = f"{request.url.scheme}://{request.url.netloc}"
    if origin not in (None, "null", expected):
        why = f"the form was posted from {origin[:100]}, not from {expected}"
    elif not cookie or not hmac.compare_digest(cookie, form.get("csrf", "")):
        why = "the form's CSRF token does not match this browser's (reload the page and retry)"
    else:
        return form
    log.warning("console: refused a form posted to %s: %s", request.url.path, why)
    raise ForbiddenError(why)
