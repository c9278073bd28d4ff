"""Webhooks of GitHub, GitLab and Gitea: authenticated by signature, answered at once.

A push records an ingest request, a pull-request (or review) event a check of its head: the
workers do the work, so the host gets its answer in milliseconds. A delivery id seen before
records nothing new.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.api.deps import Res, pooled
from app.api.schemas.checks import CheckOut
from app.api.schemas.ingest import IngestOut, WebhookOut
from app.errors import PayloadTooLargeError, UnsupportedMediaTypeError
from app.forges import events
from app.forges.checks import queue_check, supersede
from app.gitsource.queue import queue_ingest
from app.gitsource.webhooks import GITEA, GITHUB, GITLAB, Provider, ignored_because, read_push
from app.gitsource.webhooks import verify as verify_signature

router = APIRouter(tags=["webhooks"])
log = logging.getLogger("ecoplane.webhooks")
PUSH_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "object", "description": "the host's push event payload"},
            "example": {
                "ref": "refs/heads/main",
                "after": "9fceb02d0ae598e95dc970b74767f19372d61af8",
                "repository": {"full_name": "acme/data-model"},
            },
        }
    },
}
QUEUED_EXAMPLE: dict[str, Any] = {
    "status": "queued",
    "reason": None,
    "ingest": {
        "id": 9, "trigger": "github", "ref": "main",
        "commitSha": "9fceb02d0ae598e95dc970b74767f19372d61af8",
        "deliveryId": "72d3162e-cc78-11e3-81ab-4c9367dc0958", "requestedBy": "alice",
        "state": "queued", "versionId": None, "errors": 0, "warnings": 0, "detail": None,
        "timings": {}, "retryOf": None, "supersededBy": None,
        "createdAt": "2026-11-26T09:30:00Z", "startedAt": None, "finishedAt": None,
    },
}  # fmt: skip
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "a ping, a redelivery, or a push that is not followed (with the reason)"},
    401: {"description": "the signature (or GitLab token) is missing or wrong"},
    413: {"description": "the body is larger than ECOPLANE_WEBHOOK_MAX_BYTES"},
    415: {"description": "a signed delivery that is not application/json"},
    422: {"description": "a signed push or pull-request event that cannot be read"},
}


async def _body(request: Request, limit: int) -> bytes:
    """The raw body (the signature covers exactly these bytes), at most `limit` of them."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:  # not "³"
        raise PayloadTooLargeError(f"the body has {declared} bytes; at most {limit} are read")
    chunks, received = [], 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise PayloadTooLargeError(f"the body has more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _secret(provider: Provider, res: Res) -> str | None:
    configured = getattr(res.settings, f"webhook_secret_{provider.name}")
    return configured.get_secret_value() if configured is not None else None


async def _delivery(provider: Provider, request: Request, res: Res) -> Any:
    """Check, read and record one delivery."""
    body = await _body(request, res.settings.webhook_max_bytes)
    verify_signature(provider, body, request.headers, _secret(provider, res))
    event = request.headers.get(provider.event_header, "")
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaTypeError(
            f"send deliveries as application/json (the webhook's content type), not {media[:80]!r}"
        )
    if event in provider.ping_events:
        return WebhookOut(status="pong")
    delivery = request.headers.get(provider.delivery_header, "").strip()[:200] or None
    if events.is_pull_request_event(provider.name, event):
        return await _pull_request(provider, body, delivery, res)
    if event not in provider.push_events:
        return WebhookOut(status="ignored", reason=f"the event {event[:80]!r} is not a push")
    push = read_push(body)
    reason = ignored_because(push, res.settings.model_branch, res.settings.model_repo_name)
    if reason is None and not res.settings.model_repo:
        reason = "no model repository is configured (ECOPLANE_MODEL_REPO)"
    if reason is not None:
        return WebhookOut(status="ignored", reason=reason)
    async with pooled(res) as db:  # taken once the body is in: a slow sender holds none
        ingest, created = await queue_ingest(
            db, trigger=provider.name, ref=res.settings.model_branch,
            commit_sha=push.after, delivery_id=delivery, requested_by=push.pushed_by,
        )  # fmt: skip
    if not created:
        return WebhookOut(status="duplicate", ingest=IngestOut.model_validate(ingest))
    if res.ingestion is not None:
        res.ingestion.worker.wake()
    answer = WebhookOut(status="queued", ingest=IngestOut.model_validate(ingest))
    return JSONResponse(answer.model_dump(mode="json", by_alias=True), status_code=202)


async def _pull_request(provider: Provider, body: bytes, delivery: str | None, res: Res) -> Any:
    """Record a check of the pull request's head, or say why none is made."""
    pull = events.read_pull_request(provider.name, body)
    settings = res.settings
    reason = events.ignored_because(pull, settings.model_branch, settings.model_repo_name)
    if reason is None and (res.checks is None or settings.forge != provider.name):
        reason = (
            f"pull requests are checked only on the configured forge ({settings.forge or 'none'}):"
            " ECOPLANE_FORGE, ECOPLANE_MODEL_REPO and ECOPLANE_MODEL_REPO_NAME configure it"
        )
    followed = events.not_followed(pull, settings.model_branch, settings.model_repo_name) is None
    if reason is not None:
        if not pull.open and followed and settings.forge == provider.name:
            async with pooled(res) as db:
                await supersede(db, provider.name, pull.number, None, "the pull request was closed")
        log.info("delivery %s (pull request %s) ignored: %s", delivery, pull.number, reason)
        return WebhookOut(status="ignored", reason=reason)
    async with pooled(res) as db:
        check, created = await queue_check(
            db, forge=provider.name, pull_request=pull.number, head_sha=pull.head_sha,
            author=None, delivery_id=delivery,
        )  # fmt: skip
    if not created:
        return WebhookOut(status="duplicate", check=CheckOut.model_validate(check))
    assert res.checks is not None  # a reason was given above otherwise
    res.checks.wake()
    log.info("delivery %s: check %s of pull request %s queued", delivery, check["id"], pull.number)
    answer = WebhookOut(status="queued", check=CheckOut.model_validate(check))
    return JSONResponse(answer.model_dump(mode="json", by_alias=True), status_code=202)


def _route(provider: Provider) -> dict[str, Any]:
    return {
        "summary": f"A {provider.title} webhook: pushes, pull requests and their reviews",
        "response_model": WebhookOut,
        "responses": {
            202: {
                "description": "a push to the followed branch (an ingest was queued), or an event"
                " of a pull request into it (a check of its head was queued)",
                "model": WebhookOut,
                "content": {"application/json": {"example": QUEUED_EXAMPLE}},
            },
            **RESPONSES,
        },
        "openapi_extra": {"requestBody": PUSH_BODY},
    }


@router.post("/webhooks/github", **_route(GITHUB))
async def github_webhook(request: Request, res: Res) -> Any:
    """A GitHub delivery (push, pull_request, pull_request_review, ping), signed in
    X-Hub-Signature-256; X-GitHub-Delivery names it."""
    return await _delivery(GITHUB, request, res)


@router.post("/webhooks/gitlab", **_route(GITLAB))
async def gitlab_webhook(request: Request, res: Res) -> Any:
    """A GitLab delivery (Push Hook, Merge Request Hook), with the secret in X-Gitlab-Token;
    X-Gitlab-Event-UUID names it."""
    return await _delivery(GITLAB, request, res)


@router.post("/webhooks/gitea", **_route(GITEA))
async def gitea_webhook(request: Request, res: Res) -> Any:
    """A Gitea delivery (push, pull_request and its review events), signed in X-Gitea-Signature;
    X-Gitea-Delivery names it."""
    return await _delivery(GITEA, request, res)
