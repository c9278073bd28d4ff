"""Rendering the console: the Jinja2 templates, pages for errors, the static files, CSP."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.console.csrf import csrf_token, keep_csrf
from app.console.links import entity_url
from app.errors import AppError, UnauthorizedError

HERE = Path(__file__).parent
STATIC = HERE / "static"
# everything the pages load comes from the service itself; no inline script runs
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
log = logging.getLogger("ecoplane.console")
P = ParamSpec("P")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def _short(sha: str | None) -> str:
    return sha[:8] if sha else "—"


templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,  # a misspelt key fails the page (and its test), never shows blank
)
templates.filters.update(when=_when, short=_short, path=lambda text: quote(str(text), safe=""))
templates.globals.update(entity_url=entity_url)
templates.globals.update(query=lambda **params: urlencode({k: v for k, v in params.items() if v}))


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page of the console, with the CSP header."""
    template = templates.get_template(name)
    body = template.render(
        request=request, path=request.url.path, csrf=csrf_token(request), **context
    )
    answer = HTMLResponse(body, status_code=status, headers={"Content-Security-Policy": CSP})
    keep_csrf(request, answer)
    return answer


def page(
    handler: Callable[P, Awaitable[Response]],
) -> Callable[P, Awaitable[Response]]:
    """A route answering HTML: an AppError becomes a page saying what is wrong (and a log line);
    a caller who may not read is sent to the sign-in form."""

    @functools.wraps(handler)
    async def answer(*args: P.args, **kwargs: P.kwargs) -> Response:
        request = kwargs["request"]
        assert isinstance(request, Request)
        try:
            return await handler(*args, **kwargs)
        except UnauthorizedError:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            if request.method != "GET":  # after signing in, back to where the form was
                target = "/ui/"
            return RedirectResponse(f"/ui/sign-in?{urlencode({'next': target})}", status_code=303)
        except AppError as error:
            level = logging.ERROR if error.status >= 500 else logging.WARNING
            log.log(
                level,
                "console page %s refused (%s): %s",
                request.url.path,
                error.status,
                error.detail,
            )
            return render(request, "error.html", error.status, error=error)

    return answer
