"""Acting from the console: sign in and out, start a transformer run, an ingestion or a security
sync, activate a stored version. Every form is CSRF-checked (`csrf.py`); who may do what is the
API's rule (operate to start runs, admin to activate)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.api.deps import pooled
from app.api.team_limits import allow_team, allow_teamless
from app.catalog.overrides import activate_on_purpose
from app.console.access import TOKEN_COOKIE, console_caller, token_caller
from app.console.csrf import checked_form
from app.console.web import page, render
from app.errors import UnauthorizedError
from app.jobs.runs import Run
from app.resources import Resources

router = APIRouter()
log = logging.getLogger("ecoplane.console")


def _next(target: str | None) -> str:
    """Where to go after signing in: a console page only (no open redirect)."""
    if target and target.startswith("/ui/") and not target.startswith("//"):
        return target
    return "/ui/"


@router.get("/sign-in", name="console_sign_in")
@page
async def sign_in_form(request: Request, next: str = "/ui/") -> Response:
    """The sign-in form: a token of the service's (ECOPLANE_TOKENS)."""
    return render(request, "sign_in.html", next=_next(next), failure=None)


@router.post("/sign-in", name="console_sign_in_post")
@page
async def sign_in(request: Request) -> Response:
    """Check the token and keep it in an HttpOnly, SameSite=Strict cookie."""
    form = await checked_form(request)
    target = _next(form.get("next"))
    try:
        who = await token_caller(request, form.get("token", ""))
    except UnauthorizedError as error:
        log.warning("console: a sign-in was refused: %s", error.detail)
        return render(request, "sign_in.html", 401, next=target, failure=error.detail)
    answer = RedirectResponse(target, status_code=303)
    answer.set_cookie(
        TOKEN_COOKIE, form["token"].strip(), httponly=True, samesite="strict", path="/ui",
        secure=request.url.scheme == "https", max_age=8 * 3600,
    )  # fmt: skip
    log.info("console: %s signed in", who.name)
    return answer


@router.post("/sign-out", name="console_sign_out")
@page
async def sign_out(request: Request) -> Response:
    """Forget the token."""
    await checked_form(request)
    answer = RedirectResponse("/ui/", status_code=303)
    answer.delete_cookie(TOKEN_COOKIE, path="/ui")
    return answer


def _to_run(run: Run) -> RedirectResponse:
    return RedirectResponse(f"/ui/runs/{run.id}", status_code=303)


@router.post("/transformers/{name}/runs", name="console_start_transformer")
@page
async def start_transformer(request: Request, name: str) -> Response:
    """A run of the active version's transformer now; then its page."""
    await checked_form(request)
    who = await console_caller(request, "operate")
    res: Resources = request.app.state.resources
    await allow_team(who, res, "transformer", name)  # a token limited to teams: theirs only
    run, _ = await res.jobs.start_transformer(name, "manual", requested_by=who.name)
    return _to_run(run)


@router.post("/datastores/{name}/ingestions", name="console_start_ingestion")
@page
async def start_ingestion(request: Request, name: str) -> Response:
    """One batch of the datastore's data ingestion now; then the run's page."""
    await checked_form(request)
    who = await console_caller(request, "operate")
    res: Resources = request.app.state.resources
    await allow_team(who, res, "datastore", name)
    run, _ = await res.jobs.start_ingestion(name, "manual", requested_by=who.name)
    return _to_run(run)


@router.post("/security/runs", name="console_start_security_sync")
@page
async def start_security_sync(request: Request) -> Response:
    """A security sync now (plan, apply, verify); then the run's page."""
    await checked_form(request)
    who = await console_caller(request, "operate")
    res: Resources = request.app.state.resources
    allow_teamless(who, "the security sync")
    run, _ = await res.jobs.start_security_sync("manual", requested_by=who.name)
    return _to_run(run)


@router.post("/versions/{version_id}/activate", name="console_activate")
@page
async def activate(request: Request, version_id: int) -> Response:
    """Activate a stored version on purpose (override or rollback), with the reason given."""
    form = await checked_form(request)
    who = await console_caller(request, "admin")
    res: Resources = request.app.state.resources
    async with pooled(res) as db:
        await activate_on_purpose(db, version_id, by=who.name, reason=form.get("reason", ""))
    log.info("console: %s activated version %s", who.name, version_id)
    return RedirectResponse(f"/ui/versions/{version_id}", status_code=303)
